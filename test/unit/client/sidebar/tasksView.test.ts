import assert from "node:assert/strict";
import {
  actionsOf,
  newsOf,
  taskNodes,
  teamTasksLive,
  waitingCount,
  type TaskRow,
} from "../../../../client/src/sidebar/tasksView.js";

function task(over: Partial<TaskRow> = {}): TaskRow {
  return { taskId: "t1", kind: "issueToPr", title: "acme/shop#1: Discount", status: "running", createdAt: 1, ...over };
}

describe("the Tasks tree (pure view)", () => {
  it("puts the tasks that need the user first, then running, then finished, newest first", () => {
    const nodes = taskNodes([
      task({ taskId: "done", status: "completed", state: "done", createdAt: 5 }),
      task({ taskId: "run-old", status: "running", createdAt: 1 }),
      task({ taskId: "wait", status: "waiting", state: "waiting", createdAt: 2 }),
      task({ taskId: "run-new", status: "running", createdAt: 3 }),
    ]);
    assert.deepEqual(
      nodes.map((n) => [n.label, n.kind === "section" ? n.children.map((c) => c.id) : []]),
      [
        ["Needs you", ["wait"]],
        ["Running", ["run-new", "run-old"]],
        ["Finished", ["done"]],
      ],
    );
    assert.deepEqual(taskNodes([]), [], "no empty sections");
  });

  it("offers the actions that apply: approve and deny while a durable task waits, retry when failed, Open PR with a PR", () => {
    assert.deepEqual(actionsOf(task({ status: "waiting", state: "waiting" })), [
      "task",
      "transcript",
      "approve",
      "deny",
      "cancel",
      "handoff",
    ]);
    assert.deepEqual(actionsOf(task({ status: "failed", state: "failed", branch: "bora/x", worktree: "/w/t1" })), [
      "task",
      "transcript",
      "retry",
      "checkout",
      "handoff",
    ]);
    assert.ok(actionsOf(task({ status: "completed", pr: { url: "u", number: 1, draft: false } })).includes("openPr"));
    assert.ok(
      !actionsOf(task({ kind: "free", status: "waiting" })).includes("approve"),
      "a chat task answers in the chat",
    );
  });

  it("offers Hand Off to Team for this host's unfinished tasks, and Check Out Locally where a worktree is or can be made", () => {
    assert.ok(actionsOf(task({ status: "running", state: "running" })).includes("handoff"));
    assert.ok(!actionsOf(task({ status: "completed", state: "done" })).includes("handoff"), "an ended task stays");
    assert.ok(!actionsOf(task({ kind: "free", status: "running" })).includes("handoff"), "a chat task is the editor's");
    assert.ok(
      !actionsOf(task({ status: "running", state: "running", branch: "bora/x" })).includes("checkout"),
      "a task of this host without its worktree has nothing to open",
    );
    // A team task: answered, cancelled and checked out from here; never handed off again; no local transcript.
    const team = task({ status: "waiting", state: "waiting", branch: "bora/x", team: true });
    assert.deepEqual(actionsOf(team), ["task", "approve", "deny", "cancel", "checkout"]);
    const [section] = taskNodes([{ ...team, executor: "worker-1" }]);
    const node = section!.kind === "section" ? section!.children[0]! : undefined;
    assert.match(node?.kind === "task" ? node.description : "", /^team · /);
    assert.match(node?.kind === "task" ? node.tooltip : "", /Runs on: worker-1 \(the team's queue\)/);
  });

  it("lists again while a team task may still change (no update of it comes), and stops once they have ended", () => {
    assert.equal(teamTasksLive([task({ team: true, status: "waiting" })]), true);
    assert.equal(teamTasksLive([task({ team: true, status: "queued" })]), true);
    assert.equal(teamTasksLive([task({ team: true, status: "completed" }), task({ status: "running" })]), false);
  });

  it("describes a durable task by its step and reason, and a tool call it waits on in the tooltip", () => {
    const [section] = taskNodes([
      task({
        status: "waiting",
        state: "waiting",
        step: "agent.approval",
        reason: "waiting for input: may it run_command npm install?",
        approval: { id: "1:c1", tool: "run_command", summary: "npm install", reason: "policy for run_command: ask" },
      }),
    ]);
    const node = section!.kind === "section" ? section!.children[0]! : undefined;
    assert.equal(
      node?.kind === "task" ? node.description : "",
      "[agent.approval] waiting for input: may it run_command npm install?",
    );
    assert.match(
      node?.kind === "task" ? node.tooltip : "",
      /Asks to run_command: npm install \(policy for run_command: ask\)/,
    );
  });

  it("counts the tasks waiting for the user for the badge", () => {
    assert.equal(
      waitingCount([task({ status: "waiting" }), task({ status: "running" }), task({ status: "waiting" })]),
      2,
    );
  });

  it("tells the user once when a durable task needs them, opens a PR or fails; never for a step forward or a chat task", () => {
    const running = task({ status: "running", state: "running", step: "agent" });
    assert.equal(newsOf(running, { ...running, step: "checks" }), undefined);
    const waiting = {
      ...running,
      status: "waiting" as const,
      state: "waiting" as const,
      reason: "waiting for approval",
    };
    assert.equal(newsOf(running, waiting)?.kind, "needsYou");
    assert.equal(newsOf(waiting, waiting), undefined, "the same state again is no news");
    const asked = { ...waiting, approval: { id: "2:c9", tool: "run_command", summary: "x", reason: "r" } };
    assert.equal(newsOf(waiting, asked)?.kind, "needsYou", "a new question is news");
    const done = {
      ...running,
      status: "completed" as const,
      state: "done" as const,
      pr: { url: "u", number: 3, draft: false },
    };
    assert.equal(newsOf(running, done)?.message, "Bora: acme/shop#1: Discount: pull request opened");
    assert.equal(
      newsOf(running, { ...running, status: "failed", state: "failed", reason: "push refused" })?.kind,
      "failed",
    );
    assert.equal(newsOf(undefined, task({ kind: "free", status: "completed" })), undefined);
  });
});
