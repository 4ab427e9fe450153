import assert from "node:assert/strict";
import type { TaskChange, TaskUpdatedParams } from "@bora/protocol";
import {
  Reviews,
  baseUriParts,
  finishedMessage,
  hasPending,
  markKept,
  markUndone,
  parseBaseUri,
  pendingPaths,
  reviewOf,
  type Review,
} from "../../../../client/src/tasks/review.js";
import { TaskStore } from "../../../../client/src/tasks/taskStore.js";

const changes: TaskChange[] = [
  { status: "modified", path: "src/cart.js", uri: "file:///w/src/cart.js" },
  { status: "added", path: "test/cart.test.js", uri: "file:///w/test/cart.test.js" },
  { status: "deleted", path: "old.js", uri: "file:///w/old.js" },
];

function update(overrides: Partial<TaskUpdatedParams>): TaskUpdatedParams {
  return {
    taskId: "t1",
    seq: 1,
    kind: "free",
    title: "Fix the cart",
    status: "running",
    turn: 1,
    tokens: { prompt: 0, completion: 0 },
    elapsedMs: 0,
    root: "file:///w",
    transcript: "/s/t1.jsonl",
    from: 0,
    items: [],
    ...overrides,
  };
}

const ended = (taskChanges: TaskChange[], seq = 2, taskId = "t1"): TaskUpdatedParams =>
  update({
    taskId,
    seq,
    status: "completed",
    outcome: { ok: true, runStatus: "completed", reason: "", answer: "done", summary: "", changes: taskChanges },
  });

describe("review of a task's changes", () => {
  it("is made once, when a task ends with changes, and never for a live task or one that changed nothing", () => {
    const tasks = new TaskStore();
    const reviews = new Reviews(tasks);
    const seen: [string, boolean][] = [];
    reviews.onDidChange((review, isNew) => seen.push([review.taskId, isNew]));
    tasks.apply(update({ seq: 1 }));
    tasks.apply(ended([], 2, "quiet"));
    assert.equal(reviews.latest(), undefined);
    tasks.apply(ended(changes));
    tasks.apply(ended(changes, 3));
    assert.deepEqual(seen, [["t1", true]]);
    assert.deepEqual(
      reviews.latest()!.rows.map((r) => [r.path, r.state]),
      [
        ["src/cart.js", "pending"],
        ["test/cart.test.js", "pending"],
        ["old.js", "pending"],
      ],
    );
  });

  it("keeps one row or all pending ones, and undoes only what the host restored", () => {
    const store = new TaskStore();
    store.apply(ended(changes));
    let review: Review = reviewOf(store.get("t1")!)!;
    review = markKept(review, "old.js");
    assert.deepEqual(pendingPaths(review), ["src/cart.js", "test/cart.test.js"]);
    assert.deepEqual(pendingPaths(review, "old.js"), []);
    review = markUndone(review, [changes[0]!]);
    assert.deepEqual(
      review.rows.map((r) => r.state),
      ["undone", "pending", "kept"],
    );
    assert.equal(hasPending(review), true);
    review = markKept(review);
    assert.deepEqual(
      review.rows.map((r) => r.state),
      ["undone", "kept", "kept"],
    );
    assert.equal(hasPending(review), false);
  });

  it("updates a review in place and lists the open ones", () => {
    const tasks = new TaskStore();
    const reviews = new Reviews(tasks);
    tasks.apply(ended(changes, 2, "a"));
    tasks.apply(ended(changes, 2, "b"));
    reviews.update("a", (r) => markKept(r));
    assert.deepEqual(
      reviews.open().map((r) => r.taskId),
      ["b"],
    );
    assert.equal(reviews.latest()!.taskId, "b");
  });

  it("words the notification with the count, the ending and the title", () => {
    const store = new TaskStore();
    store.apply(ended(changes));
    const task = store.get("t1")!;
    assert.equal(finishedMessage(task, reviewOf(task)!), "Bora: Task finished: 3 files changed (Fix the cart).");
    store.apply({ ...ended(changes.slice(0, 1), 3), status: "cancelled" });
    const cancelled = store.get("t1")!;
    assert.equal(
      finishedMessage(cancelled, reviewOf(cancelled)!),
      "Bora: Task was cancelled: 1 file changed (Fix the cart).",
    );
  });

  it("addresses a base document by task and path, and reads the address back", () => {
    const parts = baseUriParts({ taskId: "2026-a b", path: "src/my file.ts", empty: false });
    assert.equal(parts.scheme, "bora-base");
    assert.equal(parts.path, "/src/my file.ts");
    assert.deepEqual(parseBaseUri(parts.path, parts.query), {
      taskId: "2026-a b",
      path: "src/my file.ts",
      empty: false,
    });
    const empty = baseUriParts({ taskId: "t", path: "a.js", empty: true });
    assert.equal(parseBaseUri(empty.path, empty.query)?.empty, true);
    assert.equal(parseBaseUri("/a.js", ""), undefined);
    assert.equal(parseBaseUri("/", "task=t"), undefined);
  });
});
