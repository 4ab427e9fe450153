/**
 * `completionP50Ms` / `completionP95Ms`: how long ghost text takes to appear while someone types,
 * through the built host over LSP, as VS Code drives it: every keystroke is a `didChange` and then
 * a `textDocument/inlineCompletion`, and the previous request is cancelled (`$/cancelRequest`)
 * when the next keystroke comes. Only completions that were shown count: answered with an item
 * before the next keystroke cancelled them.
 *
 * The typing: lines of a real source file of this repository are deleted (an empty line is left
 * where they were) and typed back at the end of that line, as someone writes new code above
 * existing code: the cursor is at a line end, so completions may have several lines and the suffix
 * is the line break and the next line. A keystroke every 80 ms, with a pause at each line end
 * (`LINE_END_PAUSE_MS`) as a typist makes;
 * without pauses, a keystroke every 80 ms cancels anything slower than 80 ms and nothing but cache
 * hits would ever be shown. Model: `0.5b-code` on the CPU (the tiny one with `--quick`): the 0.5B
 * shape and quantization, so a real 0.5B model's cost per token, with weights made so that every
 * completion is the same 12-token line of code (`CODE_LINE`) and then the end of the turn. The
 * random-weight `0.5b` model writes one endless word, which ghost text never shows (it is cut only at
 * a word boundary), so it would measure nothing. The typed text never follows the fixed line, so the
 * cache rarely answers; a real model's suggestions are typed on more often.
 *
 * What dominates comes from the host's debug log (`completion done:` lines): time waiting
 * (debounce and the engine's queue), to the first token (prompt evaluation of what the KV cache
 * did not hold), and decoding.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  CancellationTokenSource,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  ShutdownRequest,
  type Position,
} from "vscode-languageserver-protocol/node";
import type { BenchOptions } from "./index.js";
import { median, percentile } from "./stats.js";
import { REPO_ROOT, startHostWithSettings, waitFor } from "../support/hostProcess.js";
import { ensureTestModel } from "../support/testModels.js";

/** Milliseconds between keystrokes: a fast typist (about 150 words a minute). */
const KEYSTROKE_MS = 80;
/** A typist's pause at the end of a line before the next; the moment ghost text has to appear. */
const LINE_END_PAUSE_MS = 800;
/** The file typed back, and which of its lines (0-based, end exclusive). */
const FILE = "server/src/engines/engineProvider.ts";
const TYPED_LINES = { full: [70, 82], quick: [70, 73] } as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The numbers of a `completion done: key=value ...` log line. */
function fields(line: string): Record<string, number> {
  return Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

export async function completionLatency(options: BenchOptions): Promise<void> {
  if (!options.wants("completionP50Ms") && !options.wants("completionP95Ms")) return;
  const shape = options.quick ? "tiny" : "0.5b-code";
  const model = await ensureTestModel(shape);
  const source = readFileSync(path.join(REPO_ROOT, FILE), "utf8").split("\n");
  const [from, to] = options.quick ? TYPED_LINES.quick : TYPED_LINES.full;
  const typed = source.slice(from, to).map((line) => `${line}\n`);
  const text = [...source.slice(0, from), "", ...source.slice(to)].join("\n");
  const uri = `file://${path.join(REPO_ROOT, FILE)}`;

  const started = await startHostWithSettings(() => ({
    engine: "local",
    models: { chat: model },
    host: { logLevel: "debug" },
  }));
  const { connection } = started.host;
  try {
    await waitFor("engine ready", () => started.statuses.find((s) => s.engine.state === "ready"), 120_000);
    let version = 1;
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version, text },
    });
    const ask = (position: Position, token?: CancellationTokenSource) =>
      connection.sendRequest(
        InlineCompletionRequest.type,
        { textDocument: { uri }, position, context: { triggerKind: InlineCompletionTriggerKind.Automatic } },
        token?.token,
      );

    // The user opens the file and stops to think: the first request evaluates the whole prefix.
    const warmStart = performance.now();
    await ask({ line: from, character: 0 });
    const warmMs = performance.now() - warmStart;
    options.log(`${shape}: first completion (whole prefix) ${Math.round(warmMs)} ms; typing ${typed.length} lines`);
    const logsBefore = started.logs.length;

    const shown: number[] = [];
    const shownChars: number[] = [];
    let requested = 0;
    let pending: { cancel: CancellationTokenSource; settled: Promise<void> } | undefined;
    const position: Position = { line: from, character: 0 };
    for (const line of typed) {
      for (const [i, char] of [...line].entries()) {
        pending?.cancel.cancel();
        await connection.sendNotification(DidChangeTextDocumentNotification.type, {
          textDocument: { uri, version: ++version },
          contentChanges: [{ range: { start: position, end: position }, text: char }],
        });
        if (char === "\n") {
          position.line++;
          position.character = 0;
        } else position.character++;
        const cancel = new CancellationTokenSource();
        const sent = performance.now();
        requested++;
        const settled = ask({ ...position }, cancel).then(
          (result) => {
            const items = Array.isArray(result) ? result : (result?.items ?? []);
            if (!cancel.token.isCancellationRequested && items.length > 0) {
              shown.push(performance.now() - sent);
              const insert = items[0]!.insertText;
              shownChars.push(typeof insert === "string" ? insert.length : insert.value.length);
            }
          },
          () => undefined,
        );
        pending = { cancel, settled };
        // The line's last character typed: the typist pauses before the line break.
        await sleep(i === line.length - 2 ? LINE_END_PAUSE_MS : KEYSTROKE_MS);
      }
    }
    pending?.cancel.cancel();
    await pending?.settled;

    const logs = started.logs.slice(logsBefore);
    const done = logs.filter((l) => l.includes("completion done:")).map(fields);
    const cacheHits = logs.filter((l) => l.includes("completion from cache:")).length;
    const cancelledLines = logs.filter((l) => l.includes("completion cancelled:"));
    const cancelled = cancelledLines.length;
    // Prompt tokens evaluated anew (not in the KV cache) by the requests the next keystroke cancelled.
    const cancelledUncached = cancelledLines
      .map(fields)
      .filter((d) => d.promptTokens !== undefined)
      .map((d) => d.promptTokens! - (d.cachedTokens ?? 0));
    const of = (key: string): number => Math.round(median(done.map((d) => d[key] ?? NaN)));
    const parts = {
      waitedMs: of("waitedMs"),
      ttftMs: of("ttftMs"),
      decodeMs: of("decodeMs"),
    };
    // No generation finished (all cancelled): nothing says what dominates.
    const dominant = done.length === 0 ? "none" : Object.entries(parts).sort((a, b) => b[1] - a[1])[0]![0];
    const details = {
      model: shape,
      shown: shown.length,
      requested,
      cacheHits,
      generated: done.length,
      cancelledInHost: cancelled,
      firstCompletionMs: Math.round(warmMs),
      medianWaitedMs: parts.waitedMs,
      // From the request's arrival to its first generated text: the earliest a completion can show.
      medianFirstTextMs:
        done.length === 0 ? null : Math.round(median(done.map((d) => (d.waitedMs ?? NaN) + (d.ttftMs ?? NaN)))),
      medianTtftMs: parts.ttftMs,
      medianDecodeMs: parts.decodeMs,
      medianPromptTokens: of("promptTokens"),
      medianUncachedPromptTokens: Math.round(median(done.map((d) => (d.promptTokens ?? 0) - (d.cachedTokens ?? 0)))),
      medianGeneratedTokens: of("tokens"),
      medianUncachedPromptTokensCancelled:
        cancelledUncached.length === 0 ? null : Math.round(median(cancelledUncached)),
      // Completions the time budget stopped (see server/src/completions/decodeBudget.ts), among those generated.
      cutByBudget: logs.filter((l) => l.includes("completion done:") && l.includes(" cut=yes")).length,
      medianShownChars: shownChars.length === 0 ? null : median(shownChars),
      // Generations that ended before the next keystroke (nearly all at a line end), shown or not: how
      // long the host took to answer. A random-weight model often writes one endless identifier that
      // the budget will not cut (see decodeBudget.ts), so this says how fast an answer came even then.
      medianAnsweredMs: done.length === 0 ? null : of("ms"),
      answeredWithNothing: logs.filter((l) => l.includes("completion done:") && l.includes(" shown=no")).length,
      dominant:
        { waitedMs: "debounce and queue", ttftMs: "prompt evaluation", decodeMs: "decoding" }[dominant] ??
        "unmeasured: no generation finished before the next keystroke",
      keystrokeMs: KEYSTROKE_MS,
      lineEndPauseMs: LINE_END_PAUSE_MS,
    };
    if (options.wants("completionP50Ms"))
      options.report({ name: "completionP50Ms", value: Math.round(percentile(shown, 50)), ...details });
    if (options.wants("completionP95Ms"))
      options.report({ name: "completionP95Ms", value: Math.round(percentile(shown, 95)), ...details });
  } finally {
    await connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
    await connection.sendNotification(ExitNotification.type).catch(() => undefined);
    await started.host.exited;
    await started.host.dispose();
  }
}
