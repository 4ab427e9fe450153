/** The one way a problem reaches the user: a notification with the buttons that fix it. */
import type { Problem } from "@bora/protocol";
import * as vscode from "vscode";
import { problemActions, type Action } from "./problemActions.js";

/** Runs a button's, a link's or a click's action. */
export function runAction(action: Action): Thenable<unknown> {
  return vscode.commands.executeCommand(action.command, ...action.args);
}

/** Shows a message with a button per action, and runs the chosen one. */
export async function showActions(
  severity: "info" | "warning" | "error",
  message: string,
  actions: readonly Action[],
): Promise<void> {
  const show =
    severity === "error"
      ? vscode.window.showErrorMessage
      : severity === "warning"
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  const choice = await show(message, ...actions.map((action) => action.title));
  const action = actions.find((candidate) => candidate.title === choice);
  if (action !== undefined) await runAction(action);
}

/**
 * Shows the problem's message with its fix as a button (and Open Logs), and runs the chosen one.
 * `error` for a request the user asked for that failed; `warning` for a state the host reports.
 * Defaults to `warning`.
 */
export async function showProblem(problem: Problem, severity: "warning" | "error" = "warning"): Promise<void> {
  await showActions(severity, `Bora: ${problem.message}`, problemActions(problem));
}
