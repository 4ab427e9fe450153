import assert from "node:assert/strict";
import { SerialQueue } from "@bora/protocol";

describe("SerialQueue", () => {
  it("runs steps one at a time, in the order they were queued", async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = queue.run(async () => {
      log.push("first starts");
      await gate;
      log.push("first ends");
      return 1;
    });
    const second = queue.run(() => {
      log.push("second runs");
      return Promise.resolve(2);
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ["first starts"], "the second waits for the first");
    release();
    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
    assert.deepEqual(log, ["first starts", "first ends", "second runs"]);
  });

  it("goes on after a step that fails, which fails on its own", async () => {
    const queue = new SerialQueue();
    const failed = queue.run(() => Promise.reject(new Error("boom")));
    const after = queue.run(() => Promise.resolve("after"));
    await assert.rejects(failed, /boom/);
    assert.equal(await after, "after");
    await queue.idle();
  });
});
