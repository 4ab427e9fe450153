import assert from "node:assert/strict";
import type { DurableCtx, TaskStatusRecord } from "../../../../server/src/workflows/durable.js";
import {
  carriedRecvStep,
  operationsToCarry,
  replayingCtx,
  type RecordedOperation,
} from "../../../../server/src/workflows/handoff.js";

/** A ctx that records like the engine does: each step's output under its name, in order; messages from a queue. */
function memoryCtx(messages: unknown[] = []) {
  const recorded: { name: string; output: unknown }[] = [];
  const ctx: DurableCtx = {
    workflowId: "task-1",
    async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const output = await fn();
      recorded.push({ name, output });
      return output;
    },
    recv<T>(): Promise<T | null> {
      return Promise.resolve((messages.shift() as T | undefined) ?? null);
    },
    setStatus: (_status: TaskStatusRecord) => Promise.resolve(),
  };
  return { ctx, recorded };
}

const ENGINE = { recvName: "DBOS.recv", ownPrefix: "DBOS." };

describe("handoff: a task carried to another workflow database as its recorded operations", () => {
  it("carries the workflow's steps and receives in order, leaving out the engine's bookkeeping", () => {
    const carried = operationsToCarry(
      [
        { name: "fetchItem", output: { key: "acme/shop#1" }, error: null },
        { name: "DBOS.setEvent", output: undefined, error: null },
        { name: "worktree", output: { dir: "/home/dev/wt" }, error: null },
        { name: "DBOS.sleep", output: 1234, error: null },
        { name: "DBOS.recv", output: { approved: true }, error: null },
        { name: "DBOS.recv", output: undefined, error: null },
      ],
      ENGINE,
    );
    assert.deepEqual(carried, [
      { kind: "step", name: "fetchItem", output: { key: "acme/shop#1" } },
      { kind: "step", name: "worktree", output: { dir: "/home/dev/wt" } },
      { kind: "recv", name: "DBOS.recv", output: { approved: true } },
      { kind: "recv", name: "DBOS.recv", output: null },
    ]);
  });

  it("stops before the first failed step, so that it runs again where the task continues", () => {
    const carried = operationsToCarry(
      [
        { name: "fetchItem", output: { key: "x" }, error: null },
        { name: "push", output: undefined, error: new Error("the remote refused the token") },
        { name: "DBOS.recv", output: { retry: true }, error: null },
        { name: "push", output: null, error: null },
      ],
      ENGINE,
    );
    assert.deepEqual(
      carried.map((op) => op.name),
      ["fetchItem"],
    );
  });

  it("answers carried steps from the record without running them, then runs live; each answer is recorded again", async () => {
    const record: RecordedOperation[] = [
      { kind: "step", name: "fetchItem", output: { key: "acme/shop#1" } },
      { kind: "recv", name: "DBOS.recv", output: { approved: true } },
      { kind: "step", name: "agent.modelTurn", output: { text: "turn 1" } },
    ];
    const { ctx, recorded } = memoryCtx([{ approved: false }]);
    const replaying = replayingCtx(ctx, record);
    const ran: string[] = [];
    const run = (name: string) => () => {
      ran.push(name);
      return Promise.resolve(`${name} live`);
    };
    assert.deepEqual(await replaying.step("fetchItem", run("fetchItem")), { key: "acme/shop#1" });
    assert.deepEqual(await replaying.recv("approval", 1000), { approved: true });
    assert.deepEqual(await replaying.step("agent.modelTurn", run("agent.modelTurn")), { text: "turn 1" });
    assert.deepEqual(ran, [], "no carried step ran again");
    assert.equal(await replaying.step("agent.executeCall", run("agent.executeCall")), "agent.executeCall live");
    assert.deepEqual(
      await replaying.recv("approval", 1000),
      { approved: false },
      "a receive past the record waits live",
    );
    assert.deepEqual(ran, ["agent.executeCall"]);
    assert.deepEqual(
      recorded.map((r) => r.name),
      ["fetchItem", carriedRecvStep("approval"), "agent.modelTurn", "agent.executeCall"],
      "the continuing host records the carried answers as its own steps",
    );
  });

  it("refuses a record whose next operation is not the step the task asks for", async () => {
    const { ctx } = memoryCtx();
    const replaying = replayingCtx(ctx, [{ kind: "step", name: "fetchItem", output: {} }]);
    await assert.rejects(
      () => replaying.step("worktree", () => Promise.resolve({})),
      /does not match this task's steps at operation 1: it holds step fetchItem, the task asked for step worktree/,
    );
    const other = replayingCtx(memoryCtx().ctx, [{ kind: "recv", name: "DBOS.recv", output: null }]);
    await assert.rejects(() => other.step("fetchItem", () => Promise.resolve({})), /holds recv DBOS.recv/);
  });
});
