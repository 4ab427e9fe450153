import assert from "node:assert/strict";
import { MAX_PARALLEL_TOOL_CALLS, type ToolDefinition } from "../../../../inference/src/engine.js";
import { isEngineError } from "../../../../inference/src/errors.js";
import {
  infillPrompt,
  outputBudget,
  toolGrammars,
  toolModeFor,
} from "../../../../inference/src/local/PromptBuilder.js";

const tool: ToolDefinition = {
  name: "read_file",
  description: "Reads a file",
  parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
};

describe("local engine prompt preparation", () => {
  it("reads plain text without tools, or when the request forbids calls", () => {
    assert.deepEqual(toolModeFor({}), { kind: "none" });
    assert.deepEqual(toolModeFor({ tools: [] }), { kind: "none" });
    assert.deepEqual(toolModeFor({ tools: [tool], toolChoice: "none" }), { kind: "none" });
  });

  it("with tools, lets the model choose unless a call is required, several calls unless parallel calls are off", () => {
    assert.deepEqual(toolModeFor({ tools: [tool] }), {
      kind: "auto",
      tools: [tool],
      maxCalls: MAX_PARALLEL_TOOL_CALLS,
    });
    assert.deepEqual(toolModeFor({ tools: [tool], toolChoice: "required", parallelToolCalls: false }), {
      kind: "required",
      tools: [tool],
      maxCalls: 1,
    });
  });

  it("has no grammar for plain text, and one from the call's name and one from <tool_call> for tools", () => {
    assert.equal(toolGrammars({ kind: "none" }, undefined), undefined);
    const grammars = toolGrammars({ kind: "auto", tools: [tool], maxCalls: 1 }, undefined);
    assert.ok(grammars);
    assert.notEqual(grammars.required, grammars.afterOpen);
    assert.match(grammars.afterOpen, /tool_call/);
  });

  it("lays out fill-in-the-middle as PSM with a middle token, as SPM without, and stops on the markers", () => {
    const bos = [1];
    assert.deepEqual(infillPrompt(bos, { prefix: 5, suffix: 6, middle: 7 }, [10, 11], [20]), {
      tokens: [1, 5, 10, 11, 6, 20, 7],
      stopTokens: [5, 6, 7],
    });
    assert.deepEqual(infillPrompt([], { prefix: 5, suffix: 6, middle: null }, [10], [20, 21]), {
      tokens: [6, 20, 21, 5, 10],
      stopTokens: [5, 6],
    });
    assert.equal(infillPrompt(bos, { prefix: null, suffix: 6, middle: 7 }, [10], [20]), undefined);
  });

  it("gives a request what it asked for, never more than the room its prompt leaves", () => {
    assert.equal(outputBudget(100, 1000, 50, undefined), 50);
    assert.equal(outputBudget(100, 1000, undefined, 300), 300);
    assert.equal(outputBudget(100, 1000, undefined, undefined), 900);
    assert.equal(outputBudget(900, 1000, 500, undefined), 100);
  });

  it("refuses a prompt that fills the sequence with contextOverflow, and an empty one", () => {
    assert.throws(
      () => outputBudget(1000, 1000, undefined, undefined),
      (e: unknown) => isEngineError(e, "contextOverflow") && /1000 tokens but a sequence holds 1000/.test(e.message),
    );
    assert.throws(() => outputBudget(0, 1000, undefined, undefined), RangeError);
  });
});
