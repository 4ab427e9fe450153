import assert from "node:assert/strict";
import type { TaskItem, TaskUpdatedParams } from "@bora/protocol";
import { MAX_ENDED_TASKS, TaskStore, answerOf, type TaskState } from "../../../../client/src/tasks/taskStore.js";

function update(overrides: Partial<TaskUpdatedParams> = {}): TaskUpdatedParams {
  return {
    taskId: "t1",
    seq: 1,
    kind: "explain",
    title: "Explain sum.ts:5-9",
    status: "running",
    turn: 1,
    tokens: { prompt: 0, completion: 0 },
    elapsedMs: 10,
    root: "file:///work/app",
    transcript: "/state/t1.jsonl",
    from: 0,
    items: [],
    ...overrides,
  };
}

const text = (t: string, turn = 1): TaskItem => ({ type: "text", turn, text: t });

describe("task store", () => {
  it("keeps the rows before `from` and replaces the rest with the update's items", () => {
    const store = new TaskStore();
    store.apply(update({ seq: 1, from: 0, items: [text("This")] }));
    store.apply(
      update({
        seq: 2,
        from: 0,
        items: [
          text("This adds"),
          { type: "tool", id: "c1", turn: 1, name: "read_file", summary: "a.ts", state: "running" },
        ],
      }),
    );
    store.apply(
      update({
        seq: 3,
        from: 1,
        items: [
          { type: "tool", id: "c1", turn: 1, name: "read_file", summary: "a.ts", state: "ok", ms: 3 },
          text("Then", 2),
        ],
      }),
    );
    const items = store.get("t1")!.items;
    assert.equal(items.length, 3);
    assert.deepEqual(items[0], text("This adds"));
    assert.equal(items[1]?.type === "tool" && items[1].state, "ok");
    assert.deepEqual(items[2], text("Then", 2));
  });

  it("ignores an update older than, or as old as, one it has", () => {
    const store = new TaskStore();
    assert.equal(store.apply(update({ seq: 5, status: "completed", items: [text("done")] })), true);
    assert.equal(store.apply(update({ seq: 4, status: "running", items: [text("late")] })), false);
    assert.equal(store.apply(update({ seq: 5, status: "running" })), false);
    assert.equal(store.get("t1")!.status, "completed");
    assert.deepEqual(store.get("t1")!.items, [text("done")]);
  });

  it("lists live, waiting and ended tasks", () => {
    const store = new TaskStore();
    store.apply(update({ taskId: "a", status: "running" }));
    store.apply(update({ taskId: "b", status: "waiting" }));
    store.apply(update({ taskId: "c", status: "completed" }));
    store.apply(update({ taskId: "d", status: "queued" }));
    store.apply(update({ taskId: "e", status: "cancelled" }));
    assert.deepEqual(
      store.live().map((t) => t.taskId),
      ["a", "b", "d"],
    );
    assert.deepEqual(
      store.waiting().map((t) => t.taskId),
      ["b"],
    );
    assert.deepEqual(
      store.ended().map((t) => t.taskId),
      ["c", "e"],
    );
  });

  it("tells its listeners about each change, and stops when disposed", () => {
    const store = new TaskStore();
    const seen: TaskState[] = [];
    const listening = store.onDidChange((task) => seen.push(task));
    store.apply(update({ seq: 1 }));
    store.apply(update({ seq: 1 }));
    store.apply(update({ seq: 2, status: "completed" }));
    listening.dispose();
    store.apply(update({ seq: 3 }));
    assert.deepEqual(
      seen.map((t) => [t.seq, t.status]),
      [
        [1, "running"],
        [2, "completed"],
      ],
    );
  });

  it("forgets the oldest ended tasks beyond its bound, never a live one", () => {
    const store = new TaskStore();
    store.apply(update({ taskId: "live", status: "running" }));
    for (let i = 0; i < MAX_ENDED_TASKS + 3; i++) store.apply(update({ taskId: `e${i}`, status: "completed" }));
    assert.equal(store.ended().length, MAX_ENDED_TASKS);
    assert.equal(store.get("e0"), undefined);
    assert.ok(store.get(`e${MAX_ENDED_TASKS + 2}`));
    assert.ok(store.get("live"));
  });

  it("answers the outcome's answer once ended, else the last text row", () => {
    const store = new TaskStore();
    store.apply(update({ items: [text("first"), { type: "notice", text: "n" }, text("second", 2)] }));
    assert.equal(answerOf(store.get("t1")!), "second");
    store.apply(
      update({
        seq: 2,
        status: "completed",
        from: 3,
        items: [],
        outcome: { ok: true, runStatus: "completed", reason: "", answer: "final", summary: "", changes: [] },
      }),
    );
    assert.equal(answerOf(store.get("t1")!), "final");
  });
});
