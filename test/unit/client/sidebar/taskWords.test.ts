import assert from "node:assert/strict";
import { editorReason, isStaleNeed, needKey } from "../../../../client/src/sidebar/taskWords.js";
import { newsOf, taskNodes, type TaskRow } from "../../../../client/src/sidebar/tasksView.js";

function task(over: Partial<TaskRow> = {}): TaskRow {
  return {
    taskId: "t1",
    kind: "issueToPr",
    title: "Issue to PR: acme/shop#1",
    status: "waiting",
    state: "waiting",
    step: "approval",
    reason: "waiting for approval: bora tasks approve t1",
    createdAt: 1,
    ...over,
  };
}

describe("the Tasks tree in the editor's words", () => {
  it("says where to answer a waiting task in the editor, not the CLI's command", () => {
    assert.equal(
      editorReason("waiting for approval: bora tasks approve wf-1a2b"),
      "waiting for approval: Approve or Deny it in the Tasks view",
    );
    assert.equal(
      editorReason("waiting for input: may it run_command npm install? bora tasks approve wf-1a2b [--deny]"),
      "waiting for input: may it run_command npm install? Approve or Deny it in the Tasks view",
    );
    assert.equal(editorReason("push refused"), "push refused", "other reasons are kept");

    const [section] = taskNodes([task()]);
    const node = section?.kind === "section" ? section.children[0] : undefined;
    assert.ok(node?.kind === "task");
    assert.equal(node.label, "Issue to PR: acme/shop#1");
    assert.equal(node.description, "[approval] waiting for approval: Approve or Deny it in the Tasks view");
    assert.doesNotMatch(node.tooltip, /bora tasks/);
    assert.equal(
      newsOf(task({ status: "running", state: "running", step: "agent" }), task())?.message,
      "Bora: Issue to PR: acme/shop#1 needs you: waiting for approval: Approve or Deny it in the Tasks view",
    );
  });

  it("knows a needs-you notification is stale once the task stopped waiting or waits on another question", () => {
    const shown = task({ approval: { id: "1:c1", tool: "run_command", summary: "npm i", reason: "ask" } });
    assert.equal(isStaleNeed(shown, shown), false);
    assert.equal(isStaleNeed(shown, { ...shown, status: "running", state: "running" }), true, "answered elsewhere");
    assert.equal(isStaleNeed(shown, undefined), true, "gone");
    assert.equal(
      isStaleNeed(shown, { ...shown, approval: { id: "2:c7", tool: "run_command", summary: "x", reason: "ask" } }),
      true,
      "another question since",
    );
  });

  it("keys a needs-you by task and question, so a replayed update of one already shown is not shown again", () => {
    assert.equal(needKey(task()), needKey({ ...task(), reason: "replayed" }));
    assert.notEqual(needKey(task()), needKey(task({ taskId: "t2" })));
    assert.notEqual(
      needKey(task({ approval: { id: "1:c1", tool: "t", summary: "s", reason: "r" } })),
      needKey(task({ approval: { id: "1:c2", tool: "t", summary: "s", reason: "r" } })),
    );
  });
});
