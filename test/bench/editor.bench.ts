/**
 * `npm run bench -- editor [--quick]`: the inline edit as an editor gets it, through the built host
 * and a real LSP connection, every ratio measured side by side in this run.
 *
 * - `inlineEditTtftMs` / `inlineEditTotalMs`: a 40-line selection on the generated 0.5B model (tiny
 *   with `--quick`), from sending `bora/inlineEdit` to the first `{delta}` and to the answer.
 * - `lspOverhead`: decode tok/s of that edit through the host and LSP ÷ `engine.edit()` called in
 *   this process with the very request the host builds (same model file, threads, context shape).
 * - `inlineEditPredicted`: tok/s with the prediction ÷ without, on the copy model, for an edit that
 *   keeps 95% of the selection. "Without" goes through the same LSP method: the same request as a
 *   follow-up whose previous attempt is empty. The host predicts a follow-up by its previous
 *   attempt, so the engine gets no prediction at all, and the copy model's output does not depend
 *   on the prompt's words, so both sides generate the same tokens. `inlineEditPredictedOnCopy05b`
 *   is the same on `0.5b-copy`, the copy chain at the 0.5B shape's cost (see `engine.bench.ts`,
 *   `COPY_MODELS`: on a CPU the small copy model's batches cost nearly as much per token as its
 *   single steps, as no model people run does).
 *
 * Completion figures come from `completionLatency.ts`, `interactiveUnderTasks` (an edit's first
 * token while two agent tasks generate ÷ idle) from `interactiveUnderTasks.ts`, and
 * `streamedDiffSize` (lines the streamed diff marks changed ÷ a minimal diff's) from `streamedDiffSize.ts`.
 */
import os from "node:os";
import path from "node:path";
import { mkdtempSync } from "node:fs";
import { pathToFileURL } from "node:url";
import {
  LocalEngine,
  collect,
  copyChain,
  corruptChain,
  corruptionPositions,
  type EditRequest,
  type Engine,
} from "@bora/inference";
import { DEFAULT_SETTINGS, InlineEdit, type InlineEditParams, type InlineEditPartial } from "@bora/protocol";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  DidOpenTextDocumentNotification,
  ExitNotification,
  ProgressType,
  ShutdownRequest,
} from "vscode-languageserver-protocol/node";
import type { BenchOptions } from "./index.js";
import { median, pairedRatio, ratio, round } from "./stats.js";
import { completionLatency } from "./completionLatency.js";
import { interactiveUnderTasks } from "./interactiveUnderTasks.js";
import { streamedDiffSize } from "./streamedDiffSize.js";
import { runInlineEdit } from "../../server/src/edits/inlineEditService.js";
import { localOptionsFromSettings } from "../../server/src/engines/engineSpec.js";
import { startHostWithSettings, waitFor, type HostWithSettings } from "../support/hostProcess.js";
import { ensureTestModel } from "../support/testModels.js";

const partials = new ProgressType<InlineEditPartial>();
let tokenId = 0;

/** One local engine shape for the host and the in-process side: one sequence, the default context. */
const LOCAL = { contextSize: DEFAULT_SETTINGS.local.contextSize, sequences: 1, threads: 0, gpuLayers: "auto" as const };

interface Timed {
  ttftMs: number;
  totalMs: number;
  generatedTokens: number;
  /** The prompt the host built (the selection, the code around it, the instruction): what every step attends over. */
  promptTokens: number;
  accepted: number;
  newText: string;
  /** Decode rate seen by the client: the tokens after the first over first delta → answer. */
  tokS: number;
}

async function edit(started: HostWithSettings, params: Omit<InlineEditParams, "partialResultToken">): Promise<Timed> {
  const token = `bench-${++tokenId}`;
  const sent = performance.now();
  let first = -1;
  const listening = started.host.connection.onProgress(partials, token, () => {
    if (first < 0) first = performance.now();
  });
  try {
    const result = await started.host.connection.sendRequest(InlineEdit.type, { ...params, partialResultToken: token });
    const done = performance.now();
    const change = result.edit.documentChanges?.[0] as { edits: { newText: string }[] };
    const n = result.stats.generatedTokens;
    return {
      ttftMs: first - sent,
      totalMs: done - sent,
      generatedTokens: n,
      promptTokens: result.stats.promptTokens,
      accepted: result.stats.predictedTokensAccepted,
      newText: change.edits[0]?.newText ?? "",
      tokS: n > 1 && first > 0 ? ((n - 1) * 1000) / (done - first) : 0,
    };
  } finally {
    listening.dispose();
  }
}

async function startHost(model: string): Promise<HostWithSettings> {
  const started = await startHostWithSettings(() => ({ engine: "local", models: { chat: model }, local: LOCAL }), {
    BORA_MODELS_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-bench-models-")),
  });
  await waitFor("engine ready", () => started.statuses.find((s) => s.engine.state === "ready"), 120_000);
  return started;
}

async function stop(started: HostWithSettings): Promise<void> {
  await started.host.connection.sendRequest(ShutdownRequest.type);
  await started.host.connection.sendNotification(ExitNotification.type);
  await started.host.exited;
  await started.host.dispose();
}

/** A TypeScript-like file of `count` functions of 6 lines, plus a header. */
function sourceFile(count: number): string {
  const out = ["import { log } from './log';", ""];
  for (let i = 0; i < count; i++) {
    out.push(
      `export function step${i}(xs: number[], limit = ${i + 1}): number {`,
      `  let total = 0;`,
      `  for (const x of xs) if (x < limit) total += x * ${i % 7};`,
      `  log.debug("step${i}", total);`,
      `  return total;`,
      `}`,
    );
  }
  return `${out.join("\n")}\n`;
}

async function openDocument(started: HostWithSettings, uri: string, text: string): Promise<void> {
  await started.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: "typescript", version: 1, text },
  });
}

export async function run(options: BenchOptions): Promise<void> {
  const quick = options.quick;
  const workspace = mkdtempSync(path.join(os.tmpdir(), "bora-bench-editor-"));
  const wantsLatency = ["inlineEditTtftMs", "inlineEditTotalMs", "lspOverhead"].some((f) => options.wants(f));
  if (wantsLatency) await latency(options, workspace, quick);
  if (options.wants("inlineEditPredicted")) await predicted(options, workspace, quick, "copy");
  if (options.wants("inlineEditPredictedOnCopy05b")) await predicted(options, workspace, quick, "0.5b-copy");
  if (options.wants("interactiveUnderTasks")) await interactiveUnderTasks(options);
  if (options.wants("streamedDiffSize")) await streamedDiffSize(options);
  await completionLatency(options);
}

async function latency(options: BenchOptions, workspace: string, quick: boolean): Promise<void> {
  const shape = quick ? "tiny" : "0.5b";
  options.log(`preparing the ${shape} model`);
  const model = await ensureTestModel(shape);
  const text = sourceFile(20);
  const uri = pathToFileURL(path.join(workspace, "steps.ts")).href;
  // 40 whole lines from line 30 on: a few functions in the middle of the file.
  const params: Omit<InlineEditParams, "partialResultToken"> = {
    textDocument: { uri, version: 1 },
    range: { start: { line: 30, character: 0 }, end: { line: 70, character: 0 } },
    instruction: "rename total to sum and add a JSDoc comment to each function",
  };
  const started = await startHost(model);
  const engine = await LocalEngine.open({ modelPath: model, gpu: "auto", ...localOptionsFromSettings(LOCAL) });
  const status = await engine.status();
  const common = { model: shape, threads: status.threads, backend: status.backend, selectionLines: 40 };
  options.log(await engine.describe());
  try {
    await openDocument(started, uri, text);
    // The very request the host sends, captured from the service run in this process.
    let captured: EditRequest | undefined;
    const recorder: Engine = {
      info: engine.info,
      chat: (r) => engine.chat(r),
      complete: (r) => engine.complete(r),
      countTokens: (t, s) => engine.countTokens(t, s),
      dispose: () => engine.dispose(),
      edit: (r) => {
        captured = r;
        return engine.edit(r);
      },
    };
    const document = TextDocument.create(uri, "typescript", 1, text);
    await runInlineEdit(
      params,
      {
        document: () => document,
        engine: () => Promise.resolve(recorder),
        workspaceRoot: () => Promise.resolve(workspace),
        loadRules: () => Promise.resolve([]),
      },
      { signal: new AbortController().signal },
    );
    const request = captured!;
    const inProcess = async (): Promise<{ tokS: number; tokens: number }> => {
      const result = await collect(engine.edit({ ...request, signal: new AbortController().signal }));
      return { tokS: result.timing.tokensPerSecond, tokens: result.usage.completionTokens };
    };
    const repeats = quick ? 5 : 3;
    const lsp: Timed[] = [];
    const local: { tokS: number; tokens: number }[] = [];
    await edit(started, params); // Warm-up: first use of the host's sequence.
    for (let i = 0; i < repeats; i++) {
      lsp.push(await edit(started, params));
      local.push(await inProcess());
      options.log(`run ${i + 1}: ttft ${lsp[i]!.ttftMs.toFixed(0)} ms, total ${lsp[i]!.totalMs.toFixed(0)} ms`);
    }
    const generated = median(lsp.map((r) => r.generatedTokens));
    if (options.wants("inlineEditTtftMs"))
      options.report({
        name: "inlineEditTtftMs",
        value: round(median(lsp.map((r) => r.ttftMs)), 0),
        ...common,
        runs: lsp.length,
        note: "send → first {delta}; includes the host's prompt building and the prefill",
        goal: "report",
      });
    if (options.wants("inlineEditTotalMs"))
      options.report({
        name: "inlineEditTotalMs",
        value: round(median(lsp.map((r) => r.totalMs)), 0),
        ...common,
        runs: lsp.length,
        generatedTokens: generated,
        note: "random weights: how many tokens the model writes before its end token is chance; see generatedTokens",
        goal: "report",
      });
    if (options.wants("lspOverhead")) {
      const lspRates = lsp.map((r) => r.tokS);
      const localRates = local.map((r) => r.tokS);
      options.report({
        name: "lspOverhead",
        value: round(ratio(lspRates, localRates)),
        pairedRatio: round(pairedRatio(lspRates, localRates)),
        ...common,
        lspTokS: round(median(lspRates), 1),
        inProcessTokS: round(median(localRates), 1),
        generatedTokens: generated,
        sameTokenCount: lsp.every((r, i) => r.generatedTokens === local[i]?.tokens),
        note: "client-side rate: tokens after the first over first delta → answer; in-process: the engine's own decode rate",
        goal: ">= 0.9",
      });
    }
  } finally {
    await engine.dispose();
    await stop(started);
  }
}

async function predicted(
  options: BenchOptions,
  workspace: string,
  quick: boolean,
  copyModel: "copy" | "0.5b-copy",
): Promise<void> {
  options.log(`preparing the ${copyModel} model`);
  const model = await ensureTestModel(copyModel);
  const chain = copyChain();
  const length = copyModel === "copy" ? (quick ? 256 : 512) : quick ? 48 : 256;
  const expected = chain.text(length);
  // An unchanged-heavy edit: the model's answer keeps 95% of the selection's characters.
  const selected = corruptChain(chain, expected, corruptionPositions(length, 0.95));
  const uri = pathToFileURL(path.join(workspace, "chain.txt")).href;
  const started = await startHost(model);
  try {
    await openDocument(started, uri, `${selected}\n`);
    const base: Omit<InlineEditParams, "partialResultToken"> = {
      textDocument: { uri, version: 1 },
      range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } },
      instruction: "fix the typos",
    };
    const without = { ...base, previous: { instruction: base.instruction, text: "" } };
    await edit(started, base);
    await edit(started, without);
    const withRuns: Timed[] = [];
    const withoutRuns: Timed[] = [];
    for (let i = 0; i < 5; i++) {
      withRuns.push(await edit(started, base));
      withoutRuns.push(await edit(started, without));
    }
    const a = withRuns.map((r) => r.tokS);
    const b = withoutRuns.map((r) => r.tokS);
    options.report({
      name: copyModel === "copy" ? "inlineEditPredicted" : "inlineEditPredictedOnCopy05b",
      value: round(ratio(a, b)),
      pairedRatio: round(pairedRatio(a, b)),
      model: copyModel,
      note: "through the host and LSP; 'without' is the same edit as a follow-up of an empty attempt, which the host predicts by nothing",
      selectionTokens: length,
      promptTokens: median(withRuns.map((r) => r.promptTokens)),
      predictionMatches: 95,
      generatedTokens: median(withRuns.map((r) => r.generatedTokens)),
      acceptedTokens: median(withRuns.map((r) => r.accepted)),
      acceptedWithout: median(withoutRuns.map((r) => r.accepted)),
      outputIdentical: withRuns.every((r, i) => r.newText === withoutRuns[i]?.newText),
      predictedTokS: round(median(a), 1),
      plainTokS: round(median(b), 1),
      goal: ">= 2",
    });
  } finally {
    await stop(started);
  }
}
