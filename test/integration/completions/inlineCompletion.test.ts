/**
 * `textDocument/inlineCompletion` through the built host over a real LSP connection, on the
 * generated tiny model (it has FIM tokens, so this is fill-in-the-middle; greedy decoding, so the
 * same prompt gives the same answer): it answers with items, a newer request cancels the older,
 * the setting turns it off, and typing the suggestion's first characters is answered from the
 * cache, which the host's debug log shows (no new generation).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CancellationTokenSource,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  ShutdownRequest,
  type InlineCompletionItem,
  type Position,
} from "vscode-languageserver-protocol/node";
import { startHostWithSettings, waitFor, type HostWithSettings } from "../../support/hostProcess.js";
import { ensureTestModel } from "../../support/testModels.js";

const URI = "file:///work/example.ts";
const TEXT = [
  "export function total(items: number[]): number {",
  "  let sum = 0;",
  "  for (const item of items) {",
  "    ",
  "  }",
  "  return sum;",
  "}",
  "",
].join("\n");
const CURSOR: Position = { line: 3, character: 4 };

describe("inline completions (textDocument/inlineCompletion)", function () {
  this.timeout(120_000);
  let started: HostWithSettings;
  let settings: Record<string, unknown>;
  let version = 1;
  /** How many times the host pulled the settings. */
  let pulls = 0;

  const configure = async (completions: Record<string, unknown>): Promise<void> => {
    settings = { ...settings, completions };
    const before = pulls;
    await started.host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    // The host pulls the settings again (workspace/configuration); the answer reaches it before
    // any request sent after it.
    await waitFor("the settings pulled", () => pulls > before);
  };

  const complete = (position: Position, token?: CancellationTokenSource): Promise<InlineCompletionItem[]> =>
    started.host.connection
      .sendRequest(
        InlineCompletionRequest.type,
        {
          textDocument: { uri: URI },
          position,
          context: { triggerKind: InlineCompletionTriggerKind.Automatic },
        },
        token?.token,
      )
      .then((result) => (Array.isArray(result) ? result : (result?.items ?? [])));

  const type = (position: Position, text: string): Promise<void> =>
    started.host.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: URI, version: ++version },
      contentChanges: [{ range: { start: position, end: position }, text }],
    });

  before(async () => {
    const model = await ensureTestModel("tiny");
    settings = {
      engine: "local",
      models: { chat: model },
      host: { logLevel: "debug" },
      completions: { debounceMs: 0 },
    };
    started = await startHostWithSettings(
      () => {
        pulls++;
        return settings;
      },
      {
        BORA_MODELS_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-completion-models-")),
      },
    );
    await waitFor("engine ready", () => started.statuses.find((s) => s.engine.state === "ready"), 60_000);
    await started.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: URI, languageId: "typescript", version, text: TEXT },
    });
  });

  after(async () => {
    await started.host.connection.sendRequest(ShutdownRequest.type);
    await started.host.connection.sendNotification(ExitNotification.type);
    await started.host.exited;
    await started.host.dispose();
  });

  it("offers the capability and answers with an item inserted at the cursor", async () => {
    const items = await complete(CURSOR);
    assert.equal(items.length, 1, "one suggestion");
    const [item] = items;
    assert.equal(typeof item!.insertText, "string");
    assert.ok((item!.insertText as string).trim().length > 0, "not blank");
    assert.deepEqual(item!.range, { start: CURSOR, end: CURSOR });
    assert.ok(
      started.logs.some((l) => /completion done: .*shown=yes/.test(l)),
      "the model generated it",
    );
  });

  it("answers typing of the suggestion's first characters from the cache, without a new generation", async () => {
    const [first] = await complete(CURSOR);
    const suggestion = first!.insertText as string;
    assert.ok(suggestion.length >= 2 && !suggestion.startsWith("\n"), JSON.stringify(suggestion));
    const generations = started.logs.filter((l) => /completion done:/.test(l)).length;
    await type(CURSOR, suggestion[0]!);
    const [rest] = await complete({ line: CURSOR.line, character: CURSOR.character + 1 });
    assert.equal(rest?.insertText, suggestion.slice(1));
    assert.equal(started.logs.filter((l) => /completion done:/.test(l)).length, generations, "no new generation");
    assert.ok(started.logs.some((l) => /completion from cache: chars=/.test(l)));
    // Back to the original text for the tests after this one.
    await started.host.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: URI, version: ++version },
      contentChanges: [
        { range: { start: CURSOR, end: { line: CURSOR.line, character: CURSOR.character + 1 } }, text: "" },
      ],
    });
  });

  it("cancels an older request when a newer one for the document arrives, and serves the newer", async () => {
    // A long debounce holds the older request in the host, as a keystroke during it would.
    await configure({ debounceMs: 1500 });
    // Places not completed before, so the cache has nothing for them.
    const older = complete({ line: 2, character: 29 });
    const olderAnswered = older.then(() => performance.now());
    const moved = { line: 1, character: 14 };
    const newerSent = performance.now();
    const newer = complete(moved);
    assert.deepEqual(await older, [], "the older one answers with nothing");
    const olderMs = (await olderAnswered) - newerSent;
    assert.ok(olderMs < 500, `the older one answered ${Math.round(olderMs)} ms after the newer was sent`);
    const served = await newer;
    assert.ok(performance.now() - newerSent >= 1400, "the newer one waited out its debounce");
    assert.equal(served.length, 1, "the newer one is served");
    assert.notEqual(served[0]!.insertText, "", "with text");
  });

  it("stops a request the client cancels ($/cancelRequest) at once", async () => {
    await configure({ debounceMs: 1500 });
    const source = new CancellationTokenSource();
    const waits = started.logs.filter((l) => /completion waits:/.test(l)).length;
    const answer = complete({ line: 5, character: 2 }, source);
    // Cancelled while the host holds it (a request still unread is dropped by the library itself).
    await waitFor(
      "the request in its debounce",
      () => started.logs.filter((l) => /completion waits:/.test(l)).length > waits,
    );
    const sent = performance.now();
    source.cancel();
    const result = await answer.catch((error: unknown) => error);
    const ms = performance.now() - sent;
    assert.ok(ms < 500, `answered ${Math.round(ms)} ms after the cancel`);
    assert.ok(Array.isArray(result) ? result.length === 0 : result instanceof Error, String(result));
  });

  it("answers with nothing when bora.completions.enabled is off", async () => {
    await configure({ debounceMs: 0 });
    assert.equal((await complete(CURSOR)).length, 1, "on: a suggestion");
    await configure({ debounceMs: 0, enabled: false });
    const generations = started.logs.filter((l) => /completion (done|from cache)/.test(l)).length;
    assert.deepEqual(await complete(CURSOR), []);
    assert.equal(started.logs.filter((l) => /completion (done|from cache)/.test(l)).length, generations);
  });
});
