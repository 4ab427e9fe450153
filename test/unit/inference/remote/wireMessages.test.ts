import assert from "node:assert/strict";
import { MISTRAL_BRIDGE_TEXT, mistralToolCallId, toWireMessages, type ChatMessage } from "@bora/inference";

const conversation: ChatMessage[] = [
  { role: "system", content: "You are Bora." },
  { role: "user", content: "Read a.ts" },
  { role: "assistant", content: "", toolCalls: [{ id: "call_17", name: "read_file", arguments: { path: "a.ts" } }] },
  { role: "tool", toolCallId: "call_17", name: "read_file", content: "export {}" },
  { role: "system", content: "Be brief." },
  { role: "user", content: "Now explain it" },
];

describe("remote engine: wire messages", () => {
  it("writes tool calls and results in the OpenAI shape, leaving ids and order alone", () => {
    const wire = toWireMessages(conversation);
    assert.deepEqual(wire[2], {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_17", type: "function", function: { name: "read_file", arguments: '{"path":"a.ts"}' } }],
    });
    assert.deepEqual(wire[3], { role: "tool", tool_call_id: "call_17", name: "read_file", content: "export {}" });
    assert.deepEqual(
      wire.map((m) => m.role),
      ["system", "user", "assistant", "tool", "system", "user"],
    );
  });

  it("applies Mistral's rules: one leading system message, an assistant turn between tool and user, 9-character ids", () => {
    const wire = toWireMessages(conversation, { mistralMessageRules: true });
    assert.deepEqual(
      wire.map((m) => m.role),
      ["system", "user", "assistant", "tool", "assistant", "user"],
    );
    assert.deepEqual(wire[0], { role: "system", content: "You are Bora.\n\nBe brief." });
    assert.deepEqual(wire[4], { role: "assistant", content: MISTRAL_BRIDGE_TEXT });
    const call = wire[2];
    const result = wire[3];
    assert.ok(call?.role === "assistant" && result?.role === "tool");
    const id = call.tool_calls?.[0]?.id ?? "";
    assert.match(id, /^[A-Za-z0-9]{9}$/);
    assert.equal(result.tool_call_id, id, "the result must refer to the same mapped id");
  });

  it("maps ids stably and keeps ids that already fit Mistral's form", () => {
    assert.equal(mistralToolCallId("call_17"), mistralToolCallId("call_17"));
    assert.notEqual(mistralToolCallId("call_17"), mistralToolCallId("call_18"));
    assert.equal(mistralToolCallId("abcDEF123"), "abcDEF123");
  });

  it("marks a trailing assistant turn as a prefix for Mistral", () => {
    const wire = toWireMessages(
      [
        { role: "user", content: "Write a haiku" },
        { role: "assistant", content: "Autumn" },
      ],
      { mistralMessageRules: true },
    );
    assert.deepEqual(wire[1], { role: "assistant", content: "Autumn", prefix: true });
  });
});
