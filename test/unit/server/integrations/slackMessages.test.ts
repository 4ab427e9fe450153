import assert from "node:assert/strict";
import { buildNotice, escapeMrkdwn } from "../../../../server/src/integrations/slack/messages.js";

describe("Slack notices (Block Kit)", () => {
  it("escapes &, < and > in user-derived text", () => {
    assert.equal(escapeMrkdwn("a <b> & c"), "a &lt;b&gt; &amp; c");
    const m = buildNotice({ kind: "taskDone", title: "<!channel> ping" });
    assert.match(JSON.stringify(m.blocks), /&lt;!channel&gt; ping/);
  });

  it("always has a text fallback, and links the item and the PR", () => {
    const m = buildNotice({
      kind: "prOpened",
      title: "Fix",
      item: { key: "ABC-1", url: "https://j.example.invalid/browse/ABC-1" },
      pullRequest: { url: "https://g.example.invalid/pull/2", number: 2 },
    });
    assert.equal(m.text, "Pull request opened: Fix — https://g.example.invalid/pull/2");
    const context = m.blocks.find((b) => b.type === "context");
    assert.match(
      JSON.stringify(context),
      /<https:\/\/j\.example\.invalid\/browse\/ABC-1\|ABC-1>.*<https:\/\/g\.example\.invalid\/pull\/2\|PR #2>/,
    );
  });

  it("keeps sections far under Slack's limits however long the input", () => {
    const m = buildNotice({
      kind: "failed",
      title: "x".repeat(5000),
      summary: "y".repeat(10_000),
      error: "z".repeat(10_000),
    });
    for (const b of m.blocks) if (b.type === "section") assert.ok((b.text?.text.length ?? 0) <= 3000);
    assert.ok(m.text.length <= 300);
    assert.ok(JSON.stringify(m.blocks).length < 13_000);
  });

  it("asks for approval with a primary button when there is a task link", () => {
    const m = buildNotice({
      kind: "needsApproval",
      title: "Release",
      approval: "npm publish",
      taskUrl: "vscode://bora/task/1",
    });
    const actions = m.blocks.find((b) => b.type === "actions");
    assert.match(JSON.stringify(actions), /"text":"Review and approve".*"style":"primary"/);
    assert.match(JSON.stringify(m.blocks), /\*Waiting for:\* npm publish/);
  });

  it("has no actions block when there is nothing to open", () => {
    assert.equal(
      buildNotice({ kind: "taskDone", title: "t" }).blocks.some((b) => b.type === "actions"),
      false,
    );
  });
});
