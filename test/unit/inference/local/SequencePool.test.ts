import assert from "node:assert/strict";
import { isEngineError } from "../../../../inference/src/errors.js";
import { RequestStopped } from "../../../../inference/src/requestControl.js";
import { SequencePool } from "../../../../inference/src/local/SequencePool.js";

/** Resolves to whether `promise` settled within the current microtasks and one event-loop turn. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

/** A pool whose slots "hold" whatever the test says, as a sequence's KV cache would. */
function pool(slots: number, options: { maxQueued?: number; preempt?: boolean } = {}) {
  const cached: number[][] = Array.from({ length: slots }, () => []);
  const p = new SequencePool({
    slots,
    maxQueued: options.maxQueued ?? 8,
    preempt: options.preempt ?? true,
    cachedTokens: (slot) => cached[slot] ?? [],
  });
  return { pool: p, cached };
}

const live = (): AbortSignal => new AbortController().signal;

/** Two slots: a background request on slot 0, an interactive one on slot 1. */
async function interactiveRunning() {
  const { pool: p } = pool(2, { preempt: false });
  const background = p.join("background", [1]);
  await p.acquire(background, live());
  const interactive = p.join("interactive", [2]);
  await p.acquire(interactive, live());
  return { p, background, interactive };
}

describe("local engine sequence pool", () => {
  it("hands a free slot at once and the next one to a waiting request when it is released", async () => {
    const { pool: p } = pool(1);
    const a = p.join("chat", [1]);
    assert.equal(await p.acquire(a, live()), 0);
    const b = p.join("chat", [2]);
    const waiting = p.acquire(b, live());
    assert.equal(await settlesSoon(waiting), false, "b got a slot that a holds");
    p.release(0, a);
    assert.equal(await waiting, 0);
    assert.equal(p.running, 1);
  });

  it("hands a slot on only when the native work still running on it is done", async () => {
    const { pool: p } = pool(1);
    const a = p.join("chat", [1]);
    await p.acquire(a, live());
    let finishWork!: () => void;
    p.track(0, new Promise<void>((resolve) => (finishWork = resolve)));
    const b = p.join("chat", [2]);
    const waiting = p.acquire(b, live());
    p.release(0, a);
    assert.equal(await settlesSoon(waiting), false, "the slot was handed on while a step still ran on it");
    finishWork();
    assert.equal(await waiting, 0);
  });

  it("tells the scheduler what a released slot's cache holds, so a prompt sharing it is sent there", async () => {
    const { pool: p, cached } = pool(2, { preempt: false });
    const shared = Array.from({ length: 40 }, (_, i) => i);
    const a = p.join("chat", shared);
    const slotA = await p.acquire(a, live());
    const b = p.join("chat", [99]);
    const slotB = await p.acquire(b, live());
    cached[slotA] = shared;
    p.release(slotB, b);
    p.release(slotA, a);
    // slotB was released first, so without the cache it would be the least recently used pick.
    const c = p.join("chat", [...shared, 7]);
    assert.equal(await p.acquire(c, live()), slotA);
  });

  it("a request waits for the slot whose stopped step still runs when its cache is the warm one", async () => {
    const { pool: p, cached } = pool(2);
    const typed = Array.from({ length: 40 }, (_, i) => i);
    const first = p.join("interactive", typed);
    const slot = await p.acquire(first, live());
    cached[slot] = typed.slice(0, 39);
    let finishStep!: () => void;
    p.track(slot, new Promise<void>((resolve) => (finishStep = resolve)));
    // The next keystroke cancels the first request while its step runs natively.
    p.release(slot, first);
    const next = p.join("interactive", [...typed, 40]);
    const waiting = p.acquire(next, live());
    assert.equal(await settlesSoon(waiting), false, "took the cold slot while the warm one was about to be free");
    cached[slot] = typed;
    finishStep();
    assert.equal(await waiting, slot);
  });

  it("a request that stops while it waits leaves the queue and rejects with RequestStopped", async () => {
    const { pool: p } = pool(1);
    const a = p.join("chat", [1]);
    await p.acquire(a, live());
    const stop = new AbortController();
    const b = p.join("chat", [2]);
    const waiting = p.acquire(b, stop.signal);
    assert.equal(p.queued, 1);
    stop.abort();
    await assert.rejects(waiting, RequestStopped);
    assert.equal(p.queued, 0);
  });

  it("refuses a request past the queue limit as busy, and one displaced by a more urgent request", async () => {
    const { pool: p } = pool(1, { maxQueued: 1 });
    const a = p.join("chat", [1]);
    await p.acquire(a, live());
    const b = p.join("background", [2]);
    const waitingB = p.acquire(b, live());
    assert.throws(
      () => p.join("background", [3]),
      (e: unknown) => isEngineError(e, "busy"),
    );
    p.join("interactive", [4]);
    await assert.rejects(waitingB, (e: unknown) => isEngineError(e, "busy") && /more urgent/.test(e.message));
  });

  it("asks a running request of lower priority to give its slot up, and requeues it in its old place", async () => {
    const { pool: p } = pool(1);
    let woken = 0;
    const low = p.join("background", [1]);
    await p.acquire(low, live());
    low.wake = () => woken++;
    const urgent = p.join("interactive", [2]);
    const waiting = p.acquire(urgent, live());
    assert.equal(low.preemptRequested, true);
    assert.equal(woken, 1, "the preempted request was not woken to see it");
    p.requeue(0, low);
    assert.equal(await waiting, 0);
    const back = p.acquire(low, live());
    p.release(0, urgent);
    assert.equal(await back, 0);
  });

  it("pauses a lower-priority request while an interactive one runs, and wakes it when that ends", async () => {
    const { p, background, interactive } = await interactiveRunning();
    assert.equal(p.shouldYield(background), true);
    const paused = p.yieldWhileUrgent(background, live());
    assert.equal(await settlesSoon(paused), false);
    p.release(1, interactive);
    assert.equal(await settlesSoon(paused), true);
  });

  it("closing wakes paused requests and waits for the native work in flight", async () => {
    const { p, background } = await interactiveRunning();
    const paused = p.yieldWhileUrgent(background, live());
    let finishWork!: () => void;
    p.track(1, new Promise<void>((resolve) => (finishWork = resolve)));
    const closing = p.close();
    assert.equal(p.closed, true);
    assert.equal(await settlesSoon(paused), true, "a paused request slept through the shutdown");
    assert.equal(await settlesSoon(closing), false, "closed while a step still ran");
    finishWork();
    await closing;
  });
});
