/**
 * Answers the host's questions for a task: `bora/requestApproval` as a modal with the three
 * decisions, `bora/askUser` as a quick pick or an input box. The wording is in `questions.ts`.
 */
import { AskUser, RequestApproval } from "@bora/protocol";
import * as vscode from "vscode";
import type { HostClient } from "../hostClient.js";
import { approvalPrompt, askPrompt, decisionOf } from "./questions.js";
import type { TaskStore } from "./taskStore.js";

export function registerQuestionHandlers(client: HostClient, tasks: TaskStore): vscode.Disposable[] {
  return [
    client.onRequest(RequestApproval.type, async (params) => {
      const prompt = approvalPrompt(params, tasks.get(params.taskId)?.title);
      const choice = await vscode.window.showWarningMessage(
        prompt.message,
        { modal: true, detail: prompt.detail },
        ...prompt.choices.map((c) => c.title),
      );
      return { decision: decisionOf(choice) };
    }),
    client.onRequest(AskUser.type, async (params) => {
      const prompt = askPrompt(params, tasks.get(params.taskId)?.title);
      // A question waits for the user however long it takes: focus moving away must not dismiss it.
      const answer =
        prompt.kind === "pick"
          ? await vscode.window.showQuickPick(prompt.options, {
              title: prompt.title,
              placeHolder: prompt.placeholder,
              ignoreFocusOut: true,
            })
          : await vscode.window.showInputBox({ title: prompt.title, prompt: prompt.prompt, ignoreFocusOut: true });
      return { answer: answer ?? null };
    }),
  ];
}
