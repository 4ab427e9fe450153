import assert from "node:assert/strict";
import { once } from "node:events";
import { isEngineError } from "../../../inference/src/errors.js";
import {
  RequestControl,
  RequestStopped,
  deadlineError,
  type DeadlineTimers,
} from "../../../inference/src/requestControl.js";

/** Timers that fire only when the test says so, and say which are still set. */
class ManualTimers implements DeadlineTimers {
  private readonly set = new Map<number, () => void>();
  private ids = 0;

  setTimeout(callback: () => void): unknown {
    const id = ++this.ids;
    this.set.set(id, callback);
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.set.delete(handle as number);
  }

  get pending(): number {
    return this.set.size;
  }

  fire(): void {
    for (const [id, callback] of [...this.set]) {
      this.set.delete(id);
      callback();
    }
  }
}

/** Node's count of live `setTimeout` handles: a handle left behind keeps it up. */
const liveTimeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

function assertDeadlineError(control: RequestControl, ms: number): void {
  assert.throws(
    () => control.throwIfPastDeadline(),
    (error: unknown) => isEngineError(error, "deadline") && error.message.includes(`deadline of ${ms} ms`),
  );
}

describe("request control (deadline and abort)", () => {
  it("a deadline that passes stops the request with cause deadline and the deadline error", async () => {
    const control = new RequestControl(undefined, 1);
    await once(control.signal, "abort");
    assert.equal(control.stopped, true);
    assert.equal(control.cause, "deadline");
    assertDeadlineError(control, 1);
    assert.ok(isEngineError(control.signal.reason, "deadline"), "the signal's reason is the deadline error");
  });

  it("the caller's abort stops the request with cause aborted, and no deadline error", () => {
    const timers = new ManualTimers();
    const caller = new AbortController();
    const control = new RequestControl(caller.signal, 50, timers);
    assert.equal(control.stopped, false);
    caller.abort("user");
    assert.equal(control.cause, "aborted");
    assert.equal(control.signal.reason, "user");
    assert.doesNotThrow(() => control.throwIfPastDeadline());
  });

  it("a caller's signal that is already aborted stops the request at once, and sets no timer", () => {
    const timers = new ManualTimers();
    const control = new RequestControl(AbortSignal.abort(), 50, timers);
    assert.equal(control.cause, "aborted");
    assert.equal(control.signal.aborted, true);
    assert.equal(timers.pending, 0);
  });

  it("the first cause wins: an abort before the deadline stays an abort, and clears the timer", () => {
    const timers = new ManualTimers();
    const caller = new AbortController();
    const control = new RequestControl(caller.signal, 50, timers);
    caller.abort();
    assert.equal(timers.pending, 0, "the deadline timer outlived the abort");
    timers.fire();
    control.close();
    assert.equal(control.cause, "aborted");
    assert.doesNotThrow(() => control.throwIfPastDeadline());
  });

  it("the first cause wins: a deadline before the abort stays a deadline", () => {
    const timers = new ManualTimers();
    const caller = new AbortController();
    const control = new RequestControl(caller.signal, 50, timers);
    timers.fire();
    caller.abort();
    // Engines close every request when it ends; that must not hide the deadline either.
    control.close();
    assert.equal(control.cause, "deadline");
    assertDeadlineError(control, 50);
  });

  it("the engine's own close is neither an abort nor a deadline", () => {
    const timers = new ManualTimers();
    const control = new RequestControl(new AbortController().signal, 50, timers);
    control.close("disposed");
    assert.equal(control.cause, "closed");
    assert.equal(control.signal.reason, "disposed");
    assert.equal(timers.pending, 0);
    assert.doesNotThrow(() => control.throwIfPastDeadline());
  });

  it("ending the request clears the timer and stops listening to the caller: no handle is left", () => {
    const timers = new ManualTimers();
    const caller = new AbortController();
    const control = new RequestControl(caller.signal, 50, timers);
    assert.equal(timers.pending, 1);
    control.dispose();
    assert.equal(timers.pending, 0);
    caller.abort();
    assert.equal(control.stopped, false, "a disposed control still listened to the caller's signal");
  });

  it("with the real timers, dispose leaves no live timeout behind", () => {
    const before = liveTimeouts();
    const control = new RequestControl(undefined, 60_000);
    assert.equal(liveTimeouts(), before + 1);
    control.dispose();
    assert.equal(liveTimeouts(), before);
  });

  it("race resolves with the promise while the request runs, and rejects with RequestStopped once it stops", async () => {
    const caller = new AbortController();
    const control = new RequestControl(caller.signal);
    assert.equal(await control.race(Promise.resolve(7)), 7);
    const never = new Promise<number>(() => undefined);
    const raced = control.race(never);
    caller.abort();
    await assert.rejects(raced, RequestStopped);
    await assert.rejects(control.race(Promise.resolve(1)), RequestStopped);
  });

  it("deadlineError says which deadline passed and what to do", () => {
    const error = deadlineError(250);
    assert.equal(error.code, "deadline");
    assert.match(error.message, /deadline of 250 ms; raise the deadline or ask for less output/);
  });
});
