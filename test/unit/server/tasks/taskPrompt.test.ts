import assert from "node:assert/strict";
import { decide, DEFAULT_POLICY } from "../../../../server/src/agent/approvals.js";
import {
  MAX_QUOTED_SELECTION_CHARS,
  MAX_TITLE_CHARS,
  taskPolicy,
  taskText,
  taskTitle,
  withHint,
  type TaskContext,
} from "../../../../server/src/tasks/taskPrompt.js";

const selection: TaskContext = {
  file: "src/cart.js",
  language: "javascript",
  selection: { text: "export function cartTotal(items) {\n  return 0;\n}\n", startLine: 3, endLine: 5 },
  files: [],
};

describe("task prompts per kind", () => {
  it("explains a selection: names the place, quotes the code fenced with its language, says read-only", () => {
    const text = taskText("explain", "", selection);
    assert.match(text, /^Explain src\/cart\.js:3-5: what it does/);
    assert.match(text, /do not change any file and do not run commands/);
    assert.match(text, /```javascript\nexport function cartTotal\(items\) \{\n {2}return 0;\n\}\n```/);
  });

  it("keeps the user's own question for an explanation", () => {
    assert.match(taskText("explain", "why is it 0?", selection), /^why is it 0\?\n\n\(About src\/cart\.js:3-5\.\)/);
  });

  it("asks for tests by the project's conventions, run in the sandbox until they pass", () => {
    const text = taskText("writeTests", "", selection);
    assert.match(text, /^Write tests for src\/cart\.js:3-5\./);
    assert.match(text, /existing test file for this code, or create one where the project's conventions put it/);
    assert.match(text, /run the tests with run_command/);
  });

  it("puts a free task's instruction first, with where the user is and the files they named", () => {
    const text = taskText("free", "rename cartTotal", { ...selection, files: ["test/cart.test.js"] });
    assert.match(text, /^rename cartTotal\n\nThe user is looking at src\/cart\.js:3-5\./);
    assert.match(text, /Files the user pointed to: test\/cart\.test\.js\./);
  });

  it("fences code that holds backticks with a longer fence, so it cannot close early", () => {
    const code = "const s = `a`;\n// ```\n";
    const text = taskText("explain", "", { ...selection, selection: { text: code, startLine: 1, endLine: 2 } });
    assert.match(text, /````javascript\nconst s = `a`;\n\/\/ ```\n````/);
  });

  it("cuts a huge selection and says where the rest is", () => {
    const big = "x".repeat(MAX_QUOTED_SELECTION_CHARS + 10);
    const text = taskText("explain", "", { ...selection, selection: { text: big, startLine: 1, endLine: 1 } });
    assert.match(text, new RegExp(`first ${MAX_QUOTED_SELECTION_CHARS} characters; read the file for the rest`));
    assert.ok(!text.includes("x".repeat(MAX_QUOTED_SELECTION_CHARS + 1)));
  });

  it("titles tasks for lists, one line and bounded", () => {
    assert.equal(taskTitle("explain", "", selection), "Explain cart.js:3-5");
    assert.equal(taskTitle("writeTests", "", { files: [] }), "Write tests for the workspace");
    const long = taskTitle("free", `fix\nthe ${"very ".repeat(40)}bug`, { files: [] });
    assert.equal(long.length, MAX_TITLE_CHARS);
    assert.ok(long.endsWith("…") && !long.includes("\n"));
  });

  it("runs an explanation read-only by policy, whatever the model asks; other kinds keep the default", () => {
    const policy = { ...DEFAULT_POLICY, ...taskPolicy("explain") };
    for (const tool of ["write_file", "edit_file", "run_command"])
      assert.equal(decide(policy, { tool }).decision, "never", tool);
    assert.equal(decide(policy, { tool: "read_file" }).decision, "always");
    assert.equal(taskPolicy("free"), undefined);
    assert.equal(taskPolicy("writeTests"), undefined);
  });
});

describe("task end reasons with the setting to change", () => {
  const settings = {
    allowNetwork: false,
    allowUnsandboxed: false,
    maxTurns: 40,
    maxMinutes: 30,
    maxTokensPerTurn: 2048,
  };
  it("names the editor setting that raises the budget the task ran out of", () => {
    assert.equal(
      withHint("the run used its 40 turns", "max_turns", settings),
      "the run used its 40 turns. To allow more turns, raise bora.agent.maxTurns (now 40).",
    );
    assert.match(withHint("cut off", "truncated", settings), /raise bora\.agent\.maxTokensPerTurn \(now 2048\)\.$/);
    assert.match(withHint("no room", "context_exhausted", settings), /raise bora\.local\.contextSize\.$/);
  });
  it("leaves other endings as they are", () => {
    assert.equal(withHint("the model gave its final answer", "completed", settings), "the model gave its final answer");
    assert.equal(withHint("could not start", undefined, settings), "could not start");
  });
});
