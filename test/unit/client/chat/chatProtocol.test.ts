import assert from "node:assert/strict";
import { MAX_CHAT_MESSAGE_CHARS, parseWebviewMessage } from "../../../../client/src/chat/chatProtocol.js";

describe("chat webview messages", () => {
  it("accepts each well-formed message, and only its known fields", () => {
    assert.deepEqual(parseWebviewMessage({ type: "ready", extra: 1 }), { type: "ready" });
    assert.deepEqual(parseWebviewMessage({ type: "send", text: "why?" }), { type: "send", text: "why?" });
    assert.deepEqual(parseWebviewMessage({ type: "stop" }), { type: "stop" });
    assert.deepEqual(parseWebviewMessage({ type: "newChat" }), { type: "newChat" });
    assert.deepEqual(parseWebviewMessage({ type: "removeChip", id: "file:a" }), { type: "removeChip", id: "file:a" });
    assert.deepEqual(parseWebviewMessage({ type: "mentionQuery", query: "car" }), {
      type: "mentionQuery",
      query: "car",
    });
    assert.deepEqual(parseWebviewMessage({ type: "addMention", uri: "file:///w/a.ts" }), {
      type: "addMention",
      uri: "file:///w/a.ts",
    });
    assert.deepEqual(parseWebviewMessage({ type: "code", action: "apply", turnId: "t1", block: 2, code: "rm -rf" }), {
      type: "code",
      action: "apply",
      turnId: "t1",
      block: 2,
    });
    assert.deepEqual(parseWebviewMessage({ type: "review", action: "undo", taskId: "k", path: "a.js" }), {
      type: "review",
      action: "undo",
      taskId: "k",
      path: "a.js",
    });
    assert.deepEqual(parseWebviewMessage({ type: "review", action: "keepAll", taskId: "k", path: "x" }), {
      type: "review",
      action: "keepAll",
      taskId: "k",
    });
  });
  it("refuses what is not a message, an unknown type, and wrong or missing fields", () => {
    for (const bad of [
      null,
      "send",
      [],
      { type: "eval", code: "x" },
      { type: "send" },
      { type: "send", text: "   " },
      { type: "send", text: 3 },
      { type: "send", text: "x".repeat(MAX_CHAT_MESSAGE_CHARS + 1) },
      { type: "removeChip", id: "" },
      { type: "code", action: "run", turnId: "t", block: 0 },
      { type: "code", action: "insert", turnId: "t", block: -1 },
      { type: "code", action: "insert", turnId: "t", block: 1.5 },
      { type: "code", action: "insert", turnId: "", block: 0 },
      { type: "review", action: "undo", taskId: "k" },
      { type: "review", action: "delete", taskId: "k", path: "a" },
      { type: "review", action: "undoAll", taskId: "x".repeat(129) },
      { type: "mentionQuery", query: "q".repeat(300) },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
    }
  });

  it("accepts an approval answer with a known decision only", () => {
    assert.deepEqual(parseWebviewMessage({ type: "approval", taskId: "t1", decision: "always", extra: 1 }), {
      type: "approval",
      taskId: "t1",
      decision: "always",
    });
    assert.equal(parseWebviewMessage({ type: "approval", taskId: "t1", decision: "sure" }), undefined);
    assert.equal(parseWebviewMessage({ type: "approval", taskId: "", decision: "once" }), undefined);
    assert.equal(parseWebviewMessage({ type: "approval", decision: "once" }), undefined);
  });
});
