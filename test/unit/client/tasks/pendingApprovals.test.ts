import assert from "node:assert/strict";
import { PendingApprovals } from "../../../../client/src/tasks/pendingApprovals.js";

const params = (taskId: string) => ({ taskId, tool: "run_command", summary: "npm test", reason: "ask" });

describe("approvals the chat can answer", () => {
  it("resolves with the first answer and ignores a second one", async () => {
    const approvals = new PendingApprovals();
    const decided = approvals.ask(params("a"));
    assert.equal(approvals.has("a"), true);
    assert.equal(approvals.answer("a", "always"), true);
    assert.equal(approvals.answer("a", "deny"), false, "the notification's later click does not count");
    assert.equal(await decided, "always");
    assert.equal(approvals.has("a"), false);
  });

  it("keeps tasks apart and tells listeners of every change", async () => {
    const approvals = new PendingApprovals();
    let changes = 0;
    approvals.onDidChange(() => changes++);
    const a = approvals.ask(params("a"));
    const b = approvals.ask(params("b"));
    approvals.answer("b", "once");
    assert.equal(await b, "once");
    assert.equal(approvals.has("a"), true);
    approvals.answer("a", "deny");
    assert.equal(await a, "deny");
    assert.equal(changes, 4);
  });

  it("denies an approval left open when the same task asks again", async () => {
    const approvals = new PendingApprovals();
    const first = approvals.ask(params("a"));
    const second = approvals.ask(params("a"));
    assert.equal(await first, "deny");
    approvals.answer("a", "once");
    assert.equal(await second, "once");
  });
});
