import assert from "node:assert/strict";
import { OutputRouter } from "../../../../inference/src/local/outputRouter.js";
import { StopStringFilter, TokenTextDecoder } from "../../../../inference/src/local/textOutput.js";

describe("local engine text output", () => {
  it("holds a stop string back, even when it arrives in pieces, and drops everything after it", () => {
    const f = new StopStringFilter(["<|im_end|>", "STOP"]);
    const out = ["Hello <|im", "_e", "nd|> never"].map((t) => f.push(t));
    assert.deepEqual(out, ["Hello ", "", ""]);
    assert.equal(f.stopped, true);
    assert.equal(f.push("more"), "");
    assert.equal(f.flush(), "");
  });

  it("releases held text that turned out not to be a stop string", () => {
    const f = new StopStringFilter(["STOP"]);
    assert.equal(f.push("ST"), "");
    assert.equal(f.push("AY"), "STAY");
    assert.equal(f.push("S"), "");
    assert.equal(f.flush(), "S");
  });

  it("never splits a UTF-8 character across text events", () => {
    // Bytes of "😀" come as four tokens; the decoder returns U+FFFD until the character is whole.
    const bytes = [...Buffer.from("a😀", "utf8")];
    const decoder = new TokenTextDecoder((tokens) => Buffer.from(tokens as number[]).toString("utf8"));
    const pieces = bytes.map((b) => decoder.push(b));
    assert.deepEqual(pieces, ["a", "", "", "", "😀"]);
    assert.equal(decoder.flush(), "");
  });

  it("gives up waiting on bytes that never form a character", () => {
    const decoder = new TokenTextDecoder((tokens) => Buffer.from(tokens as number[]).toString("utf8"));
    const pieces = [0xf0, 0xf0, 0xf0, 0xf0].map((b) => decoder.push(b));
    assert.equal(pieces.slice(0, 3).join(""), "");
    assert.ok(pieces[3]?.includes("\uFFFD"));
  });
});

describe("local engine output router", () => {
  it("in auto mode, holds text back until it is clearly not a tool call, then streams it", () => {
    const r = new OutputRouter("auto", []);
    assert.equal(r.push("<to"), "");
    assert.equal(r.push("p>"), "<top>");
    assert.equal(r.mode, "text");
    assert.equal(r.push(" more"), " more");
  });

  it("in auto mode, turns text that opens with <tool_call> into a call, nothing shown", () => {
    const r = new OutputRouter("auto", []);
    assert.equal(r.push("  <tool_"), "");
    assert.equal(r.push("call>"), "");
    assert.equal(r.mode, "call");
    assert.equal(r.callText, "<tool_call>");
    assert.equal(r.push('{"name":"x"'), "");
    assert.equal(r.callText, '<tool_call>{"name":"x"');
    assert.equal(r.end(), "");
  });

  it("in auto mode, shows the text a model writes before its call, without the whitespace before the call", () => {
    const r = new OutputRouter("auto", []);
    assert.equal(r.push("I'll read "), "I'll read");
    assert.equal(r.push("it.\n<tool"), " it.");
    assert.equal(r.mode, "text");
    assert.equal(r.push("_call>{"), "");
    assert.equal(r.mode, "call");
    assert.equal(r.callText, "<tool_call>{");
    assert.equal(r.end(), "");
  });

  it("in auto mode, a marker split across many pieces is found, and a near miss is shown in full", () => {
    const r = new OutputRouter("auto", []);
    const shown = [..."ok <tool_cal", ..."l>"].map((c) => r.push(c)).join("");
    assert.equal(shown, "ok");
    assert.equal(r.callText, "<tool_call>");
    const miss = new OutputRouter("auto", []);
    assert.equal([..."a <tool_cab> b"].map((c) => miss.push(c)).join("") + miss.end(), "a <tool_cab> b");
  });

  it("releases a held start that never became a call at the end", () => {
    const r = new OutputRouter("auto", []);
    assert.equal(r.push("<tool"), "");
    assert.equal(r.end(), "<tool");
    const spaces = new OutputRouter("auto", []);
    assert.equal(spaces.push("done \n"), "done");
    assert.equal(spaces.end(), " \n");
  });

  it("applies stop strings to the text before a call too", () => {
    const r = new OutputRouter("auto", ["STOP"]);
    assert.equal(r.push("fine STOP <tool_call>"), "fine ");
    assert.equal(r.stopped, true);
    assert.equal(r.mode, "text", "nothing after a stop string is a call");
  });

  it("starts a required call with the engine's own prefix and applies stop strings to text only", () => {
    const required = new OutputRouter("required", ["STOP"]);
    assert.equal(required.callText, '<tool_call>{"name":"');
    assert.equal(required.push('x","arguments":{}}'), "");
    const text = new OutputRouter("none", ["STOP"]);
    assert.equal(text.push("fine STO"), "fine ");
    assert.equal(text.push("P after"), "");
    assert.equal(text.stopped, true);
  });
});
