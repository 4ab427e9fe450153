/**
 * `interactiveUnderTasks` (in `npm run bench -- editor`): an inline edit's time to first token
 * while two agent tasks generate on the same host, divided by the same with the host idle. Both
 * sides go through the built host and LSP on the generated 0.5B model (tiny with `--quick`), in
 * pairs: idle edit, then two tasks started and streaming, loaded edit, tasks cancelled, and again,
 * so a change in the machine's load falls on both sides. Every edit is on a file of its own, so none
 * finds its prompt cached and both sides prefill the same amount. The edit is cancelled at its
 * first token: only the wait for it is measured.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  CancelTask,
  InlineEdit,
  StartTask,
  TaskUpdated,
  type InlineEditParams,
  type InlineEditPartial,
  type TaskUpdatedParams,
} from "@bora/protocol";
import {
  CancellationTokenSource,
  DidOpenTextDocumentNotification,
  ExitNotification,
  ProgressType,
  ShutdownRequest,
} from "vscode-languageserver-protocol/node";
import type { BenchOptions } from "./index.js";
import { median, pairedRatio, ratio, round } from "./stats.js";
import { startHostWithSettings, waitFor, type HostWithSettings } from "../support/hostProcess.js";
import { ensureTestModel } from "../support/testModels.js";

const partials = new ProgressType<InlineEditPartial>();
let tokens = 0;

/**
 * Sequences: two tasks and the edit. The window: an agent's prompt (tool definitions, rules) does
 * not fit 4096 tokens on a generated vocabulary.
 */
const LOCAL = { contextSize: 8192, sequences: 3, threads: 0, gpuLayers: "auto" as const };

/** Milliseconds from sending the edit to its first `{delta}`; the edit is then cancelled. */
async function firstToken(started: HostWithSettings, params: Omit<InlineEditParams, "partialResultToken">) {
  const token = `under-tasks-${++tokens}`;
  const cancel = new CancellationTokenSource();
  const sent = performance.now();
  let first = -1;
  const listening = started.host.connection.onProgress(partials, token, () => {
    if (first >= 0) return;
    first = performance.now();
    cancel.cancel();
  });
  try {
    await started.host.connection
      .sendRequest(InlineEdit.type, { ...params, partialResultToken: token }, cancel.token)
      .catch(() => undefined);
  } finally {
    listening.dispose();
    cancel.dispose();
  }
  if (first < 0) throw new Error("the edit answered without streaming a token");
  return first - sent;
}

export async function interactiveUnderTasks(options: BenchOptions): Promise<void> {
  const shape = options.quick ? "tiny" : "0.5b";
  options.log(`interactiveUnderTasks: preparing the ${shape} model`);
  const model = await ensureTestModel(shape);
  const workspace = mkdtempSync(path.join(os.tmpdir(), "bora-bench-tasks-"));
  const started = await startHostWithSettings(
    () => ({ engine: "local", models: { chat: model }, local: LOCAL }),
    {
      BORA_MODELS_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-bench-models-")),
      BORA_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-bench-state-")),
    },
    { workspaceFolders: [workspace] },
  );
  const updates = new Map<string, TaskUpdatedParams>();
  started.host.connection.onNotification(TaskUpdated.type, (u) => void updates.set(u.taskId, u));
  try {
    await waitFor("engine ready", () => started.statuses.find((s) => s.engine.state === "ready"), 120_000);
    // A new file for every edit: no edit finds its prompt cached by an earlier one, so both sides
    // pay the same prefill, and what differs is only the two tasks decoding beside it.
    let files = 0;
    const freshEdit = async (): Promise<Omit<InlineEditParams, "partialResultToken">> => {
      const n = ++files;
      const uri = pathToFileURL(path.join(workspace, `steps${n}.ts`)).href;
      const lines = Array.from(
        { length: 60 },
        (_, i) => `export const step${i}_${n} = (x: number): number => x * ${i + n};`,
      );
      await started.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: "typescript", version: 1, text: `${lines.join("\n")}\n` },
      });
      return {
        textDocument: { uri, version: 1 },
        range: { start: { line: 10, character: 0 }, end: { line: 50, character: 0 } },
        instruction: "rename x to value",
      };
    };
    await firstToken(started, await freshEdit()); // Warm-up.
    const idle: number[] = [];
    const loaded: number[] = [];
    const rounds = options.quick ? 3 : 5;
    for (let round = 0; round < rounds; round++) {
      idle.push(await firstToken(started, await freshEdit()));
      const ids = await Promise.all(
        [0, 1].map(async (i) => {
          const { taskId } = await started.host.connection.sendRequest(StartTask.type, {
            kind: "explain",
            instruction: `explain step${i} in detail`,
          });
          return taskId;
        }),
      );
      // Both tasks past their prompt and streaming text: the edit competes with two decodes.
      await waitFor(
        "both tasks to stream",
        () =>
          ids.every((id) => {
            const u = updates.get(id);
            return u !== undefined && u.outcome === undefined && u.turn > 0 && u.items.some((i) => i.type === "text");
          }),
        120_000,
        { seen: () => JSON.stringify(ids.map((id) => updates.get(id)?.status)) },
      );
      loaded.push(await firstToken(started, await freshEdit()));
      const stillRunning = ids.every((id) => updates.get(id)?.outcome === undefined);
      if (!stillRunning) options.log("interactiveUnderTasks: a task ended before the loaded edit's first token");
      await Promise.all(ids.map((taskId) => started.host.connection.sendRequest(CancelTask.type, { taskId })));
    }
    options.report({
      name: "interactiveUnderTasks",
      value: round(ratio(loaded, idle)),
      pairedRatio: round(pairedRatio(loaded, idle)),
      model: shape,
      loadedTtftMs: round(median(loaded), 0),
      idleTtftMs: round(median(idle), 0),
      rounds,
      note: "inline-edit time to first token with two agent tasks generating ÷ idle, through the host and LSP; lower is better",
      goal: "<= 1.5",
    });
  } finally {
    await started.host.connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
    await started.host.connection.sendNotification(ExitNotification.type).catch(() => undefined);
    await started.host.exited;
    await started.host.dispose();
  }
}
