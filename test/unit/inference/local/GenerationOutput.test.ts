import assert from "node:assert/strict";
import type { StreamEvent, ToolDefinition } from "../../../../inference/src/engine.js";
import { GenerationOutput, type GenerationOutputOptions } from "../../../../inference/src/local/GenerationOutput.js";

/** One token per character: the token is the character code, so text can be written as tokens. */
const tokens = (text: string): number[] => [...text].map((c) => c.codePointAt(0) as number);
const detokenize = (t: readonly number[]): string => String.fromCodePoint(...t);

const readFile: ToolDefinition = {
  name: "read_file",
  description: "Reads a file",
  parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
};

function output(options: Partial<GenerationOutputOptions> = {}): GenerationOutput {
  let ids = 0;
  return new GenerationOutput({
    toolMode: { kind: "none" },
    stops: [],
    stopTokens: [],
    maxTokens: 100,
    detokenize,
    nextCallId: () => `call_${++ids}`,
    ...options,
  });
}

const step = (text: string, finished = false, accepted = 0) => ({ tokens: tokens(text), finished, accepted });
const texts = (events: StreamEvent[]): string => events.map((e) => (e.type === "text" ? e.text : "")).join("");

describe("local engine generation output", () => {
  it("streams text step by step and ends at maxTokens with finish length", () => {
    const out = output({ maxTokens: 5 });
    assert.equal(out.take(step("abc"), 10), false);
    assert.equal(texts(out.drain()), "abc");
    assert.equal(out.finish, undefined);
    out.take(step("defg"), 30);
    assert.equal(texts(out.drain()), "de");
    assert.equal(out.finish, "length");
    assert.deepEqual(out.generated, tokens("abcde"));
  });

  it("a stop token ends generation and is not output", () => {
    const out = output({ stopTokens: tokens("#") });
    out.take(step("ab#cd"), 1);
    assert.equal(out.finish, "stop");
    assert.equal(texts(out.drain()), "ab");
    assert.deepEqual(out.generated, tokens("ab"));
  });

  it("a stop string ends generation; it and what follows never reach the caller", () => {
    const out = output({ stops: ["END"] });
    out.take(step("hello EN"), 1);
    assert.equal(out.finish, undefined);
    out.take(step("D more"), 2);
    assert.equal(out.finish, "stop");
    assert.equal(texts([...out.drain(), ...out.end(false)]), "hello ");
  });

  it("the model's end of generation ends it with finish stop; a full sequence with length", () => {
    const ended = output();
    ended.take(step("a", true), 1);
    assert.equal(ended.finish, "stop");
    const full = output();
    full.take(step("a"), 1);
    full.contextFull();
    assert.equal(full.finish, "length");
    ended.contextFull();
    assert.equal(ended.finish, "stop", "a finish already given is kept");
  });

  it("in auto mode, a model that opens <tool_call> switches to the call grammar at that token", () => {
    const out = output({ toolMode: { kind: "auto", tools: [readFile], maxCalls: 1 } });
    assert.equal(out.grammarPhase, undefined);
    const switched = out.take(step('I will read it.\n<tool_call>{"name"'), 1);
    assert.equal(switched, true);
    assert.equal(out.grammarPhase, "afterOpen");
    assert.equal(texts(out.drain()), "I will read it.");
    assert.equal(detokenize(out.generated), "I will read it.\n<tool_call>", "tokens after the switch were taken");
  });

  it("a required call is completed with its closing tag and parsed into a toolCall event", () => {
    const out = output({ toolMode: { kind: "required", tools: [readFile], maxCalls: 1 } });
    assert.equal(out.grammarPhase, "required");
    // The engine wrote `<tool_call>{"name":"` itself; the model goes on from the name.
    out.take(step('read_file","arguments":{"path":"a.ts"}}', true), 1);
    const events = out.end(false);
    assert.deepEqual(events, [
      { type: "toolCall", call: { id: "call_1", name: "read_file", arguments: { path: "a.ts" } } },
    ]);
    assert.equal(out.finish, "toolCalls");
  });

  it("a call cut off by maxTokens becomes a toolCallError that says so", () => {
    const out = output({ toolMode: { kind: "required", tools: [readFile], maxCalls: 1 }, maxTokens: 10 });
    out.take(step('read_file","arguments":{"path":"a.ts"}}'), 1);
    assert.equal(out.finish, "length");
    const [event] = out.end(false);
    assert.equal(event?.type, "toolCallError");
    assert.match(event?.type === "toolCallError" ? event.message : "", /cut off by maxTokens/);
  });

  it("an aborted output parses no call and finishes aborted", () => {
    const out = output({ toolMode: { kind: "required", tools: [readFile], maxCalls: 1 } });
    out.take(step('read_file","arguments":{"path":"a.ts"}}', true), 1);
    assert.deepEqual(out.end(true), []);
    assert.equal(out.finish, "aborted");
  });

  it("the done event counts tokens, the rate from the first token to the last, and accepted predictions when predicted", () => {
    const out = output();
    out.take(step("ab", false, 2), 100);
    out.take(step("cd", false, 1), 300);
    out.take(step("e", true), 500);
    const done = out.done(0, 600, { promptTokens: 7, cachedPromptTokens: 3, predicted: true });
    assert.deepEqual(done, {
      type: "done",
      finishReason: "stop",
      usage: { promptTokens: 7, completionTokens: 5, cachedPromptTokens: 3, acceptedPredictionTokens: 3 },
      // Four tokens after the first in 400 ms.
      timing: { ttftMs: 100, totalMs: 600, tokensPerSecond: 10 },
    });
    const plain = output().done(0, 50, { promptTokens: 1, cachedPromptTokens: 0, predicted: false });
    assert.equal(plain.type === "done" && "acceptedPredictionTokens" in plain.usage, false);
    assert.equal(plain.type === "done" && plain.finishReason, "aborted", "no finish at all is an aborted request");
  });
});
