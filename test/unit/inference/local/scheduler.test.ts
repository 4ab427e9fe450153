import assert from "node:assert/strict";
import type { Priority } from "@bora/inference";
import { Scheduler, SchedulerBusyError, commonPrefixLength } from "../../../../inference/src/local/scheduler.js";

interface TestJob {
  name: string;
  priority: Priority;
  tokens: number[];
}

const job = (name: string, priority: Priority, tokens: number[] = []): TestJob => ({ name, priority, tokens });
const names = (assignments: { job: TestJob; slot: number }[]): string[] =>
  assignments.map((a) => `${a.job.name}@${a.slot}`);

describe("local engine scheduler", () => {
  it("commonPrefixLength counts equal leading tokens", () => {
    assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
    assert.equal(commonPrefixLength([], [1]), 0);
    assert.equal(commonPrefixLength([5, 6], [5, 6, 7]), 2);
  });

  it("hands free slots to waiting jobs by priority, first come first served within one", () => {
    const s = new Scheduler<TestJob>({ slots: 1, maxQueued: 10, preempt: false });
    const a = job("a", "background");
    s.enqueue(a);
    assert.deepEqual(names(s.assign()), ["a@0"]);
    for (const j of [job("b", "background"), job("c", "chat"), job("d", "interactive"), job("e", "chat")]) s.enqueue(j);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      s.release(0, []);
      const [next] = s.assign();
      assert.ok(next);
      order.push(next.job.name);
    }
    assert.deepEqual(order, ["d", "c", "e", "b"]);
  });

  it("picks the free slot whose cached tokens share the longest prefix with the prompt", () => {
    const s = new Scheduler<TestJob>({ slots: 3, maxQueued: 10, preempt: false, minSharedTokens: 2 });
    s.release(0, [1, 2, 3]);
    s.release(1, [7, 8, 9, 10]);
    s.release(2, [7, 8]);
    s.enqueue(job("x", "chat", [7, 8, 9, 11]));
    const [assigned] = s.assign();
    assert.equal(assigned?.slot, 1);
    assert.equal(assigned?.sharedPrefix, 3);
  });

  it("a short shared prefix (a chat-template header) does not take another conversation's cache", () => {
    const s = new Scheduler<TestJob>({ slots: 2, maxQueued: 10, preempt: false, minSharedTokens: 4 });
    s.release(1, [7]);
    s.release(0, [1, 2, 3, 4, 5, 6]);
    s.enqueue(job("other", "chat", [1, 2, 9]));
    assert.deepEqual(names(s.assign()), ["other@1"]);
  });

  it("without a shared prefix takes the least recently used slot, keeping fresh caches", () => {
    const s = new Scheduler<TestJob>({ slots: 3, maxQueued: 10, preempt: false });
    s.release(2, [1]);
    s.release(0, [2]);
    s.release(1, [3]);
    s.enqueue(job("x", "chat", [9]));
    assert.deepEqual(names(s.assign()), ["x@2"]);
  });

  it("waits for a draining slot whose cache shares far more than any free one, then takes it", () => {
    const s = new Scheduler<TestJob>({ slots: 2, maxQueued: 10, preempt: false, minSharedTokens: 4 });
    const document = Array.from({ length: 40 }, (_, i) => i);
    s.enqueue(job("keystroke 1", "interactive", document));
    assert.deepEqual(names(s.assign()), ["keystroke 1@0"]);
    // The next keystroke cancels it; its step still runs natively on slot 0.
    s.draining(0, document.slice(0, 39));
    s.enqueue(job("keystroke 2", "interactive", [...document, 40]));
    assert.deepEqual(names(s.assign()), [], "waits for the warm slot rather than take the cold one");
    s.release(0, document);
    const [assigned] = s.assign();
    assert.equal(assigned?.slot, 0);
    assert.equal(assigned?.sharedPrefix, 40);
  });

  it("takes a free slot at once when a draining one shares little more, or when the free one shares as much", () => {
    const s = new Scheduler<TestJob>({ slots: 3, maxQueued: 10, preempt: false, minSharedTokens: 4 });
    const prompt = Array.from({ length: 40 }, (_, i) => i);
    s.release(1, prompt.slice(0, 30));
    s.enqueue(job("running", "chat", [99]));
    assert.deepEqual(names(s.assign()), ["running@0"]);
    // Draining with 33 shared: 3 more than free slot 1's 30, under the 4 that are worth a wait.
    s.draining(0, prompt.slice(0, 33));
    s.enqueue(job("next", "chat", prompt));
    assert.deepEqual(names(s.assign()), ["next@1"]);
    // A prompt that shares nothing with the draining slot does not wait either.
    s.enqueue(job("unrelated", "chat", [500, 501]));
    assert.deepEqual(names(s.assign()), ["unrelated@2"]);
  });

  it("refuses a job past the queue limit as busy, unless it outranks a waiting one", () => {
    const s = new Scheduler<TestJob>({ slots: 1, maxQueued: 2, preempt: false });
    s.enqueue(job("run", "chat"));
    s.assign();
    s.enqueue(job("b1", "background"));
    s.enqueue(job("b2", "background"));
    assert.throws(() => s.enqueue(job("b3", "background")), SchedulerBusyError);
    const displaced = s.enqueue(job("i", "interactive"));
    assert.deepEqual(
      displaced.map((j) => j.name),
      ["b2"],
      "the newest lowest-priority job makes room",
    );
    assert.equal(s.queued, 2);
    assert.deepEqual(
      s.enqueue(job("c", "chat")).map((j) => j.name),
      ["b1"],
    );
    assert.throws(() => s.enqueue(job("c2", "chat")), /2 requests are already waiting/);
  });

  it("a resumed job is admitted past the limit and keeps its arrival order", () => {
    const s = new Scheduler<TestJob>({ slots: 1, maxQueued: 1, preempt: true });
    const first = job("first", "background");
    s.enqueue(first);
    const order = s.orderOf(first);
    s.assign();
    s.enqueue(job("later", "background"));
    s.release(0, []);
    s.enqueue(first, order);
    assert.equal(s.queued, 2);
    assert.deepEqual(
      s.enqueue(job("urgent", "interactive")).map((j) => j.name),
      ["later"],
      "a resumed job, which already streamed output, is never the one refused",
    );
    s.release(0, []);
    assert.deepEqual(names(s.assign()), ["urgent@0"]);
    s.release(0, []);
    assert.deepEqual(names(s.assign()), ["first@0"]);
  });

  it("preempts the lowest-priority running job, once, when every slot is taken", () => {
    const s = new Scheduler<TestJob>({ slots: 2, maxQueued: 10, preempt: true });
    const chat = job("chat", "chat");
    const bg = job("bg", "background");
    s.enqueue(chat);
    s.enqueue(bg);
    s.assign();
    assert.deepEqual(s.preemptions(), [], "nothing waits");
    s.enqueue(job("i", "interactive"));
    assert.deepEqual(
      s.preemptions().map((j) => j.name),
      ["bg"],
    );
    assert.deepEqual(s.preemptions(), [], "a job is asked to give up its slot only once");
    s.release(1, []);
    assert.deepEqual(names(s.assign()), ["i@1"]);
  });

  it("never preempts for a job of equal or lower priority, nor when preemption is off", () => {
    const s = new Scheduler<TestJob>({ slots: 1, maxQueued: 10, preempt: true });
    s.enqueue(job("chat", "chat"));
    s.assign();
    s.enqueue(job("chat2", "chat"));
    s.enqueue(job("bg", "background"));
    assert.deepEqual(s.preemptions(), []);
    const off = new Scheduler<TestJob>({ slots: 1, maxQueued: 10, preempt: false });
    off.enqueue(job("bg", "background"));
    off.assign();
    off.enqueue(job("i", "interactive"));
    assert.deepEqual(off.preemptions(), []);
  });

  it("non-interactive jobs yield while an interactive one runs", () => {
    const s = new Scheduler<TestJob>({ slots: 3, maxQueued: 10, preempt: true });
    const bg = job("bg", "background");
    const chat = job("chat", "chat");
    const inter = job("i", "interactive");
    s.enqueue(bg);
    s.enqueue(chat);
    s.assign();
    assert.equal(s.shouldYield(bg), false);
    s.enqueue(inter);
    const [assigned] = s.assign();
    assert.equal(s.shouldYield(bg), true);
    assert.equal(s.shouldYield(chat), true);
    assert.equal(s.shouldYield(inter), false);
    s.release(assigned?.slot ?? -1, []);
    assert.equal(s.shouldYield(bg), false);
  });

  it("withdraws an aborted waiting job", () => {
    const s = new Scheduler<TestJob>({ slots: 1, maxQueued: 10, preempt: false });
    const a = job("a", "chat");
    s.enqueue(a);
    assert.equal(s.withdraw(a), true);
    assert.equal(s.withdraw(a), false);
    assert.deepEqual(s.assign(), []);
  });

  it("refuses a context without slots", () => {
    assert.throws(() => new Scheduler<TestJob>({ slots: 0, maxQueued: 1, preempt: false }), RangeError);
  });
});
