import assert from "node:assert/strict";
import {
  APPROVAL_CHOICES,
  MAX_SUMMARY_IN_MESSAGE,
  approvalPrompt,
  askPrompt,
  decisionOf,
} from "../../../../client/src/tasks/questions.js";

const approval = { taskId: "t1", tool: "run_command", summary: "npm test", reason: "policy for run_command: ask" };

describe("task questions", () => {
  it("words an approval with the task's title, the tool, the summary and the reason", () => {
    const prompt = approvalPrompt(approval, "Write tests for cart.js");
    assert.equal(prompt.message, "Bora (Write tests for cart.js) wants to run a command: npm test");
    assert.match(prompt.detail, /npm test/);
    assert.match(prompt.detail, /Asked because: policy for run_command: ask/);
    assert.deepEqual(
      prompt.choices.map((c) => c.title),
      ["Allow once", "Always for this workspace", "Deny"],
    );
  });
  it("says just Bora when the task is unknown", () => {
    assert.match(approvalPrompt(approval, undefined).message, /^Bora wants to run/);
  });
  it("cuts a long summary in the message, keeping it whole in the detail", () => {
    const summary = `node -e "${"x".repeat(400)}"`;
    const prompt = approvalPrompt({ ...approval, summary }, "t");
    assert.ok(prompt.message.length < MAX_SUMMARY_IN_MESSAGE + 60);
    assert.ok(prompt.message.endsWith("…"));
    assert.ok(prompt.detail.includes(summary));
  });
  it("maps each button to its decision, and a dismissal to deny", () => {
    for (const choice of APPROVAL_CHOICES) assert.equal(decisionOf(choice.title), choice.decision);
    assert.equal(decisionOf("Always for this workspace"), "always");
    assert.equal(decisionOf(undefined), "deny");
    assert.equal(decisionOf("something else"), "deny");
  });
  it("asks with a quick pick when there are options, else an input box", () => {
    assert.deepEqual(askPrompt({ taskId: "t1", question: "Which runner?", options: ["mocha", " ", "jest"] }, "T"), {
      kind: "pick",
      title: "Bora asks (T)",
      placeholder: "Which runner?",
      options: ["mocha", "jest"],
    });
    assert.deepEqual(askPrompt({ taskId: "t1", question: "Name?", options: [] }, undefined), {
      kind: "input",
      title: "Bora asks",
      prompt: "Name?",
    });
  });
});
