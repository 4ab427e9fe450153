/**
 * The palette's task commands: Explain Selection, Write Tests for Selection, Run Task…, Cancel
 * Task. Each starts a task through the Chat view, which shows it as a live transcript.
 */
import { CancelTask, type TaskKind, type TaskScope } from "@bora/protocol";
import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";
import type { HostClient } from "../hostClient.js";
import { problemOfError } from "../problemActions.js";
import { showProblem } from "../showProblem.js";

/** The active editor's document, and its selection when there is one. */
function editorScope(editor: vscode.TextEditor): { scope: TaskScope; label: string } {
  const { document, selection } = editor;
  const file = vscode.workspace.asRelativePath(document.uri);
  if (selection.isEmpty) return { scope: { textDocument: { uri: document.uri.toString() } }, label: file };
  const first = selection.start.line + 1;
  const last =
    selection.end.character === 0 && selection.end.line > selection.start.line
      ? selection.end.line
      : selection.end.line + 1;
  return {
    scope: {
      textDocument: { uri: document.uri.toString() },
      range: {
        start: { line: selection.start.line, character: selection.start.character },
        end: { line: selection.end.line, character: selection.end.character },
      },
    },
    label: first === last ? `${file}:${first}` : `${file}:${first}-${last}`,
  };
}

const SELECTION_TASKS: Record<"explain" | "writeTests", (label: string) => string> = {
  explain: (label) => `Explain ${label}`,
  writeTests: (label) => `Write tests for ${label}`,
};

/** Explain Selection / Write Tests for Selection: the selection, or the whole file when none. */
export async function selectionTaskCommand(
  ctx: Ctx,
  client: HostClient,
  kind: "explain" | "writeTests",
): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    void vscode.window.showInformationMessage("Bora: open a file and select the code first.");
    return;
  }
  const { scope, label } = editorScope(editor);
  await ctx.chat.startTask(client, { kind, instruction: "", scope }, SELECTION_TASKS[kind](label), [label]);
}

/** Run Task…: a free instruction on the workspace, about the active document if there is one. */
export async function runTaskCommand(ctx: Ctx, client: HostClient): Promise<void> {
  const instruction = await vscode.window.showInputBox({
    title: "Bora: Run Task",
    prompt: "What should Bora do in this workspace?",
    placeHolder: "e.g. “make the cart tests pass”",
    ignoreFocusOut: true,
  });
  if (instruction === undefined || instruction.trim() === "") return;
  const editor = vscode.window.activeTextEditor;
  const about = editor !== undefined ? { textDocument: { uri: editor.document.uri.toString() } } : {};
  const context = editor !== undefined ? [vscode.workspace.asRelativePath(editor.document.uri)] : [];
  const kind: TaskKind = "free";
  await ctx.chat.startTask(
    client,
    { kind, instruction: instruction.trim(), scope: about },
    instruction.trim(),
    context,
  );
}

/** Cancel Task: the task given, the only running one, or the one picked. */
export async function cancelTaskCommand(ctx: Ctx, client: HostClient, taskId: unknown): Promise<void> {
  // A task id (a notification's button), or the Tasks tree's node.
  let id =
    typeof taskId === "string"
      ? taskId
      : typeof taskId === "object" && taskId !== null && "row" in taskId
        ? (taskId as { row: { taskId: string } }).row.taskId
        : undefined;
  if (id === undefined) {
    const live = ctx.tasks.live();
    if (live.length === 0) {
      void vscode.window.showInformationMessage("Bora: no task is running.");
      return;
    }
    if (live.length === 1) id = live[0]!.taskId;
    else {
      const picked = await vscode.window.showQuickPick(
        live.map((task) => ({ label: task.title, description: task.status, taskId: task.taskId })),
        { title: "Bora: Cancel Task", placeHolder: "Which task?" },
      );
      id = picked?.taskId;
    }
  }
  if (id === undefined) return;
  try {
    await client.sendRequest(CancelTask.type, { taskId: id });
  } catch (error) {
    void showProblem(problemOfError(error), "error");
  }
}
