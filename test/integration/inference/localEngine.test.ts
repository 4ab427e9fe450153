/**
 * The local engine on a real llama.cpp (node-llama-cpp's prebuilt CPU binary) and the tiny
 * generated model: random weights, so the text is gibberish, but every mechanism below the model
 * (tokenizer, KV cache, sequences, grammar sampler, speculative decoding) is the real one.
 * Outputs are compared as token counts and texts between runs, never against fixed strings.
 */
import assert from "node:assert/strict";
import { copyFile, mkdtemp, open, rm, truncate, writeFile } from "node:fs/promises";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import {
  LocalEngine,
  MAX_PARALLEL_TOOL_CALLS,
  collect,
  copyChain,
  generateModel,
  isEngineError,
  readGgufHeader,
  writeGguf,
  gguf,
  type ChatRequest,
  type CollectedResult,
  type EngineErrorCode,
  type GgufTensorSource,
  type StreamEvent,
  type ToolDefinition,
} from "@bora/inference";
import { REPO_ROOT } from "../../support/hostProcess.js";
import { ensureTestModel } from "../../support/testModels.js";

async function events(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

/** Polls `check` for up to a second: a sequence is freed once its last native step has returned. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 1000;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function ask(content: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { messages: [{ role: "user", content }], maxTokens: 24, ...extra };
}

async function rejectsWith(promise: Promise<unknown>, code: EngineErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isEngineError(error, code), `expected EngineError ${code}, got ${String(error)}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** Copies a GGUF with edited metadata (same tensors), using the project's own reader and writer. */
async function rewriteGguf(src: string, dst: string, edit: (m: Map<string, unknown>) => void): Promise<void> {
  const header = await readGgufHeader(src);
  const metadata = new Map(header.metadata);
  edit(metadata as Map<string, unknown>);
  const handle = await open(src, "r");
  try {
    const tensors: GgufTensorSource[] = [];
    for (const t of header.tensors) {
      const bytes = Buffer.alloc(t.byteSize ?? 0);
      await handle.read(bytes, 0, bytes.length, header.dataOffset + t.offset);
      tensors.push({ name: t.name, type: t.type as GgufTensorSource["type"], dims: t.dims, data: () => [bytes] });
    }
    await writeGguf(dst, metadata as typeof header.metadata, tensors);
  } finally {
    await handle.close();
  }
}

describe("local engine loading", () => {
  it("importing @bora/inference does not load node-llama-cpp, so the host starts without the native addon", async () => {
    // A resolve hook refuses node-llama-cpp; the positive control shows the hook does catch it.
    const script = `
      import { register } from "node:module";
      const hook = "export async function resolve(s, c, next) { if (s === 'node-llama-cpp' || s.startsWith('@node-llama-cpp/')) throw new Error('loaded ' + s); return next(s, c); }";
      register("data:text/javascript," + encodeURIComponent(hook));
      const inference = await import("@bora/inference");
      let control = "not refused";
      try { await import("node-llama-cpp"); } catch (error) { control = error.message; }
      console.log(JSON.stringify({ engine: typeof inference.LocalEngine, control }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      cwd: REPO_ROOT,
    });
    assert.deepEqual(JSON.parse(stdout), { engine: "function", control: "loaded node-llama-cpp" });
  });
});

describe("local engine (tiny generated model, real llama.cpp)", function () {
  this.timeout(60_000);
  let tiny: string;
  let engine: LocalEngine;
  /** One sequence and a queue of three, for the ordering, busy and deadline tests. */
  let single: LocalEngine;
  let scratch: string;

  before(async () => {
    tiny = await ensureTestModel("tiny");
    scratch = await mkdtemp(path.join(tmpdir(), "bora-local-engine-"));
    // Aligned steps forced: the concurrency test below checks that steps go out together, which the
    // default (measured) choice does only where aligning measures cheaper (see alignmentPolicy.ts).
    engine = await LocalEngine.open({
      modelPath: tiny,
      gpu: false,
      sequences: 4,
      contextSize: 2048,
      threads: 1,
      alignDecodeSteps: true,
    });
    single = await LocalEngine.open({
      modelPath: tiny,
      gpu: false,
      sequences: 1,
      contextSize: 2048,
      threads: 1,
      maxQueued: 3,
    });
  });

  after(async () => {
    await engine?.dispose();
    await single?.dispose();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("reports what it runs on: backend, threads, sequences, memory", async () => {
    const status = await engine.status();
    assert.equal(status.backend, "cpu");
    assert.deepEqual(status.devices, []);
    assert.equal(status.threads, 1);
    assert.equal(status.sequences, 4);
    assert.equal(status.contextSize, 2048);
    assert.ok(status.memory.modelBytes > 0 && status.memory.contextStateBytes > 0);
    assert.equal(engine.info.kind, "local");
    assert.deepEqual(engine.info.capabilities, { tools: true, fim: true, prediction: true });
  });

  it("tokenizes and detokenizes text exactly, emoji and accents included", async () => {
    for (const text of ["héllo 😀 ünïcode ✓", "function add(a, b) {\n  return a + b;\n}\n", "🧑‍💻 tabs\tand  spaces"]) {
      const tokens = engine.tokenize(text);
      assert.ok(tokens.length > 0);
      assert.equal(engine.detokenize(tokens), text);
      assert.equal(await engine.countTokens(text), tokens.length);
    }
  });

  it("streams text events in order and ends with exactly one done event carrying usage and timing", async () => {
    const all = await events(engine.chat(ask("Write something.", { maxTokens: 16 })));
    const done = all.at(-1);
    assert.equal(done?.type, "done");
    assert.equal(all.filter((e) => e.type === "done").length, 1);
    assert.ok(all.slice(0, -1).every((e) => e.type === "text"));
    assert.ok(done.type === "done");
    assert.ok(done.finishReason === "length" || done.finishReason === "stop");
    assert.ok(done.usage.completionTokens > 0 && done.usage.completionTokens <= 16);
    assert.ok(done.usage.promptTokens > 0);
    assert.ok(done.timing.ttftMs > 0 && done.timing.totalMs >= done.timing.ttftMs);
    if (done.usage.completionTokens > 1) assert.ok(done.timing.tokensPerSecond > 0);
    const streamed = all.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
    const again = await collect(engine.chat(ask("Write something.", { maxTokens: 16 })));
    assert.equal(again.text, streamed, "the pieces add up to the whole text");
  });

  it("greedy decoding repeats exactly, with a warm cache and on a fresh sequence", async () => {
    const first = await collect(engine.chat(ask("Tell me about determinism.", { maxTokens: 32 })));
    const warm = await collect(engine.chat(ask("Tell me about determinism.", { maxTokens: 32 })));
    assert.ok((warm.usage.cachedPromptTokens ?? 0) > 0, "the second run reused the cached prompt");
    const cold = await collect(single.chat(ask("Tell me about determinism.", { maxTokens: 32 })));
    assert.equal(cold.usage.cachedPromptTokens, 0, "another engine, another context: nothing cached");
    for (const run of [warm, cold]) {
      assert.equal(run.text, first.text);
      assert.equal(run.usage.completionTokens, first.usage.completionTokens);
    }
  });

  it("4 concurrent requests produce the same outputs as the same requests one after another", async () => {
    const prompts = ["alpha", "bravo charlie", "delta echo foxtrot", "golf"].map((p) => ask(p, { maxTokens: 24 }));
    const sequential: CollectedResult[] = [];
    for (const p of prompts) sequential.push(await collect(engine.chat(p)));
    const before = (await engine.status()).batching;
    const concurrent = await Promise.all(prompts.map((p) => collect(engine.chat(p))));
    const after = (await engine.status()).batching;
    assert.deepEqual(
      concurrent.map((r) => [r.text, r.usage.completionTokens]),
      sequential.map((r) => [r.text, r.usage.completionTokens]),
    );
    // Their decode steps went out together, one group per token position rather than one per token.
    const steps = after.steps - before.steps;
    const groups = after.groups - before.groups;
    const tokens = concurrent.reduce((sum, r) => sum + r.usage.completionTokens, 0);
    const longest = Math.max(...concurrent.map((r) => r.usage.completionTokens));
    assert.ok(steps >= tokens - 4, `${steps} steps for ${tokens} tokens`);
    assert.ok(groups <= longest + 2, `${groups} groups for ${steps} steps; the longest reply has ${longest} tokens`);
  });

  it("reuses a cached prefix: the sequence holding the shared system prompt is picked and skips it", async () => {
    const system = `You are a careful assistant. ${"Rules: be brief, be exact, cite files. ".repeat(30)}`;
    const convo = (q: string): ChatRequest => ({
      messages: [
        { role: "system", content: system },
        { role: "user", content: q },
      ],
      maxTokens: 4,
    });
    const systemTokens = await engine.countTokens(system);
    // Other prompts run in between, on other sequences; affinity must still find the right one.
    const first = await collect(engine.chat(convo("first question")));
    await Promise.all([collect(engine.chat(ask("unrelated one"))), collect(engine.chat(ask("unrelated two")))]);
    const second = await collect(engine.chat(convo("a different second question")));
    assert.ok(first.usage.promptTokens > systemTokens);
    assert.ok(
      (second.usage.cachedPromptTokens ?? 0) >= systemTokens,
      `cached ${second.usage.cachedPromptTokens} of ${second.usage.promptTokens}, system prompt alone is ${systemTokens}`,
    );
    assert.ok((second.usage.cachedPromptTokens ?? 0) < second.usage.promptTokens);
  });

  it("cancels mid-prefill promptly, frees the sequence and stays usable", async () => {
    const long = "lorem ipsum dolor sit amet ".repeat(60);
    const controller = new AbortController();
    const stream = engine.chat({ ...ask(long, { maxTokens: 8 }), signal: controller.signal });
    const pending = collect(stream);
    setTimeout(() => controller.abort(), 15);
    const result = await pending;
    assert.equal(result.finishReason, "aborted");
    assert.equal(result.usage.completionTokens, 0, "aborted before the first token: during the prefill");
    await until(async () => {
      const status = await engine.status();
      return status.running + status.queued === 0;
    }, "nothing left running or queued");
    const after = await collect(engine.chat(ask("still there?", { maxTokens: 4 })));
    assert.ok(after.usage.completionTokens > 0);
  });

  it("cancels mid-decode: the stream ends with aborted after the tokens produced so far", async () => {
    const controller = new AbortController();
    let pieces = 0;
    let done: StreamEvent | undefined;
    for await (const event of engine.chat({ ...ask("go on", { maxTokens: 400 }), signal: controller.signal })) {
      if (event.type === "text" && ++pieces === 5) controller.abort();
      if (event.type === "done") done = event;
    }
    assert.ok(done?.type === "done");
    assert.equal(done.finishReason, "aborted");
    assert.ok(done.usage.completionTokens >= 5 && done.usage.completionTokens < 400);
    await until(async () => (await engine.status()).running === 0, "the sequence is freed");
  });

  it("an already aborted signal ends the stream at once", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await collect(engine.chat({ ...ask("x"), signal: controller.signal }));
    assert.equal(result.finishReason, "aborted");
    assert.equal(result.usage.completionTokens, 0);
  });

  it("serves by priority: interactive first, then chat, then background in arrival order; a preempted request resumes exactly", async () => {
    {
      const alone = await collect(single.chat(ask("background A", { maxTokens: 120, priority: "background" })));
      const finished: string[] = [];
      const run = async (name: string, request: ChatRequest): Promise<CollectedResult> => {
        const result = await collect(single.chat(request));
        finished.push(name);
        return result;
      };
      let started!: () => void;
      const firstToken = new Promise<void>((resolve) => (started = resolve));
      const a = (async () => {
        let text = "";
        let result: StreamEvent | undefined;
        for await (const e of single.chat(ask("background A", { maxTokens: 120, priority: "background" }))) {
          if (e.type === "text") {
            text += e.text;
            started();
          }
          if (e.type === "done") result = e;
        }
        finished.push("A");
        return { text, result };
      })();
      await firstToken;
      const others = [
        run("B", ask("chat B", { maxTokens: 8, priority: "chat" })),
        run("C", ask("background C", { maxTokens: 8, priority: "background" })),
        run("D", ask("interactive D", { maxTokens: 8, priority: "interactive" })),
      ];
      const [resumed] = await Promise.all([a, ...others]);
      assert.deepEqual(finished, ["D", "B", "A", "C"]);
      assert.equal(resumed.text, alone.text, "the preempted request continued where it stopped");
      assert.ok(resumed.result?.type === "done");
      assert.equal(resumed.result.usage.completionTokens, alone.usage.completionTokens);
    }
  });

  it("refuses work past the queue limit as busy, and ends a request past its deadline", async () => {
    const running = collect(single.chat(ask("one", { maxTokens: 200 })));
    const queued = [1, 2, 3].map((i) => collect(single.chat(ask(`queued ${i}`, { maxTokens: 4 }))));
    await rejectsWith(collect(single.chat(ask("one too many", { maxTokens: 4 }))), "busy", /busy.*try again/);
    await Promise.all([running, ...queued]);
    await rejectsWith(
      collect(single.chat(ask("slow", { maxTokens: 1000, deadlineMs: 20 }))),
      "deadline",
      /deadline of 20 ms/,
    );
    const after = await collect(single.chat(ask("fine", { maxTokens: 2 })));
    assert.ok(after.usage.completionTokens > 0);
  });

  it("100 grammar-constrained tool calls all parse and all match their tool's JSON schema", async () => {
    // The server's validator (ajv 8, a server dependency) checks every call independently of the grammar.
    const ajv = new Ajv({ strict: true, allErrors: true });
    const tools: ToolDefinition[] = [
      {
        name: "read_file",
        description: "Reads a file",
        parameters: {
          type: "object",
          properties: {
            path: { type: "string", minLength: 1, maxLength: 8 },
            startLine: { type: "integer", minimum: 1, maximum: 100000 },
            count: { type: "integer" },
          },
          required: ["path", "count"],
          additionalProperties: false,
        },
      },
      {
        name: "set_flags",
        description: "Sets flags",
        parameters: {
          type: "object",
          properties: {
            mode: { enum: ["fast", "safe", "auto"] },
            level: { type: "number", minimum: -5, maximum: 5 },
            ratio: { type: "number" },
            tags: { type: "array", items: { type: "string", maxLength: 3 }, maxItems: 2 },
            nested: {
              type: "object",
              properties: { on: { type: "boolean" }, note: { type: ["string", "null"], maxLength: 4 } },
            },
          },
          required: ["mode"],
          additionalProperties: false,
        },
      },
    ];
    const validators = new Map(tools.map((t) => [t.name, ajv.compile(t.parameters)]));
    const results: CollectedResult[] = [];
    // Eight at a time: four run on the sequences, four wait in the queue.
    for (let batch = 0; batch < 100; batch += 8) {
      const requests = Array.from({ length: Math.min(8, 100 - batch) }, (_, j) =>
        collect(
          engine.chat({
            messages: [{ role: "user", content: `call a tool, attempt ${batch + j}` }],
            tools,
            toolChoice: "required",
            parallelToolCalls: false,
            temperature: batch + j === 0 ? 0 : 1,
            seed: batch + j,
            maxTokens: 160,
          }),
        ),
      );
      results.push(...(await Promise.all(requests)));
    }
    let valid = 0;
    for (const [i, r] of results.entries()) {
      assert.deepEqual(r.toolCallErrors, [], `call ${i} failed to parse`);
      assert.equal(r.finishReason, "toolCalls", `call ${i}`);
      assert.equal(r.toolCalls.length, 1);
      const call = r.toolCalls[0];
      assert.ok(call);
      const validate = validators.get(call.name);
      assert.ok(validate, `call ${i} names a known tool`);
      assert.ok(
        validate(call.arguments),
        `call ${i}: ${JSON.stringify(call.arguments)}: ${ajv.errorsText(validate.errors)}`,
      );
      valid++;
    }
    assert.equal(valid, 100);
    assert.ok(
      new Set(results.map((r) => JSON.stringify(r.toolCalls[0]?.arguments))).size > 10,
      "calls vary with the seed",
    );
  });

  it("with parallel calls allowed, a turn may hold several calls, up to the limit, each of them valid", async () => {
    const ajv = new Ajv({ strict: true });
    const tools: ToolDefinition[] = [
      {
        name: "read_file",
        description: "Reads a file",
        parameters: {
          type: "object",
          properties: { path: { type: "string", minLength: 1, maxLength: 6 } },
          required: ["path"],
          additionalProperties: false,
        },
      },
    ];
    const validate = ajv.compile(tools[0]?.parameters ?? {});
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        collect(
          engine.chat({
            messages: [{ role: "user", content: `read some files, attempt ${i}` }],
            tools,
            toolChoice: "required",
            temperature: 1,
            seed: 1000 + i,
            maxTokens: 400,
          }),
        ),
      ),
    );
    const counts = results.map((r) => r.toolCalls.length);
    for (const [i, r] of results.entries()) {
      assert.deepEqual(r.toolCallErrors, [], `request ${i}`);
      assert.equal(r.finishReason, "toolCalls");
      assert.ok(r.toolCalls.length >= 1 && r.toolCalls.length <= MAX_PARALLEL_TOOL_CALLS, `counts ${counts.join(",")}`);
      for (const call of r.toolCalls) assert.ok(validate(call.arguments), JSON.stringify(call.arguments));
      assert.equal(new Set(r.toolCalls.map((c) => c.id)).size, r.toolCalls.length, "every call has its own id");
    }
    // Random weights rarely end the turn where they could, so some turns hold more than one call.
    assert.ok(
      counts.some((n) => n > 1),
      `counts ${counts.join(",")}`,
    );
  });

  it("with tools in auto mode, a reply that does not open <tool_call> streams as plain text", async () => {
    const tools: ToolDefinition[] = [
      { name: "noop", description: "Does nothing", parameters: { type: "object", properties: {} } },
    ];
    for (let seed = 0; seed < 4; seed++) {
      const all = await events(
        engine.chat({ ...ask(`answer ${seed}`, { maxTokens: 12 }), tools, toolChoice: "auto", temperature: 1, seed }),
      );
      const done = all.at(-1);
      assert.ok(done?.type === "done");
      const text = all.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
      if (done.finishReason === "toolCalls") continue;
      assert.ok(!text.trimStart().startsWith("<tool_call>"));
      assert.equal(
        all.filter((e) => e.type === "toolCall" || e.type === "toolCallError").length,
        0,
        "text is not mistaken for a call",
      );
      assert.ok(text.length > 0 || done.usage.completionTokens === 0);
    }
  });

  it("in auto mode, a model that opens <tool_call> on its own is held to the tool's schema from there on", async () => {
    // A constructed model whose greedy reply is fixed: a word, then a call with a number where the
    // schema wants a string. Plain chat shows what it writes unconstrained; with the tool offered,
    // the grammar must take over at <tool_call> and make the call valid.
    const dir = await mkdtemp(path.join(tmpdir(), "bora-reply-"));
    const reply = ["Sure", "<tool_call>", '{"name": "read_file", "arguments": {"path": ', "42", "}}", "</tool_call>"];
    const modelPath = path.join(dir, "reply.gguf");
    await generateModel({ shape: "copy", out: modelPath, reply });
    const caller = await LocalEngine.open({ modelPath, gpu: false, sequences: 1, contextSize: 1024, threads: 1 });
    try {
      const tools: ToolDefinition[] = [
        {
          name: "read_file",
          description: "Reads a file",
          parameters: {
            type: "object",
            properties: { path: { type: "string", minLength: 1, maxLength: 8 } },
            required: ["path"],
            additionalProperties: false,
          },
        },
      ];
      const messages: ChatRequest["messages"] = [{ role: "user", content: "show me a.ts" }];
      const unconstrained = await collect(caller.chat({ messages, maxTokens: 64 }));
      assert.equal(unconstrained.text, reply.join(""), "the model's own reply, an invalid call");

      const all = await events(caller.chat({ messages, tools, toolChoice: "auto", maxTokens: 128 }));
      const text = all.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
      assert.equal(text, "Sure", "the text before the call streams as text, the call does not");
      assert.deepEqual(
        all.filter((e) => e.type === "toolCallError"),
        [],
      );
      const calls = all.flatMap((e) => (e.type === "toolCall" ? [e.call] : []));
      assert.equal(calls.length, 1);
      const [call] = calls;
      assert.equal(call?.name, "read_file");
      const validate = new Ajv({ strict: true }).compile(tools[0]?.parameters ?? {});
      assert.ok(validate(call?.arguments), `${JSON.stringify(call?.arguments)}: ${JSON.stringify(validate.errors)}`);
      const done = all.at(-1);
      assert.equal(done?.type === "done" ? done.finishReason : undefined, "toolCalls");
    } finally {
      await caller.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("edit() with a prediction gives exactly the plain greedy output", async () => {
    const messages: ChatRequest["messages"] = [
      { role: "user", content: "Rename x to y:\nconst x = 1;\nreturn x + 1;" },
    ];
    const plain = await collect(engine.chat({ messages, maxTokens: 48 }));
    const predicted = await collect(
      engine.edit({ messages, prediction: "const y = 1;\nreturn y + 1;", maxTokens: 48 }),
    );
    assert.equal(predicted.text, plain.text);
    assert.equal(predicted.usage.completionTokens, plain.usage.completionTokens);
    assert.equal(typeof predicted.usage.acceptedPredictionTokens, "number");
  });

  it("edit() on the copy model accepts the prediction it follows and still matches plain output", async () => {
    const copyPath = await ensureTestModel("copy");
    const copy = await LocalEngine.open({
      modelPath: copyPath,
      gpu: false,
      sequences: 1,
      contextSize: 1024,
      threads: 1,
    });
    try {
      const chain = copyChain();
      const messages: ChatRequest["messages"] = [{ role: "user", content: "copy" }];
      const plain = await collect(copy.chat({ messages, maxTokens: 64 }));
      const prediction = chain.text(64);
      const predicted = await collect(copy.edit({ messages, prediction, maxTokens: 64 }));
      assert.equal(predicted.text, plain.text);
      assert.equal(plain.text, prediction, "greedy output follows the chain");
      assert.ok(
        (predicted.usage.acceptedPredictionTokens ?? 0) >= 50,
        `accepted ${predicted.usage.acceptedPredictionTokens} of 64 predicted tokens`,
      );
    } finally {
      await copy.dispose();
    }
  });

  it("fills in the middle between a prefix and a suffix", async () => {
    const result = await collect(
      engine.complete({ prompt: "function add(a, b) {\n  return ", suffix: ";\n}\n", maxTokens: 12 }),
    );
    assert.ok(result.usage.completionTokens > 0);
    assert.ok(["stop", "length"].includes(result.finishReason));
    const plain = await collect(engine.complete({ prompt: "const answer = ", maxTokens: 6 }));
    assert.ok(plain.usage.completionTokens > 0);
  });

  it("refuses FIM on a model without FIM tokens with noFim", async () => {
    const noFim = path.join(scratch, "no-fim.gguf");
    await rewriteGguf(tiny, noFim, (m) => {
      for (const key of [...m.keys()]) if (key.includes("fim_")) m.delete(key);
      // llama.cpp also finds FIM tokens by their text, so rename them too.
      const tokens = m.get("tokenizer.ggml.tokens") as { value: string[] };
      m.set(
        "tokenizer.ggml.tokens",
        gguf.array(
          "string",
          tokens.value.map((t) => (/fim/.test(t) ? `<|unused_${t.length}_${t.slice(6, -2)}|>` : t)),
        ),
      );
    });
    const engineNoFim = await LocalEngine.open({
      modelPath: noFim,
      gpu: false,
      sequences: 1,
      contextSize: 512,
      threads: 1,
    });
    try {
      assert.equal(engineNoFim.info.capabilities.fim, false);
      await rejectsWith(collect(engineNoFim.complete({ prompt: "a", suffix: "b" })), "noFim", /fill-in-the-middle/);
      const plain = await collect(engineNoFim.complete({ prompt: "a", maxTokens: 2 }));
      assert.ok(plain.usage.completionTokens > 0, "plain completion still works");
    } finally {
      await engineNoFim.dispose();
    }
  });

  it("refuses a prompt longer than the context with contextOverflow, and keeps working", async () => {
    await rejectsWith(
      collect(engine.chat(ask("word ".repeat(3000)))),
      "contextOverflow",
      /a sequence holds 2048.*context size/,
    );
    const after = await collect(engine.chat(ask("ok", { maxTokens: 2 })));
    assert.ok(after.usage.completionTokens > 0);
  });

  it("turns bad model files into typed errors: missing, not GGUF, truncated, unsupported architecture", async () => {
    const openModel = (modelPath: string): Promise<LocalEngine> =>
      LocalEngine.open({ modelPath, gpu: false, sequences: 1, contextSize: 256, threads: 1 });
    await rejectsWith(openModel(path.join(scratch, "missing.gguf")), "modelNotFound", /no model file/i);
    const text = path.join(scratch, "notes.gguf");
    await writeFile(text, "this is not a model\n");
    await rejectsWith(openModel(text), "notGguf");
    const cut = path.join(scratch, "cut.gguf");
    await copyFile(tiny, cut);
    await truncate(cut, 300_000);
    await rejectsWith(openModel(cut), "truncatedModel", /download/);
    const alien = path.join(scratch, "alien.gguf");
    await rewriteGguf(tiny, alien, (m) => m.set("general.architecture", gguf.string("quantum-mamba-9000")));
    await rejectsWith(openModel(alien), "unsupportedArchitecture", /quantum-mamba-9000/);
  });

  it("reports a context that does not fit in memory as outOfMemory instead of crashing", async () => {
    await rejectsWith(
      LocalEngine.open({ modelPath: tiny, gpu: false, sequences: 1, contextSize: 2 ** 25, threads: 1 }),
      "outOfMemory",
      /smaller context size/,
    );
  });

  it("ends a running request with disposed when the engine shuts down, and refuses later calls", async () => {
    const short = await LocalEngine.open({ modelPath: tiny, gpu: false, sequences: 1, contextSize: 512, threads: 1 });
    let pieces = 0;
    const running = (async () => {
      for await (const event of short.chat(ask("keep going", { maxTokens: 400 }))) {
        if (event.type === "text" && ++pieces === 3) void short.dispose();
      }
    })();
    await rejectsWith(running, "disposed", /shut down/);
    await rejectsWith(collect(short.chat(ask("x"))), "disposed");
    await rejectsWith(short.countTokens("x"), "disposed");
  });
});
