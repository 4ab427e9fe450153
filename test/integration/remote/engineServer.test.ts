/**
 * `bora engine serve` as a real process over real HTTP: RemoteEngine and the official `openai`
 * client against it (scripted engine for exact turns; the local engine on the generated tiny
 * model for the real thing), bearer tokens, and cancellation reaching the engine.
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile as readFileBytes, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  LocalEngine,
  RemoteEngine,
  ScriptedEngine,
  EngineError,
  chooseEngine,
  collect,
  isEngineError,
  isRemoteEngineError,
  parseScript,
  type ChatRequest,
  type Engine,
  type ToolDefinition,
} from "@bora/inference";
import { DEFAULT_SETTINGS } from "@bora/protocol";
import OpenAI from "openai";
import { EngineHttpServer } from "../../../server/src/engineServer/EngineHttpServer.js";
import { roleSpecsFor } from "../../../server/src/engines/engineManager.js";
import { createEngineProvider } from "../../../server/src/engines/engineProvider.js";
import { defaultEngineDeps, openEngine } from "../../../server/src/engines/openEngine.js";
import { createLogger } from "../../../server/src/host/logger.js";
import { AjvToolValidator } from "../../../server/src/engines/toolArgumentsValidator.js";
import { remoteEngineFetch } from "../../../server/src/http/fetches.js";
import { HttpPolicy, type HttpPolicyOptions } from "../../../server/src/http/policy.js";
import { exitOf, spawnCli } from "../../support/hostProcess.js";
import { ensureTestModel } from "../../support/testModels.js";
import { startModelFileServer, type ModelFileServer } from "../modelStore/modelFileServer.js";
import { startEngineServe, type ServedEngine } from "../../support/engineServe.js";

const readFile: ToolDefinition = {
  name: "read_file",
  description: "Reads a file of the workspace",
  parameters: {
    type: "object",
    properties: { path: { type: "string", maxLength: 40 } },
    required: ["path"],
    additionalProperties: false,
  },
};

const script = {
  turns: [
    { content: "Hello from the scripted model." },
    { content: "Let me look.", tool_calls: [{ name: "read_file", arguments: { path: "src/main.ts" } }] },
    { content: "Not streamed." },
    { tool_calls: [{ name: "read_file", arguments: { path: "README.md" } }] },
    { content: "Completion text" },
    { tool_calls: [{ name: "read_file", arguments: { path: "a/b.ts" } }] },
  ],
};

/** The host's remote-engine fetch over a policy with one quick retry. */
function policyFetch(options: HttpPolicyOptions = {}) {
  return remoteEngineFetch(new HttpPolicy({ maxRetries: 1, baseDelayMs: 5, maxDelayMs: 50, ...options }));
}

function remote(baseUrl: string, extra: Partial<ConstructorParameters<typeof RemoteEngine>[0]> = {}): RemoteEngine {
  return new RemoteEngine({
    preset: "bora",
    baseUrl,
    model: "scripted",
    validator: new AjvToolValidator(),
    env: {},
    fetch: policyFetch(),
    ...extra,
  });
}

describe("bora engine serve", function () {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "bora-engine-serve-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  describe("over a scripted engine", () => {
    let served: ServedEngine;
    before(async () => {
      const file = path.join(dir, "script.json");
      await writeFile(file, JSON.stringify(script));
      served = await startEngineServe(["--engine", `script:${file}`]);
    });
    after(() => served.stop());

    it("streams chat text and a tool call to RemoteEngine, and answers without streaming too", async () => {
      const engine = remote(served.baseUrl);
      const first = await collect(engine.chat({ messages: [{ role: "user", content: "hi" }] }));
      assert.equal(first.text, "Hello from the scripted model.");
      assert.equal(first.finishReason, "stop");
      assert.ok(first.usage.completionTokens > 0);

      const second = await collect(
        engine.chat({ messages: [{ role: "user", content: "read main" }], tools: [readFile] }),
      );
      assert.equal(second.text, "Let me look.");
      assert.deepEqual(
        second.toolCalls.map((c) => [c.name, c.arguments]),
        [["read_file", { path: "src/main.ts" }]],
      );
      assert.equal(second.finishReason, "toolCalls");

      const third = await collect(
        remote(served.baseUrl, { stream: false }).chat({ messages: [{ role: "user", content: "x" }] }),
      );
      assert.equal(third.text, "Not streamed.");
    });

    it("the official openai client streams a chat completion with a tool call from it", async () => {
      const client = new OpenAI({ apiKey: "unused", baseURL: served.baseUrl, maxRetries: 0 });
      const models = await client.models.list();
      assert.deepEqual(
        models.data.map((m) => m.id),
        ["scripted"],
      );
      const stream = client.chat.completions.stream({
        model: "scripted",
        messages: [{ role: "user", content: "what is in the README?" }],
        tools: [
          {
            type: "function",
            function: { name: readFile.name, description: readFile.description, parameters: readFile.parameters },
          },
        ],
        stream_options: { include_usage: true },
      });
      let chunks = 0;
      for await (const part of stream) if (part.choices.length > 0 || part.usage) chunks++;
      const final = await stream.finalChatCompletion();
      const choice = final.choices[0]!;
      assert.equal(choice.finish_reason, "tool_calls");
      const call = choice.message.tool_calls?.[0];
      assert.ok(call?.type === "function");
      assert.equal(call.function.name, "read_file");
      assert.deepEqual(JSON.parse(call.function.arguments), { path: "README.md" });
      assert.match(call.id, /\S/);
      assert.ok(chunks >= 3, `streamed in ${chunks} chunks`);
      assert.ok(final.usage && final.usage.completion_tokens > 0, "the usage chunk arrived");

      const completion = await client.completions.create({ model: "scripted", prompt: "Once", max_tokens: 5 });
      assert.equal(completion.choices[0]?.text, "Completion text");
    });

    it("answers bad requests in OpenAI's error format, which the openai client surfaces", async () => {
      const client = new OpenAI({ apiKey: "unused", baseURL: served.baseUrl, maxRetries: 0 });
      await assert.rejects(
        client.chat.completions.create({ model: "scripted", messages: [{ role: "wizard", content: "x" } as never] }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.BadRequestError);
          assert.equal(error.param, "messages[0].role");
          return true;
        },
      );
      await assert.rejects(
        client.chat.completions.create({ model: "gpt-9", messages: [{ role: "user", content: "x" }] }),
        (error: unknown) => error instanceof OpenAI.NotFoundError && error.code === "model_not_found",
      );
      await assert.rejects(
        RemoteEngine.connect({
          preset: "bora",
          baseUrl: served.baseUrl,
          model: "gpt-9",
          validator: new AjvToolValidator(),
          fetch: policyFetch(),
        }),
        (error: unknown) => isEngineError(error, "modelNotFound") && /serves 'scripted'/.test(error.message),
      );
    });

    it("checks tool calls from the server against the client's own schema", async () => {
      // The script's next turn is a valid call, but this client offers a stricter schema: the
      // remote side must flag it, not pass it on.
      const strict: ToolDefinition = {
        ...readFile,
        parameters: { ...readFile.parameters, properties: { path: { type: "string", pattern: "^src/" } } },
      };
      const result = await collect(
        remote(served.baseUrl).chat({ messages: [{ role: "user", content: "x" }], tools: [strict] }),
      );
      assert.deepEqual(result.toolCalls, []);
      assert.equal(result.toolCallErrors[0]?.rawArguments, '{"path":"a/b.ts"}');
      assert.match(result.toolCallErrors[0]!.message, /must match pattern/);
    });
  });

  describe("bearer token", () => {
    it("refuses to bind beyond loopback without --token-file", async () => {
      const child = spawnCli(["engine", "serve", "--engine", "script:unused.json", "--listen", "0.0.0.0:0"]);
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const { code } = await exitOf(child);
      assert.equal(code, 2);
      assert.match(stderr, /refusing to listen on 0\.0\.0\.0 without --token-file/);
    });

    it("requires the token when one is set, and never logs it", async () => {
      const token = "tok_4f1c2e9a7b3d";
      const tokenFile = path.join(dir, "token");
      await writeFile(tokenFile, `${token}\n`);
      await chmod(tokenFile, 0o600);
      const scriptFile = path.join(dir, "script2.json");
      await writeFile(scriptFile, JSON.stringify({ turns: [{ content: "authorised" }] }));
      const served = await startEngineServe(["--engine", `script:${scriptFile}`, "--token-file", tokenFile]);
      try {
        for (const apiKey of [undefined, "tok_wrong"]) {
          await assert.rejects(
            collect(
              remote(served.baseUrl, apiKey === undefined ? {} : { apiKey }).chat({
                messages: [{ role: "user", content: "x" }],
              }),
            ),
            (error: unknown) => isRemoteEngineError(error, "unauthorized") && error.status === 401,
          );
        }
        const ok = await collect(
          remote(served.baseUrl, { apiKey: token }).chat({ messages: [{ role: "user", content: "x" }] }),
        );
        assert.equal(ok.text, "authorised");
        const health = await fetch(served.baseUrl.replace(/\/v1$/, "/health"));
        assert.equal(health.status, 200, "/health stays open for load balancers");
      } finally {
        await served.stop();
      }
      assert.match(served.stderr(), /POST \/v1\/chat\/completions 401/);
      assert.doesNotMatch(served.stderr(), new RegExp(token));
    });
  });

  describe("in-process server", () => {
    it("aborts the engine's request when the client cancels, and turns engine busy into a retried 429", async () => {
      const scripted = new ScriptedEngine(
        parseScript({
          turns: [{ content: Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ") }, { content: "after busy" }],
        }),
        { chunkDelayMs: 15 },
      );
      const signals: AbortSignal[] = [];
      let busyOnce = true;
      const watched: Engine = {
        info: scripted.info,
        chat(request: ChatRequest) {
          if (request.signal) signals.push(request.signal);
          if (busyOnce && signals.length === 2) {
            busyOnce = false;
            return (async function* () {
              yield* [];
              throw new EngineError("busy", "every sequence is taken");
            })();
          }
          return scripted.chat(request);
        },
        complete: (r) => scripted.complete(r),
        edit: (r) => scripted.edit(r),
        countTokens: (t) => scripted.countTokens(t),
        dispose: () => scripted.dispose(),
      };
      const server = new EngineHttpServer({ engine: watched, modelId: "scripted" });
      const baseUrl = await server.listen("127.0.0.1", 0);
      try {
        const controller = new AbortController();
        let texts = 0;
        const events = [];
        for await (const e of remote(baseUrl).chat({
          messages: [{ role: "user", content: "go" }],
          signal: controller.signal,
        })) {
          events.push(e);
          if (e.type === "text" && ++texts === 3) controller.abort();
        }
        const last = events.at(-1);
        assert.ok(last?.type === "done" && last.finishReason === "aborted");
        const serverSignal = signals[0]!;
        const started = performance.now();
        while (!serverSignal.aborted && performance.now() - started < 2000) await new Promise((r) => setTimeout(r, 10));
        assert.ok(serverSignal.aborted, "the engine behind the server saw the cancel");

        const retried: string[] = [];
        const after = await collect(
          remote(baseUrl, {
            // The server asks for 1 s (Retry-After: 1), which the policy waits out.
            fetch: policyFetch({ onWait: (w) => retried.push(`HTTP ${w.cause}`) }),
          }).chat({ messages: [{ role: "user", content: "again" }] }),
        );
        assert.deepEqual(retried, ["HTTP 429"]);
        assert.equal(after.text, "after busy");
      } finally {
        await server.close();
      }
    });
  });

  describe("in-process server, what reaches the engine", () => {
    it("turns a prediction into edit(), a suffix into fill-in-the-middle, and counts tokens with the engine", async () => {
      const scripted = new ScriptedEngine(parseScript({ turns: [{ content: "let y = 1;" }, { content: "b)" }] }));
      const server = new EngineHttpServer({ engine: scripted, modelId: "scripted" });
      const baseUrl = await server.listen("127.0.0.1", 0);
      try {
        const engine = remote(baseUrl);
        assert.deepEqual(engine.info.capabilities, { tools: true, fim: true, prediction: true });
        const edited = await collect(
          engine.edit({
            messages: [{ role: "user", content: "rename x to y" }],
            prediction: "let x = 1;",
            priority: "interactive",
          }),
        );
        assert.equal(edited.text, "let y = 1;");
        const filled = await collect(engine.complete({ prompt: "add(a, ", suffix: ";", maxTokens: 4 }));
        assert.equal(filled.text, "b)");
        assert.equal(await engine.countTokens("one two three"), await scripted.countTokens("one two three"));
        const [edit, complete] = scripted.requests;
        assert.ok(edit?.kind === "edit" && complete?.kind === "complete");
        assert.equal(edit.request.prediction, "let x = 1;");
        assert.equal(edit.request.priority, "interactive", "the priority travels in x-bora-priority");
        assert.deepEqual(
          [complete.request.prompt, complete.request.suffix, complete.request.maxTokens],
          ["add(a, ", ";", 4],
        );

        // The host's path from settings to an engine reaches the same server.
        const choice = await chooseEngine(
          { engine: "remote", models: { chat: "scripted" }, remote: { preset: "bora", baseUrl } },
          () => Promise.reject(new Error("a remote engine looks nothing up on disk")),
        );
        assert.ok(choice.kind === "remote");
        const specs = roleSpecsFor(choice, DEFAULT_SETTINGS, undefined);
        const deps = defaultEngineDeps({
          env: {},
          cwd: dir,
          log: createLogger("error"),
          http: new HttpPolicy({ maxRetries: 1, baseDelayMs: 5, maxDelayMs: 50 }),
        });
        const provider = createEngineProvider(specs, deps);
        try {
          const fromSettings = await provider.forRole("chat");
          assert.equal(
            fromSettings?.info.contextSize,
            scripted.info.contextSize,
            "connect() read the context size from /v1/models",
          );
        } finally {
          await provider.dispose();
        }
        assert.ok(specs.chat.kind === "remote");
        await assert.rejects(openEngine({ ...specs.chat, model: "other" }, deps), (error: unknown) =>
          isEngineError(error, "modelNotFound"),
        );
      } finally {
        await server.close();
      }
    });
  });

  describe("over the local engine on the generated tiny model", function () {
    this.timeout(120000);
    let modelPath: string;
    let served: ServedEngine;
    let local: LocalEngine;
    let files: ModelFileServer;
    before(async () => {
      modelPath = await ensureTestModel("tiny");
      // Served from a URL, so `--model <uri>` goes through the model store first.
      files = await startModelFileServer();
      files.files.set("/models/tiny.gguf", { data: await readFileBytes(modelPath) });
      served = await startEngineServe(
        ["--model", files.url("/models/tiny.gguf"), "--cpu", "--sequences", "2", "--context-size", "1024"],
        { BORA_MODELS_DIR: path.join(dir, "models") },
      );
      local = await LocalEngine.open({ modelPath, gpu: false, sequences: 2, contextSize: 1024 });
    });
    after(async () => {
      await served?.stop();
      await local?.dispose();
      await files?.close();
    });

    it("pulled the model into the store before serving it", async () => {
      assert.deepEqual(await readFileBytes(path.join(dir, "models", "tiny.gguf")), await readFileBytes(modelPath));
      const listed = await remote(served.baseUrl, { model: "tiny" }).listModels();
      assert.deepEqual(listed, [{ id: "tiny", contextSize: 1024 }]);
    });

    it("streams the same greedy text through HTTP as the engine gives in-process", async () => {
      const request = {
        messages: [{ role: "user" as const, content: "Write a loop in TypeScript." }],
        maxTokens: 24,
        temperature: 0,
      };
      const viaHttp = await collect(remote(served.baseUrl, { model: "tiny" }).chat(request));
      const inProcess = await collect(local.chat(request));
      assert.ok(inProcess.text.length > 0);
      assert.equal(viaHttp.text, inProcess.text);
      assert.equal(viaHttp.usage.completionTokens, inProcess.usage.completionTokens);
    });

    it("returns a grammar-constrained tool call that passes the client's schema check", async () => {
      const result = await collect(
        remote(served.baseUrl, { model: "tiny" }).chat({
          messages: [{ role: "user", content: "Read the main file." }],
          tools: [readFile],
          toolChoice: "required",
          // Room for the whole call: a call cut off by the limit is (rightly) a toolCallError.
          maxTokens: 200,
        }),
      );
      assert.deepEqual(result.toolCallErrors, []);
      assert.equal(result.toolCalls.length >= 1, true);
      assert.equal(result.toolCalls[0]?.name, "read_file");
      assert.equal(typeof result.toolCalls[0]?.arguments["path"], "string");
      assert.equal(result.finishReason, "toolCalls");
    });
  });
});
