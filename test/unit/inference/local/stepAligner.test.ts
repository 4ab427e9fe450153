import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { StepAligner, type AlignedMember } from "../../../../inference/src/local/stepAligner.js";

/** Resolves to whether `promise` settled within the current macrotask's microtasks and one turn. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe("local engine step aligner", () => {
  it("lets a lone member step at once", async () => {
    const aligner = new StepAligner(1000, true);
    const a = aligner.join();
    assert.equal(await settlesSoon(a.ready()), true);
    assert.deepEqual(aligner.stats, { groups: 1, steps: 1, timedOut: 0 });
  });

  it("holds the first ready members until the last one is ready, then releases them together", async () => {
    const aligner = new StepAligner(1000, true);
    const members = [aligner.join(), aligner.join(), aligner.join(), aligner.join()];
    const early = members.slice(0, 3).map((m) => m.ready());
    assert.equal(await settlesSoon(Promise.race(early)), false, "released before the fourth member was ready");
    const last = (members[3] as AlignedMember).ready();
    assert.equal(await settlesSoon(Promise.all([...early, last])), true);
    assert.deepEqual(aligner.stats, { groups: 1, steps: 4, timedOut: 0 });
  });

  it("waits for a member whose step is still decoding, however long that takes", async () => {
    const aligner = new StepAligner(5, true);
    const [a, b] = [aligner.join(), aligner.join()];
    await Promise.all([a.ready(), b.ready()]);
    // a's step comes back; b's is still in the native batch, far longer than the grace period.
    a.stepped();
    const again = a.ready();
    await sleep(30);
    assert.equal(await settlesSoon(again), false, "a went ahead while b was still decoding");
    b.stepped();
    const bAgain = b.ready();
    assert.equal(await settlesSoon(Promise.all([again, bAgain])), true);
    assert.equal(aligner.stats.timedOut, 0);
  });

  it("waits at most the grace period for a member that is not decoding (a slow consumer)", async () => {
    const aligner = new StepAligner(5, true);
    const a = aligner.join();
    aligner.join(); // never gets ready
    const started = performance.now();
    await a.ready();
    const waited = performance.now() - started;
    assert.ok(waited >= 4, `released after ${waited.toFixed(1)} ms, before the grace period`);
    assert.ok(waited < 500, `held for ${waited.toFixed(1)} ms`);
    assert.deepEqual(aligner.stats, { groups: 1, steps: 1, timedOut: 1 });
  });

  it("releases the others when a member leaves, and frees a member that leaves while it waits", async () => {
    const aligner = new StepAligner(1000, true);
    const [a, b, c] = [aligner.join(), aligner.join(), aligner.join()];
    const aReady = a.ready();
    const bReady = b.ready();
    assert.equal(await settlesSoon(Promise.race([aReady, bReady])), false);
    c.leave();
    assert.equal(await settlesSoon(Promise.all([aReady, bReady])), true);
    a.stepped();
    b.stepped();

    // b is aborted while it waits for a: its wait ends, and a no longer waits for it.
    const bWaits = b.ready();
    b.leave();
    assert.equal(await settlesSoon(bWaits), true);
    assert.equal(aligner.members, 1);
    assert.equal(await settlesSoon(a.ready()), true);
  });

  it("takes a member back after it left (a paused request resuming)", async () => {
    const aligner = new StepAligner(1000, true);
    const [a, b] = [aligner.join(), aligner.join()];
    b.leave();
    assert.equal(await settlesSoon(a.ready()), true);
    a.stepped();
    const bBack = b.ready();
    const aNext = a.ready();
    assert.equal(await settlesSoon(Promise.all([aNext, bBack])), true);
    assert.equal(aligner.members, 2);
    assert.equal(aligner.stats.steps, 3);
  });

  it("when disabled, lets every step go at once, each a group of its own", async () => {
    const aligner = new StepAligner(1000, false);
    const [a, b] = [aligner.join(), aligner.join()];
    assert.equal(await settlesSoon(a.ready()), true);
    assert.equal(await settlesSoon(b.ready()), true);
    assert.deepEqual(aligner.stats, { groups: 2, steps: 2, timedOut: 0 });
  });

  it("reports its choice: forced on, forced off, or measured (the default, unaligned until measured)", () => {
    assert.deepEqual(new StepAligner(1000, true).state, { choice: true, aligning: true });
    assert.deepEqual(new StepAligner(1000, false).state, { choice: false, aligning: false });
    assert.deepEqual(new StepAligner(1000).state, {
      choice: "measured",
      aligning: false,
      decisions: { windows: 0, explored: 0, switches: 0 },
    });
  });

  it("runs a forced mode over the measured choice, teaches the policy nothing meanwhile, and goes back to it", async () => {
    const aligner = new StepAligner(1000);
    aligner.force(true);
    const [a, b] = [aligner.join(), aligner.join()];
    const aReady = a.ready();
    // Forced aligned: the first member waits for the second although the policy starts unaligned.
    assert.equal(await settlesSoon(aReady), false);
    assert.equal(await settlesSoon(Promise.all([aReady, b.ready()])), true);
    assert.equal(aligner.state.aligning, true);
    // Long enough for several windows (`MIN_WINDOW_MS`) had the policy been fed.
    for (const until = performance.now() + 200; performance.now() < until;) {
      a.stepped();
      b.stepped();
      await Promise.all([a.ready(), b.ready()]);
    }
    assert.equal(aligner.state.decisions?.windows, 0, "no window was measured while forced");
    aligner.force(undefined);
    assert.equal(aligner.state.aligning, false);
    a.stepped();
    // Measured again (unaligned until measured): a member steps without waiting for the other.
    assert.equal(await settlesSoon(a.ready()), true);
  });
});
