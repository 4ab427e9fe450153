/** `Bora: Pull Model…`: asks for a model reference and downloads it through the host, with progress. */
import { randomUUID } from "node:crypto";
import { PullModel, type PullModelResult } from "@bora/protocol";
import * as vscode from "vscode";
import { WorkDoneProgress } from "vscode-languageclient/node";
import type { Ctx } from "./ctx.js";
import type { HostClient } from "./hostClient.js";
import { problemOfError } from "./problemActions.js";
import { showProblem } from "./showProblem.js";
import { tellPulled } from "./useModel.js";

/**
 * Runs with a running host (the command table checks that). `suggested`: a reference to offer in
 * the box, e.g. the missing model a problem names. Defaults to none.
 */
export async function pullModelCommand(ctx: Ctx, client: HostClient, suggested?: unknown): Promise<void> {
  const uri = await vscode.window.showInputBox({
    title: "Bora: Pull Model",
    prompt: "A GGUF model: hf:<owner>/<repo>/<file>.gguf, an https:// URL, or a local file path",
    placeHolder: "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    ...(typeof suggested === "string" && suggested !== "" ? { value: suggested } : {}),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === "" ? "Enter a model reference" : undefined),
  });
  if (uri === undefined) return;
  let result: PullModelResult;
  let cancelled = false;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Pulling ${uri.trim()}`, cancellable: true },
      async (progress, cancel) => {
        cancel.onCancellationRequested(() => (cancelled = true));
        const workDoneToken = randomUUID();
        let last = 0;
        const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
          if (value.kind === "end") return;
          const percentage = value.percentage ?? last;
          progress.report({ message: value.message ?? "", increment: Math.max(0, percentage - last) });
          last = percentage;
        });
        try {
          return await client.sendRequest(PullModel.type, { uri: uri.trim(), workDoneToken }, cancel);
        } finally {
          listener.dispose();
        }
      },
    );
  } catch (error) {
    const problem = problemOfError(error);
    ctx.log.warn(`pull of ${uri.trim()} ${cancelled ? "cancelled" : `failed: ${problem.message}`}`);
    // The user pressed Cancel: they know, and a part already downloaded is kept for the next try.
    if (!cancelled) void showProblem(problem, "error");
    return;
  }
  await tellPulled(ctx, result);
}
