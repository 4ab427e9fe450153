/** The engine server's request parsing and token check (the HTTP side is in test/integration/remote). */
import assert from "node:assert/strict";
import { bearerMatches, isLoopbackBind } from "../../../../server/src/engineServer/bearerToken.js";
import { ApiError, parseChatBody, parseCompletionBody } from "../../../../server/src/engineServer/openaiRequests.js";

function rejects(body: unknown, param: RegExp): void {
  assert.throws(
    () => parseChatBody(body),
    (e: unknown) => e instanceof ApiError && e.status === 400 && param.test(e.param ?? ""),
  );
}

describe("remote engine server: requests", () => {
  it("reads an OpenAI chat request with tool history, recovering tool names from the calls", () => {
    const parsed = parseChatBody({
      model: "m",
      messages: [
        {
          role: "developer",
          content: [
            { type: "text", text: "Be " },
            { type: "text", text: "brief" },
          ],
        },
        { role: "user", content: "read a" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "read_file", arguments: '{"path":"a"}' } }],
        },
        { role: "tool", tool_call_id: "c1", content: "text of a" },
      ],
      tools: [{ type: "function", function: { name: "read_file", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "read_file" } },
      max_completion_tokens: 12,
      stop: "END",
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(parsed.kind, "chat");
    assert.ok(parsed.kind === "chat");
    assert.deepEqual(parsed.request.messages, [
      { role: "system", content: "Be brief" },
      { role: "user", content: "read a" },
      { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "read_file", arguments: { path: "a" } }] },
      { role: "tool", toolCallId: "c1", name: "read_file", content: "text of a" },
    ]);
    assert.equal(parsed.request.toolChoice, "required", "forcing one function is required over that function");
    assert.equal(parsed.request.parallelToolCalls, undefined);
    assert.equal(parsed.request.maxTokens, 12);
    assert.deepEqual(parsed.request.stop, ["END"]);
    assert.deepEqual([parsed.stream, parsed.includeUsage], [true, true]);
  });

  it("reads parallel_tool_calls", () => {
    const parsed = parseChatBody({
      messages: [{ role: "user", content: "x" }],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      parallel_tool_calls: false,
    });
    assert.ok(parsed.kind === "chat");
    assert.equal(parsed.request.parallelToolCalls, false);
  });

  it("turns a prediction into an edit request", () => {
    const parsed = parseChatBody({
      messages: [{ role: "user", content: "rename x" }],
      prediction: { type: "content", content: "let x = 1;" },
    });
    assert.ok(parsed.kind === "edit");
    assert.equal(parsed.request.prediction, "let x = 1;");
  });

  it("names the field of a bad request", () => {
    rejects({ messages: [] }, /^messages$/);
    rejects({ messages: [{ role: "wizard", content: "x" }] }, /^messages\[0\]\.role$/);
    rejects({ messages: [{ role: "tool", tool_call_id: "nope", content: "x" }] }, /^messages\[0\]\.tool_call_id$/);
    rejects(
      { messages: [{ role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: "{oops" } }] }] },
      /arguments$/,
    );
    rejects({ messages: [{ role: "user", content: "x" }], temperature: 7 }, /^temperature$/);
    rejects({ messages: [{ role: "user", content: "x" }], n: 2 }, /^n$/);
    rejects({ messages: [{ role: "user", content: "x" }], parallel_tool_calls: "no" }, /^parallel_tool_calls$/);
    rejects(
      { messages: [{ role: "user", content: "x" }], tool_choice: { type: "function", function: { name: "f" } } },
      /^tool_choice$/,
    );
    assert.throws(
      () => parseCompletionBody({ prompt: ["a", "b"] }),
      (e: unknown) => e instanceof ApiError && e.param === "prompt",
    );
  });

  it("reads completions with a suffix as fill-in-the-middle", () => {
    assert.deepEqual(parseCompletionBody({ prompt: ["def f("], suffix: "):", max_tokens: 3, seed: 1 }).request, {
      prompt: "def f(",
      suffix: "):",
      maxTokens: 3,
      seed: 1,
    });
  });
});

describe("remote engine server: bearer token", () => {
  it("accepts exactly the token, in the Bearer scheme", () => {
    assert.equal(bearerMatches("Bearer s3cret", "s3cret"), true);
    assert.equal(bearerMatches("bearer s3cret", "s3cret"), true);
    assert.equal(bearerMatches("Bearer s3cre", "s3cret"), false);
    assert.equal(bearerMatches("Bearer s3cretX", "s3cret"), false);
    assert.equal(bearerMatches("Basic s3cret", "s3cret"), false);
    assert.equal(bearerMatches(undefined, "s3cret"), false);
    assert.equal(bearerMatches("Bearer ", ""), false, "an empty token never matches");
  });

  it("treats only loopback addresses as safe without a token", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
      assert.equal(isLoopbackBind(host), true, host);
    for (const host of ["0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "gpu-box.invalid"])
      assert.equal(isLoopbackBind(host), false, host);
  });
});
