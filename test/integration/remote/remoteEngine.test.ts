/**
 * RemoteEngine against a loopback fake of OpenAI-compatible servers, over real HTTP: every error
 * path (401, unknown model, wrong URL, 429 with Retry-After, 5xx, dropped and stalled streams,
 * timeouts, malformed tool calls) and each preset's quirks (Mistral FIM and ordering, llama.cpp
 * /infill, Ollama's parallel calls at one index).
 */
import assert from "node:assert/strict";
import {
  EngineError,
  RemoteEngine,
  collect,
  isEngineError,
  isRemoteEngineError,
  type RemoteEngineOptions,
  type StreamEvent,
  type ToolDefinition,
} from "@bora/inference";
import { problemFor } from "../../../server/src/engines/problems.js";
import { AjvToolValidator } from "../../../server/src/engines/toolArgumentsValidator.js";
import { remoteEngineFetch } from "../../../server/src/http/fetches.js";
import { HttpPolicy, type HttpPolicyOptions, type WaitNotice } from "../../../server/src/http/policy.js";
import { chunk, startFakeOpenAiServer, usageChunk, type FakeOpenAiServer } from "./fakeOpenAiServer.js";

const readFile: ToolDefinition = {
  name: "read_file",
  description: "Reads a file",
  parameters: {
    type: "object",
    properties: { path: { type: "string" } },
    required: ["path"],
    additionalProperties: false,
  },
};

const fastRetry = { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 200 };

/** The host's remote-engine fetch over a policy with short backoff; `waits` hears what it waits for. */
function policyFetch(waits: WaitNotice[] = [], options: HttpPolicyOptions = {}) {
  return remoteEngineFetch(new HttpPolicy({ ...fastRetry, onWait: (w) => waits.push(w), ...options }));
}

describe("remote engine against OpenAI-compatible servers", function () {
  let fake: FakeOpenAiServer;
  beforeEach(async () => {
    fake = await startFakeOpenAiServer();
  });
  afterEach(() => fake.close());

  function engine(options: Partial<RemoteEngineOptions> = {}): RemoteEngine {
    return new RemoteEngine({
      preset: "vllm",
      baseUrl: fake.baseUrl,
      model: "qwen-coder",
      validator: new AjvToolValidator(),
      fetch: policyFetch(),
      env: {},
      ...options,
    });
  }

  const ask = { messages: [{ role: "user" as const, content: "hi" }] };

  it("streams text and reports the server's usage", async () => {
    fake.queue.push({
      kind: "sse",
      events: [
        { raw: ": keep-alive" },
        chunk({ role: "assistant", content: "" }),
        chunk({ content: "Hello" }),
        chunk({ content: " world" }),
        chunk({}, "stop"),
        usageChunk(7, 2),
      ],
    });
    const events: StreamEvent[] = [];
    for await (const e of engine().chat({ ...ask, maxTokens: 5, seed: 3 })) events.push(e);
    assert.deepEqual(
      events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text),
      ["Hello", " world"],
    );
    const done = events.at(-1);
    assert.ok(done?.type === "done");
    assert.equal(done.finishReason, "stop");
    assert.deepEqual(done.usage, { promptTokens: 7, completionTokens: 2 });
    const body = fake.requests[0]?.body as Record<string, unknown>;
    assert.equal(fake.requests[0]?.path, "/v1/chat/completions");
    assert.deepEqual(
      { model: body["model"], stream: body["stream"], max_tokens: body["max_tokens"], seed: body["seed"] },
      { model: "qwen-coder", stream: true, max_tokens: 5, seed: 3 },
    );
    assert.deepEqual(body["stream_options"], { include_usage: true });
  });

  it("assembles a fragmented tool call and validates it against the tool's schema", async () => {
    fake.queue.push({
      kind: "sse",
      events: [
        chunk({
          tool_calls: [{ index: 0, id: "call_9", type: "function", function: { name: "read_file", arguments: "" } }],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"src/a.ts"}' } }] }),
        chunk({}, "tool_calls"),
      ],
    });
    const result = await collect(engine().chat({ ...ask, tools: [readFile], toolChoice: "required" }));
    assert.deepEqual(result.toolCalls, [{ id: "call_9", name: "read_file", arguments: { path: "src/a.ts" } }]);
    assert.equal(result.finishReason, "toolCalls");
    const body = fake.requests[0]?.body as Record<string, unknown>;
    assert.equal(body["tool_choice"], "required");
    assert.deepEqual((body["tools"] as { function: { name: string } }[])[0]?.function.name, "read_file");
    assert.equal("parallel_tool_calls" in body, false, "the server's default unless the caller says otherwise");
  });

  it("passes parallelToolCalls on as parallel_tool_calls", async () => {
    fake.queue.push({ kind: "sse", events: [chunk({ content: "ok" }, "stop")] });
    await collect(engine().chat({ ...ask, tools: [readFile], parallelToolCalls: false }));
    const body = fake.requests[0]?.body as Record<string, unknown>;
    assert.equal(body["parallel_tool_calls"], false);
  });

  it("reports a malformed tool call as a toolCallError the agent can send back", async () => {
    fake.queue.push({
      kind: "sse",
      events: [
        chunk({ tool_calls: [{ index: 0, id: "c1", function: { name: "read_file", arguments: '{"path": 42}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: "c2", function: { name: "read_file", arguments: '{"path": "a' } }] }),
        chunk({}, "tool_calls"),
      ],
    });
    const result = await collect(engine().chat({ ...ask, tools: [readFile] }));
    assert.deepEqual(result.toolCalls, []);
    assert.deepEqual(
      result.toolCallErrors.map((e) => [e.id, e.rawArguments]),
      [
        ["c1", '{"path": 42}'],
        ["c2", '{"path": "a'],
      ],
    );
    assert.match(result.toolCallErrors[0]!.message, /arguments\/path must be string/);
    assert.match(result.toolCallErrors[1]!.message, /not valid JSON/);
  });

  it("fails 401 with an unauthorized error whose facts say where the key goes, without echoing it", async () => {
    fake.queue.push({
      kind: "json",
      status: 401,
      body: {
        error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" },
      },
    });
    const secret = "sk-very-secret-value";
    await assert.rejects(collect(engine({ apiKey: secret }).chat(ask)), (error: unknown) => {
      assert.ok(isRemoteEngineError(error, "unauthorized"));
      assert.equal(error.status, 401);
      assert.match(error.message, /refused the API key.*Incorrect API key/);
      assert.deepEqual(error.apiKeyFacts, { sent: true, env: ["BORA_REMOTE_API_KEY", "VLLM_API_KEY"] });
      // The host words where the key goes for its front end (test/unit/server/engines/problems.test.ts).
      assert.match(
        problemFor(error, "editor").message,
        /refused the API key.*Incorrect API key.*Bora: Set Remote API Key…/,
      );
      assert.match(
        problemFor(error, "cli").message,
        /refused the API key.*Incorrect API key.*\$BORA_REMOTE_API_KEY or \$VLLM_API_KEY/,
      );
      for (const text of [error.message, JSON.stringify(error.apiKeyFacts), problemFor(error, "cli").message])
        assert.doesNotMatch(text, new RegExp(secret));
      return true;
    });
    assert.equal(fake.requests[0]?.headers.authorization, `Bearer ${secret}`);
    assert.equal(fake.requests.length, 1, "a 401 is not retried");
  });

  it("maps an unknown model to code modelNotFound, and a wrong path to notFound", async () => {
    fake.queue.push({
      kind: "json",
      status: 404,
      body: { object: "error", message: "The model `qwen-coder` does not exist.", type: "NotFoundError", code: 404 },
    });
    await assert.rejects(collect(engine().chat(ask)), (error: unknown) => {
      assert.ok(isEngineError(error, "modelNotFound"));
      assert.match(error.message, /does not serve the model 'qwen-coder'.*\/v1\/models/);
      return true;
    });
    fake.queue.push({ kind: "json", status: 404, body: "404 page not found" });
    await assert.rejects(collect(engine().chat(ask)), (error: unknown) => {
      assert.ok(isRemoteEngineError(error, "notFound"));
      assert.match(error.message, /Check the base URL; it usually ends in \/v1/);
      return true;
    });
  });

  it("connect() checks the model against /v1/models and reads the context size", async () => {
    fake.queue.push({
      kind: "json",
      body: { object: "list", data: [{ id: "qwen-coder", object: "model", max_model_len: 32768 }] },
    });
    const connected = await RemoteEngine.connect({
      preset: "vllm",
      baseUrl: fake.baseUrl,
      model: "qwen-coder",
      validator: new AjvToolValidator(),
      fetch: policyFetch(),
      env: {},
    });
    assert.equal(connected.info.contextSize, 32768);
    fake.queue.push({ kind: "json", body: { object: "list", data: [{ id: "llama3" }, { id: "mistral" }] } });
    await assert.rejects(
      RemoteEngine.connect({
        preset: "vllm",
        baseUrl: fake.baseUrl,
        model: "qwen-coder",
        validator: new AjvToolValidator(),
        fetch: policyFetch(),
      }),
      (error: unknown) => isEngineError(error, "modelNotFound") && /serves 'llama3', 'mistral'/.test(error.message),
    );
  });

  it("retries a 429 after its Retry-After and a 503, then succeeds", async () => {
    fake.queue.push(
      { kind: "json", status: 429, headers: { "retry-after": "0.1" }, body: { error: { message: "rate limited" } } },
      { kind: "json", status: 503, body: { error: { message: "overloaded" } } },
      { kind: "sse", events: [chunk({ content: "ok" }), chunk({}, "stop")] },
    );
    const waits: WaitNotice[] = [];
    const started = performance.now();
    const result = await collect(engine({ fetch: policyFetch(waits) }).chat(ask));
    assert.equal(result.text, "ok");
    assert.deepEqual(
      waits.map((w) => `HTTP ${w.cause}`),
      ["HTTP 429", "HTTP 503"],
    );
    assert.equal(waits[0]?.ms, 100, "the wait is the Retry-After");
    assert.ok(performance.now() - started >= 95, "the Retry-After of 100 ms was honoured");
    assert.equal(fake.requests.length, 3);
  });

  it("gives up on 5xx after the retry budget with a serverError", async () => {
    fake.fallback = { kind: "json", status: 502, body: { error: { message: "bad gateway" } } };
    await assert.rejects(collect(engine().chat(ask)), (error: unknown) => {
      assert.ok(isRemoteEngineError(error, "serverError"));
      assert.match(error.message, /HTTP 502.*bad gateway/);
      return true;
    });
    assert.equal(fake.requests.length, fastRetry.maxRetries + 1);
  });

  it("fails with a network error when the stream drops half-way, after the text it got", async () => {
    fake.queue.push({
      kind: "sse",
      events: [chunk({ content: "partial" }), chunk({ content: "more" }), chunk({}, "stop")],
      dropAfter: 1,
    });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of engine().chat(ask)) if (e.type === "text") seen.push(e.text);
      })(),
      (error: unknown) => isRemoteEngineError(error, "network"),
    );
    assert.deepEqual(seen, ["partial"]);
  });

  it("treats a stream that ends without a finish reason or [DONE] as broken", async () => {
    fake.queue.push({ kind: "sse", events: [chunk({ content: "half" })], noDone: true });
    await assert.rejects(
      collect(engine().chat(ask)),
      (error: unknown) =>
        isRemoteEngineError(error, "network") && /ended before the answer was complete/.test(error.message),
    );
  });

  it("reports an error event inside the stream as a serverError", async () => {
    fake.queue.push({ kind: "sse", events: [chunk({ content: "a" }), { error: { message: "CUDA out of memory" } }] });
    await assert.rejects(
      collect(engine().chat(ask)),
      (error: unknown) => isRemoteEngineError(error, "serverError") && /CUDA out of memory/.test(error.message),
    );
  });

  it("times out a server that never answers, and one that stalls mid-stream", async () => {
    fake.queue.push({ kind: "hang" });
    const started = performance.now();
    const impatient = new HttpPolicy({ maxRetries: 0 }).fetchFor("engine", { timeout: "headers", timeoutMs: 150 });
    await assert.rejects(
      collect(engine({ fetch: impatient }).chat(ask)),
      (error: unknown) => isRemoteEngineError(error, "timeout") && /no response within 150 ms/.test(error.message),
    );
    assert.ok(performance.now() - started < 2000);
    fake.queue.push({ kind: "sse", events: [chunk({ content: "a" }), chunk({ content: "b" })], stallAfter: 1 });
    await assert.rejects(
      collect(engine({ idleTimeoutMs: 150 }).chat(ask)),
      (error: unknown) => isRemoteEngineError(error, "timeout") && /sent nothing for 150 ms/.test(error.message),
    );
  });

  it("ends a request past its deadline with code deadline", async () => {
    fake.queue.push({ kind: "sse", events: Array.from({ length: 50 }, () => chunk({ content: "x" })), delayMs: 20 });
    await assert.rejects(collect(engine().chat({ ...ask, deadlineMs: 100 })), (error: unknown) =>
      isEngineError(error, "deadline"),
    );
  });

  it("closes the HTTP stream when the caller aborts, and ends with finishReason aborted", async () => {
    fake.queue.push({
      kind: "sse",
      events: Array.from({ length: 200 }, (_, i) => chunk({ content: `t${i} ` })),
      delayMs: 10,
    });
    const controller = new AbortController();
    const events: StreamEvent[] = [];
    for await (const e of engine().chat({ ...ask, signal: controller.signal })) {
      events.push(e);
      if (events.length === 3) controller.abort();
    }
    const done = events.at(-1);
    assert.ok(done?.type === "done");
    assert.equal(done.finishReason, "aborted");
    assert.ok(events.length < 10, `stopped promptly after the abort (${events.length} events)`);
    await Promise.race([
      fake.clientClosedEarly,
      new Promise((_, reject) => setTimeout(() => reject(new Error("the server never saw the stream close")), 2000)),
    ]);
  });

  it("closes the stream when the consumer stops reading early", async () => {
    fake.queue.push({ kind: "sse", events: Array.from({ length: 200 }, () => chunk({ content: "y" })), delayMs: 10 });
    for await (const e of engine().chat(ask)) if (e.type === "text") break;
    await Promise.race([
      fake.clientClosedEarly,
      new Promise((_, reject) => setTimeout(() => reject(new Error("the server never saw the stream close")), 2000)),
    ]);
  });

  it("non-streaming mode reads one JSON answer with tool calls", async () => {
    fake.queue.push({
      kind: "json",
      body: {
        id: "x",
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: null,
              tool_calls: [
                { id: "c1", type: "function", function: { name: "read_file", arguments: '{"path":"b.ts"}' } },
              ],
            },
            finish_reason: "tool_calls",
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 2 } },
      },
    });
    const result = await collect(engine({ stream: false }).chat({ ...ask, tools: [readFile] }));
    assert.deepEqual(result.toolCalls, [{ id: "c1", name: "read_file", arguments: { path: "b.ts" } }]);
    assert.deepEqual(result.usage, { promptTokens: 3, completionTokens: 4, cachedPromptTokens: 2 });
    assert.equal((fake.requests[0]?.body as { stream: boolean }).stream, false);
  });

  describe("presets", () => {
    it("mistral: FIM on /v1/fim/completions with its model and seed field, key from $MISTRAL_API_KEY", async () => {
      fake.queue.push({
        kind: "sse",
        events: [chunk({ content: "a + b" }), chunk({}, "stop")],
      });
      const mistral = engine({ preset: "mistral", fimModel: "codestral-latest", env: { MISTRAL_API_KEY: "mk-1" } });
      assert.equal(mistral.info.capabilities.fim, true);
      const result = await collect(
        mistral.complete({ prompt: "function add(a, b) {\n  return ", suffix: ";\n}", maxTokens: 8, seed: 5 }),
      );
      assert.equal(result.text, "a + b");
      const request = fake.requests[0]!;
      assert.equal(request.path, "/v1/fim/completions");
      assert.equal(request.headers.authorization, "Bearer mk-1");
      assert.deepEqual(request.body, {
        model: "codestral-latest",
        prompt: "function add(a, b) {\n  return ",
        suffix: ";\n}",
        temperature: 0,
        max_tokens: 8,
        random_seed: 5,
        stream: true,
      });
    });

    it("mistral: chat follows its ordering rules and spells a required tool call 'any'", async () => {
      fake.queue.push({ kind: "sse", events: [chunk({ content: "ok" }), chunk({}, "stop")] });
      await collect(
        engine({ preset: "mistral", env: { MISTRAL_API_KEY: "k" } }).chat({
          messages: [
            { role: "user", content: "read it" },
            {
              role: "assistant",
              content: "",
              toolCalls: [{ id: "call_1", name: "read_file", arguments: { path: "a" } }],
            },
            { role: "tool", toolCallId: "call_1", name: "read_file", content: "x" },
            { role: "user", content: "thanks" },
          ],
          tools: [readFile],
          toolChoice: "required",
        }),
      );
      const body = fake.requests[0]!.body as {
        messages: { role: string }[];
        tool_choice: string;
        stream_options?: unknown;
      };
      assert.deepEqual(
        body.messages.map((m) => m.role),
        ["user", "assistant", "tool", "assistant", "user"],
      );
      assert.equal(body.tool_choice, "any");
      assert.equal(body.stream_options, undefined);
    });

    it("llama.cpp: FIM on /infill outside /v1, streamed as {content, stop}", async () => {
      fake.queue.push({
        kind: "sse",
        events: [
          { content: "a + ", stop: false },
          { content: "b", stop: false },
          { content: "", stop: true, tokens_predicted: 3, tokens_evaluated: 12 },
        ],
        noDone: true,
      });
      const result = await collect(
        engine({ preset: "llamacpp" }).complete({ prompt: "return ", suffix: ";", maxTokens: 4 }),
      );
      assert.equal(result.text, "a + b");
      assert.deepEqual(result.usage, { promptTokens: 12, completionTokens: 3 });
      assert.equal(fake.requests[0]?.path, "/infill");
      assert.deepEqual(fake.requests[0]?.body, {
        input_prefix: "return ",
        input_suffix: ";",
        temperature: 0,
        stream: true,
        n_predict: 4,
      });
    });

    it("vllm: a suffix is refused up front with code noFim, since its API has no FIM", async () => {
      const vllm = engine({ preset: "vllm" });
      assert.equal(vllm.info.capabilities.fim, false);
      await assert.rejects(collect(vllm.complete({ prompt: "a", suffix: "b" })), (error: unknown) =>
        isEngineError(error, "noFim"),
      );
      assert.equal(fake.requests.length, 0);
      fake.queue.push({ kind: "sse", events: [{ choices: [{ index: 0, text: "done", finish_reason: "length" }] }] });
      const plain = await collect(vllm.complete({ prompt: "a", maxTokens: 1 }));
      assert.equal(plain.text, "done");
      assert.equal(plain.finishReason, "length");
      assert.equal(fake.requests[0]?.path, "/v1/completions");
    });

    it("ollama: parallel calls all at index 0 are told apart, and the placeholder key is sent", async () => {
      fake.queue.push({
        kind: "sse",
        events: [
          chunk({
            tool_calls: [{ index: 0, id: "call_a", function: { name: "read_file", arguments: '{"path":"a"}' } }],
          }),
          chunk({
            tool_calls: [{ index: 0, id: "call_b", function: { name: "read_file", arguments: '{"path":"b"}' } }],
          }),
          chunk({}, "tool_calls"),
        ],
      });
      const result = await collect(engine({ preset: "ollama" }).chat({ ...ask, tools: [readFile] }));
      assert.deepEqual(
        result.toolCalls.map((c) => [c.id, c.arguments]),
        [
          ["call_a", { path: "a" }],
          ["call_b", { path: "b" }],
        ],
      );
      assert.equal(fake.requests[0]?.headers.authorization, "Bearer ollama");
    });
  });

  it("refuses use after dispose with code disposed", async () => {
    const e = engine();
    await e.dispose();
    await assert.rejects(
      collect(e.chat(ask)),
      (error: unknown) => error instanceof EngineError && error.code === "disposed",
    );
  });
});
