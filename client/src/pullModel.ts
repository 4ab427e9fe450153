/** `Bora: Pull Model…`: asks for a model reference and downloads it through the host, with progress. */
import { randomUUID } from "node:crypto";
import { PullModel, type PullModelResult } from "@bora/protocol";
import * as vscode from "vscode";
import { WorkDoneProgress, type LanguageClient } from "vscode-languageclient/node";

export async function pullModelCommand(
  client: LanguageClient | undefined,
  log: vscode.LogOutputChannel,
): Promise<void> {
  if (!client?.isRunning()) {
    void vscode.window
      .showWarningMessage("The Bora agent host is not running.", "Restart Agent Host")
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand("bora.restartHost");
      });
    return;
  }
  const uri = await vscode.window.showInputBox({
    title: "Bora: Pull Model",
    prompt: "A GGUF model: hf:<owner>/<repo>/<file>.gguf, an https:// URL, or a local file path",
    placeHolder: "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === "" ? "Enter a model reference" : undefined),
  });
  if (uri === undefined) return;
  let result: PullModelResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Pulling ${uri.trim()}`, cancellable: true },
      async (progress, cancel) => {
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
    const message = error instanceof Error ? error.message : String(error);
    log.warn(`pull failed: ${message}`);
    void vscode.window.showErrorMessage(`Bora: ${message}`, "Open Logs").then((choice) => {
      if (choice) log.show();
    });
    return;
  }
  const what = result.alreadyPresent ? "is already in the model store" : "is in the model store";
  const choice = await vscode.window.showInformationMessage(
    `Bora: model ${result.name} ${what}.`,
    "Use for Chat",
    "Use for Edits",
  );
  const key = choice === "Use for Chat" ? "models.chat" : choice === "Use for Edits" ? "models.edit" : undefined;
  if (key) await vscode.workspace.getConfiguration("bora").update(key, result.name, vscode.ConfigurationTarget.Global);
}
