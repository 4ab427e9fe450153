/**
 * What the Tasks tree and its notifications say about a task, in the editor's words. The host words
 * a waiting task's reason for every client, the CLI's included ("bora tasks approve ID"); in the
 * editor the answer is a button, so the command line is replaced by where the button is. And a
 * "needs you" notification may outlive the question (answered in another window or the CLI):
 * `isStaleNeed` tells its buttons so. No `vscode` import.
 */
import type { TaskRow } from "./tasksView.js";

/** The CLI's answer commands as the host words them: `bora tasks approve ID [--deny]`, `bora tasks retry ID`. */
const CLI_ANSWER = /bora tasks (approve|retry) \S+( \[--deny\])?/g;

const EDITOR_ANSWER: Record<string, string> = {
  approve: "Approve or Deny it in the Tasks view",
  retry: "Retry it in the Tasks view",
};

/** A task's reason with the CLI's answer commands replaced by the editor's buttons. */
export function editorReason(reason: string): string {
  return reason.replace(CLI_ANSWER, (_, verb: string) => EDITOR_ANSWER[verb] ?? _);
}

/**
 * Whether a "needs you" notification shown for `shown` no longer applies to the task as it is now:
 * the task stopped waiting (it was answered elsewhere, cancelled, or is gone) or waits on another
 * question since.
 */
export function isStaleNeed(shown: TaskRow, now: TaskRow | undefined): boolean {
  if (now === undefined || now.status !== "waiting") return true;
  return (shown.approval?.id ?? "") !== (now.approval?.id ?? "");
}

/**
 * What one "needs you" is about: the task and the question (a tool call's approval id, else the
 * step it waits at). A replayed update of a question already shown (a host restart re-sends the
 * task's state) has the same key, so the user is not told twice.
 */
export function needKey(row: TaskRow): string {
  return `${row.taskId} ${row.approval?.id ?? row.step ?? ""}`;
}
