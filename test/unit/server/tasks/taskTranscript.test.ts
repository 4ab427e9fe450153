import assert from "node:assert/strict";
import { MAX_TASK_ITEMS, TaskTranscript } from "../../../../server/src/tasks/taskTranscript.js";

describe("a task's transcript rows", () => {
  it("grows the turn's text row as it streams and sends only the changed tail", () => {
    const t = new TaskTranscript();
    t.onEvent({ kind: "turnStarted", turn: 1, estimatedPromptTokens: 100 });
    t.onEvent({ kind: "text", turn: 1, text: "Look" });
    assert.deepEqual(t.take(), { from: 0, items: [{ type: "text", turn: 1, text: "Look" }] });
    t.onEvent({ kind: "text", turn: 1, text: "ing." });
    assert.deepEqual(t.take(), { from: 0, items: [{ type: "text", turn: 1, text: "Looking." }] });
    t.onEvent({ kind: "toolCall", turn: 1, name: "read_file", summary: "src/a.js" });
    const tail = t.take();
    assert.equal(tail.from, 1);
    assert.deepEqual(tail.items, [
      { type: "tool", id: "tool-1", turn: 1, name: "read_file", summary: "src/a.js", state: "running" },
    ]);
    assert.deepEqual(t.take(), { from: 2, items: [] }, "nothing changed: nothing to send");
  });

  it("settles a tool row in place with its result and time, and counts the engine's tokens per turn", () => {
    const t = new TaskTranscript();
    t.onEvent({ kind: "toolCall", turn: 1, name: "run_command", summary: "npm test" });
    t.onEvent({ kind: "text", turn: 2, text: "next" });
    t.take();
    t.onEvent({ kind: "toolResult", turn: 1, name: "run_command", ok: false, summary: "exit code 1", ms: 812 });
    const { from, items } = t.take();
    assert.equal(from, 0, "the settled row is resent, and everything after it");
    assert.deepEqual(items[0], {
      type: "tool",
      id: "tool-1",
      turn: 1,
      name: "run_command",
      summary: "npm test",
      state: "failed",
      result: "exit code 1",
      ms: 812,
    });
    t.onEvent({ kind: "turnFinished", turn: 1, promptTokens: 900, completionTokens: 40, ms: 1, finishReason: "stop" });
    t.onEvent({ kind: "turnFinished", turn: 2, promptTokens: 1000, completionTokens: 10, ms: 1, finishReason: "stop" });
    assert.deepEqual(t.tokens, { prompt: 1900, completion: 50 });
  });

  it("starts a new text row for a new turn", () => {
    const t = new TaskTranscript();
    t.onEvent({ kind: "text", turn: 1, text: "a" });
    t.onEvent({ kind: "text", turn: 2, text: "b" });
    assert.deepEqual(
      t.all().items.map((i) => i.type === "text" && [i.turn, i.text]),
      [
        [1, "a"],
        [2, "b"],
      ],
    );
  });

  it("records approvals and questions with who decided", () => {
    const t = new TaskTranscript();
    const id = t.approvalAsked("run_command", "npm test", "policy for run_command: ask");
    t.settleApproval(id, true, "user");
    t.approvalDecided("run_command", "rm -rf dist", "policy for run_command: ask", false, "headless");
    const q = t.questionAsked("Which runner?", ["mocha", "jest"]);
    t.settleQuestion(q, undefined);
    assert.deepEqual(t.all().items, [
      {
        type: "approval",
        id: "approval-1",
        tool: "run_command",
        summary: "npm test",
        reason: "policy for run_command: ask",
        state: "allowed",
        by: "user",
      },
      {
        type: "approval",
        id: "approval-2",
        tool: "run_command",
        summary: "rm -rf dist",
        reason: "policy for run_command: ask",
        state: "denied",
        by: "headless",
      },
      { type: "question", id: "question-3", question: "Which runner?", options: ["mocha", "jest"], unanswered: true },
    ]);
  });

  it("stops growing at its row limit and says how many rows it left out", () => {
    const t = new TaskTranscript();
    for (let i = 0; i < MAX_TASK_ITEMS + 5; i++) t.notice(`row ${i}`);
    const items = t.all().items;
    assert.equal(items.length, MAX_TASK_ITEMS + 1);
    assert.deepEqual(items.at(-1), {
      type: "notice",
      text: "5 more rows not shown; the transcript file has them all.",
    });
  });

  it("hands out copies: a sent row does not change under the client when the text grows", () => {
    const t = new TaskTranscript();
    t.onEvent({ kind: "text", turn: 1, text: "a" });
    const sent = t.take().items;
    t.onEvent({ kind: "text", turn: 1, text: "b" });
    assert.deepEqual(sent, [{ type: "text", turn: 1, text: "a" }]);
  });
});
