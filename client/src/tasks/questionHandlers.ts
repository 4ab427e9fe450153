/**
 * Answers the host's questions for a task: `bora/requestApproval` with the three decisions, and
 * `bora/askUser` as a quick pick or an input box. The wording is in `questions.ts`. While the Chat
 * view is visible an approval is answered inline there (its row gets the buttons), and a progress
 * notification points at it until it is answered: unlike a notification with buttons, it closes
 * itself then, so no stale buttons are left behind. A modal would block the very view that shows
 * what the task did so far. With the view hidden it is a modal, so it cannot go unnoticed.
 */
import { AskUser, RequestApproval } from "@bora/protocol";
import * as vscode from "vscode";
import type { HostClient } from "../hostClient.js";
import { approvalPrompt, askPrompt, decisionOf } from "./questions.js";
import type { PendingApprovals } from "./pendingApprovals.js";
import type { TaskStore } from "./taskStore.js";

export function registerQuestionHandlers(
  client: HostClient,
  tasks: TaskStore,
  inline: { approvals: PendingApprovals; chatVisible(): boolean },
): vscode.Disposable[] {
  return [
    client.onRequest(RequestApproval.type, async (params) => {
      const prompt = approvalPrompt(params, tasks.get(params.taskId)?.title);
      const titles = prompt.choices.map((c) => c.title);
      if (inline.chatVisible()) {
        const decided = inline.approvals.ask(params);
        void vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Answer in the Bora Chat view: ${prompt.message}` },
          () => decided,
        );
        return { decision: await decided };
      }
      const choice = await vscode.window.showWarningMessage(
        prompt.message,
        { modal: true, detail: prompt.detail },
        ...titles,
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
