/**
 * `bora/inlineEdit` through the built host over a real LSP connection: the copy model on the local
 * engine (deterministic output, so streams and figures can be checked exactly), a scripted model
 * behind `bora engine serve` where the words must be exact (a chatty, fenced answer arrives clean),
 * and a recording OpenAI-compatible fake where what the host sent must be seen (a follow-up).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { copyChain } from "@bora/inference";
import { InlineEdit, type InlineEditParams, type InlineEditPartial, type InlineEditResult } from "@bora/protocol";
import {
  CancellationTokenSource,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  ProgressType,
  ShutdownRequest,
  WorkDoneProgress,
  WorkspaceFoldersRequest,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from "vscode-languageserver-protocol/node";
import { startHostWithSettings, waitFor, type HostWithSettings } from "../../support/hostProcess.js";
import { ensureTestModel } from "../../support/testModels.js";
import { startEngineServe, type ServedEngine } from "../../support/engineServe.js";
import { chunk, startFakeOpenAiServer, usageChunk, type FakeOpenAiServer } from "../remote/fakeOpenAiServer.js";

const partials = new ProgressType<InlineEditPartial>();
let tokens = 0;

async function stop({ host }: HostWithSettings): Promise<void> {
  await host.connection.sendRequest(ShutdownRequest.type);
  await host.connection.sendNotification(ExitNotification.type);
  await host.exited;
  await host.dispose();
}

/** The host with an engine ready, answering `workspace/workspaceFolders` with `workspace`. */
async function editHost(settings: unknown, workspace: string, env: NodeJS.ProcessEnv = {}): Promise<HostWithSettings> {
  const started = await startHostWithSettings(() => settings, env);
  started.host.connection.onRequest(WorkspaceFoldersRequest.type, () => [
    { uri: pathToFileURL(workspace).href, name: "workspace" },
  ]);
  await waitFor("engine ready", () => started.statuses.find((s) => s.engine.state === "ready"), 60_000, {
    seen: () => JSON.stringify(started.statuses.at(-1)),
  });
  return started;
}

async function open(started: HostWithSettings, uri: string, text: string, version = 1): Promise<void> {
  await started.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: "typescript", version, text },
  });
}

interface Streamed {
  result: InlineEditResult;
  deltas: string[];
  /** Milliseconds from sending to the first delta, and to the answer. */
  firstDeltaMs: number;
  totalMs: number;
}

/** Sends an inline edit with a fresh partial-result token and collects what streams on it. */
async function inlineEdit(
  started: HostWithSettings,
  params: Omit<InlineEditParams, "partialResultToken">,
  cancel?: CancellationTokenSource,
  onDelta?: (delta: string) => void,
): Promise<Streamed> {
  const token = `edit-${++tokens}`;
  const deltas: string[] = [];
  const sent = performance.now();
  let firstDeltaMs = -1;
  const listening = started.host.connection.onProgress(partials, token, (value) => {
    if (deltas.length === 0) firstDeltaMs = performance.now() - sent;
    deltas.push(value.delta);
    onDelta?.(value.delta);
  });
  try {
    const result = await started.host.connection.sendRequest(
      InlineEdit.type,
      { ...params, partialResultToken: token },
      cancel?.token,
    );
    return { result, deltas, firstDeltaMs, totalMs: performance.now() - sent };
  } finally {
    listening.dispose();
  }
}

function newTextOf(result: InlineEditResult): { uri: string; version: number | null; newText: string; range: unknown } {
  const change = result.edit.documentChanges?.[0] as {
    textDocument: { uri: string; version: number | null };
    edits: { range: unknown; newText: string }[];
  };
  assert.equal(result.edit.documentChanges?.length, 1);
  assert.equal(change.edits.length, 1);
  return { ...change.textDocument, newText: change.edits[0]!.newText, range: change.edits[0]!.range };
}

const errorCode = (error: unknown): number | undefined => (error as { code?: number }).code;

const lines = (start: number, end: number): InlineEditParams["range"] => ({
  start: { line: start, character: 0 },
  end: { line: end, character: 0 },
});

describe("bora/inlineEdit over LSP", function () {
  this.timeout(180_000);
  const workspace = mkdtempSync(path.join(os.tmpdir(), "bora-inline-edit-"));
  const env = { BORA_MODELS_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-inline-edit-models-")) };
  const uriOf = (name: string): string => pathToFileURL(path.join(workspace, name)).href;

  describe("on the copy model (local engine)", () => {
    let started: HostWithSettings;
    const chain = copyChain();
    before(async () => {
      const model = await ensureTestModel("copy");
      started = await editHost(
        { engine: "local", models: { chat: model }, local: { contextSize: 8192, sequences: 1 } },
        workspace,
        env,
      );
    });
    after(async () => {
      if (started) await stop(started);
    });

    it("streams the replacement as partial results, then answers the edit for the version asked about", async () => {
      const uri = uriOf("copy.ts");
      const selected = `${chain.text(80)}\n`;
      await open(started, uri, `// header\n${selected}// footer\n`, 7);
      const events: (WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd)[] = [];
      const workDoneToken = `work-${tokens}`;
      started.host.connection.onProgress(WorkDoneProgress.type, workDoneToken, (v) => void events.push(v));
      const { result, deltas } = await inlineEdit(started, {
        textDocument: { uri, version: 7 },
        range: lines(1, 2),
        instruction: "keep it",
        workDoneToken,
      });
      const edit = newTextOf(result);
      assert.deepEqual([edit.uri, edit.version, edit.range], [uri, 7, lines(1, 2)]);
      // The copy model writes the chain from its start until its token limit: exactly known text.
      assert.equal(result.finishReason, "length");
      assert.equal(edit.newText, `${chain.text(result.stats.generatedTokens)}\n`);
      assert.ok(deltas.length > 1, `streamed in several deltas, got ${deltas.length}`);
      assert.equal(deltas.join(""), edit.newText, "the deltas add up to the answer");
      assert.ok(result.stats.predictedTokensAccepted >= 60, `prediction used: ${JSON.stringify(result.stats)}`);
      assert.ok(result.stats.promptTokens > 80 && result.stats.ms > 0);
      await waitFor("work done end", () => events.find((e) => e.kind === "end"));
      assert.equal(events[0]?.kind, "begin");
    });

    it("refuses a selection too large for the context with the numbers, and generates nothing", async () => {
      const uri = uriOf("huge.ts");
      await open(started, uri, `${chain.text(9000)}\n`);
      const tokS = started.statuses.filter((s) => s.engine.lastTokensPerSecond !== undefined).length;
      const token = `edit-${++tokens}`;
      let streamed = 0;
      started.host.connection.onProgress(partials, token, () => void streamed++);
      await assert.rejects(
        started.host.connection.sendRequest(InlineEdit.type, {
          textDocument: { uri, version: 1 },
          range: lines(0, 1),
          instruction: "shorten",
          partialResultToken: token,
        }),
        (error: unknown) => {
          assert.equal(errorCode(error), -32803, "RequestFailed");
          const data = (error as { data?: { code?: string; message?: string } }).data;
          assert.equal(data?.code, "editTooLarge");
          assert.match(data?.message ?? "", /it is 9,00\d tokens.*context holds 8,192/);
          return true;
        },
      );
      assert.equal(streamed, 0);
      const after = started.statuses.filter((s) => s.engine.lastTokensPerSecond !== undefined).length;
      assert.equal(after, tokS, "no generation reported a speed");
    });

    it("stops a cancelled edit within 300 ms and serves the next request on the freed sequence", async () => {
      const uri = uriOf("cancel.ts");
      // Words the chain never writes: the prediction is refuted and decoding runs token by token, long enough to cancel.
      const words = Array.from({ length: 60 }, (_, i) => `the quick brown fox ${i} jumps over the lazy dog`).join(" ");
      const short = chain.text(40);
      await open(started, uri, `${words}\n${short}\n`);
      const source = new CancellationTokenSource();
      let streamed = 0;
      const pending = inlineEdit(
        started,
        { textDocument: { uri, version: 1 }, range: lines(0, 1), instruction: "rewrite" },
        source,
        (delta) => void (streamed += delta.length),
      );
      // Well into generation (of about 4,000 tokens) before cancelling; a finished edit would resolve instead.
      await waitFor("a hundred streamed characters", () => streamed >= 100);
      const cancelledAt = performance.now();
      source.cancel();
      await assert.rejects(pending, (error: unknown) => errorCode(error) === -32800);
      const cancelMs = performance.now() - cancelledAt;
      const next = await inlineEdit(started, {
        textDocument: { uri, version: 1 },
        range: lines(1, 2),
        instruction: "keep",
      });
      console.log(
        `      cancel answered in ${cancelMs.toFixed(0)} ms; next edit: first delta ${next.firstDeltaMs.toFixed(0)} ms, done ${next.totalMs.toFixed(0)} ms`,
      );
      assert.ok(cancelMs < 300, `cancel took ${cancelMs.toFixed(0)} ms`);
      // One sequence: had the cancelled generation held it, the next edit would wait for its thousands of tokens.
      assert.ok(next.firstDeltaMs < 2000, `the next edit waited ${next.firstDeltaMs.toFixed(0)} ms`);
      assert.equal(newTextOf(next.result).newText, `${chain.text(next.result.stats.generatedTokens)}\n`);
    });
  });

  describe("on a scripted model behind `bora engine serve`", () => {
    let served: ServedEngine;
    let started: HostWithSettings;
    const fenced =
      "Sure! Here is the updated code:\n\n```typescript\nexport function sum(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0);\n}\n```\n\nThis uses `reduce` instead of the loop.";
    const inserted = "```ts\nif (xs.length === 0) return 0;\n```";
    const text = [
      "export function sum(xs: number[]): number {",
      "  let total = 0;",
      "  for (const x of xs) total += x;",
      "  return total;",
      "}",
      "",
    ].join("\n");
    before(async () => {
      const script = path.join(workspace, "script.json");
      writeFileSync(script, JSON.stringify({ turns: [{ content: fenced }, { content: inserted }] }));
      served = await startEngineServe(["--engine", `script:${script}`, "--model-name", "scripted-model"]);
      started = await editHost(
        { engine: "remote", models: { chat: "scripted-model" }, remote: { preset: "bora", baseUrl: served.baseUrl } },
        workspace,
        env,
      );
    });
    after(async () => {
      if (started) await stop(started);
      await served?.stop();
    });

    it("refuses stale versions, unknown and closed documents, ranges outside and bad params, generating nothing", async () => {
      const { connection } = started.host;
      const uri = uriOf("sum.ts");
      await open(started, uri, text, 1);
      await connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: 2 },
        contentChanges: [{ text }],
      });
      const send = (params: unknown): Promise<unknown> => connection.sendRequest(InlineEdit.method, params);
      const base = { textDocument: { uri, version: 2 }, range: lines(1, 3), instruction: "use reduce" };
      const refused = async (params: unknown, code: number, message: RegExp): Promise<void> => {
        await assert.rejects(send(params), (error: unknown) => {
          assert.equal(errorCode(error), code, (error as Error).message);
          assert.match((error as Error).message, message);
          return true;
        });
      };
      await refused({ ...base, textDocument: { uri, version: 1 } }, -32801, /version 2 in the host, not 1/);
      await refused(
        { ...base, textDocument: { uri: uriOf("nothing.ts"), version: 1 } },
        -32602,
        /not open in the host/,
      );
      await refused({ ...base, range: lines(1, 40) }, -32602, /outside/);
      await refused(
        { ...base, range: { start: { line: 0, character: 99 }, end: { line: 1, character: 0 } } },
        -32602,
        /past the end of line 0/,
      );
      await refused(
        { textDocument: base.textDocument, range: base.range },
        -32602,
        /missing required field 'instruction'/,
      );
      await refused(
        { ...base, range: { start: { line: -1, character: 0 }, end: base.range.end } },
        -32602,
        /range\.start\.line/,
      );
      const closed = uriOf("closed.ts");
      await open(started, closed, text);
      await connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: closed } });
      await refused({ ...base, textDocument: { uri: closed, version: 1 } }, -32602, /not open in the host/);
    });

    it("turns a chatty, fenced answer into the clean replacement, live and in the result", async () => {
      // The script's first turn: had a refusal above reached the model, this would get the second.
      const uri = uriOf("sum.ts");
      const { result, deltas } = await inlineEdit(started, {
        textDocument: { uri, version: 2 },
        range: lines(0, 5),
        instruction: "use reduce",
      });
      const expected = "export function sum(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0);\n}\n";
      assert.equal(newTextOf(result).newText, expected);
      assert.equal(newTextOf(result).version, 2);
      assert.ok(deltas.length > 3, `streamed in pieces, got ${deltas.length}`);
      let shown = "";
      for (const delta of deltas) {
        shown += delta;
        assert.ok(expected.startsWith(shown), `a delta showed ${JSON.stringify(shown)}`);
      }
      assert.equal(shown, expected);
    });

    it("inserts at an empty range: whole lines at the indentation there", async () => {
      const uri = uriOf("sum.ts");
      const at = { line: 1, character: 0 };
      const { result } = await inlineEdit(started, {
        textDocument: { uri, version: 2 },
        range: { start: at, end: at },
        instruction: "return 0 for an empty list",
      });
      const edit = newTextOf(result);
      assert.deepEqual(edit.range, { start: at, end: at });
      assert.equal(edit.newText, "  if (xs.length === 0) return 0;\n");
    });
  });

  describe("on a recording OpenAI-compatible server", () => {
    let fake: FakeOpenAiServer;
    let started: HostWithSettings;
    before(async () => {
      fake = await startFakeOpenAiServer();
      fake.fallback = { kind: "json", body: { object: "list", data: [{ id: "fake-model", object: "model" }] } };
      writeFileSync(path.join(workspace, "AGENTS.md"), "Always use const.\n");
      started = await editHost(
        { engine: "remote", models: { chat: "fake-model" }, remote: { preset: "openai", baseUrl: fake.baseUrl } },
        workspace,
        env,
      );
    });
    after(async () => {
      if (started) await stop(started);
      await fake?.close();
    });

    it("sends a follow-up with the original text, the previous attempt as the prediction, both instructions and the rules", async () => {
      const uri = uriOf("follow.ts");
      await open(started, uri, "let a = 1;\nlet b = a + 1;\n");
      fake.queue.push({
        kind: "sse",
        events: [
          chunk({ role: "assistant", content: "" }),
          chunk({ content: "const b = 2;\n" }),
          chunk({}, "stop"),
          usageChunk(90, 6),
        ],
      });
      const previous = { instruction: "use const", text: "const a = 1;\nconst b = a + 1;\n" };
      const { result } = await inlineEdit(started, {
        textDocument: { uri, version: 1 },
        range: lines(0, 2),
        instruction: "inline a",
        previous,
        diagnostics: [
          {
            range: { start: { line: 1, character: 8 }, end: { line: 1, character: 9 } },
            message: "'a' could be inlined",
            severity: 4,
            source: "lint",
          },
        ],
      });
      assert.equal(newTextOf(result).newText, "const b = 2;\n");
      const sent = fake.requests.find((r) => r.path.endsWith("/chat/completions"))?.body as {
        messages: { role: string; content: string }[];
        prediction?: { type: string; content: string };
      };
      assert.deepEqual(sent.prediction, { type: "content", content: previous.text });
      const user = sent.messages.find((m) => m.role === "user")?.content ?? "";
      assert.match(user, /<selection>\nlet a = 1;\nlet b = a \+ 1;\n<\/selection>/, "the original text");
      assert.match(user, /<previous_answer>\nconst a = 1;\nconst b = a \+ 1;\n<\/previous_answer>/);
      assert.match(user, /First instruction: use const/);
      assert.match(user, /Now refine your previous answer: inline a/);
      assert.match(user, /line 2, hint \[lint\]: 'a' could be inlined/);
      assert.match(sent.messages[0]?.content ?? "", /From AGENTS\.md:\nAlways use const\./);
      assert.equal(result.stats.generatedTokens, 6);
    });
  });
});
