/**
 * The inline edit's commands: Edit Selection (Ctrl+I), Accept / Reject (all or one hunk), Fix
 * Problem, and the "Fix with Bora" quick fix. Thin: ranges, instructions and history are pure
 * modules; the controller owns the pending edits.
 */
import type { EditDiagnostic } from "@bora/protocol";
import * as vscode from "vscode";
import { BORA_COMMANDS } from "../commandIds.js";
import type { Ctx } from "../ctx.js";
import type { HostClient } from "../hostClient.js";
import { diagnosticsForRange, fixInstruction } from "./fixProblem.js";
import { readHistory, rememberInstruction } from "./history.js";
import { languageClientHost } from "./languageClientHost.js";
import { fixRange, wholeLineRange, type DocumentShape, type LineRange } from "./ranges.js";

const HISTORY_KEY = "bora.inlineEdit.history";

function shapeOf(document: vscode.TextDocument): DocumentShape {
  return { lineCount: document.lineCount, lineLength: (line) => document.lineAt(line).text.length };
}

function toVscode(range: LineRange): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

/** Asks for the instruction: the typed text is the first row, the history (most recent first) below. */
async function askInstruction(ctx: Ctx, refining: boolean): Promise<string | undefined> {
  const history = readHistory(ctx.extension.workspaceState.get(HISTORY_KEY));
  const pick = vscode.window.createQuickPick();
  pick.title = refining ? "Bora: Refine Edit" : "Bora: Edit Selection";
  pick.placeholder = refining
    ? "What should change in the proposal?"
    : "Describe the change, e.g. “add error handling”";
  pick.ignoreFocusOut = true;
  const fromHistory = history.map((label) => ({ label }));
  pick.items = fromHistory;
  pick.onDidChangeValue((value) => {
    const typed = value.trim();
    pick.items = typed === "" || history.includes(typed) ? fromHistory : [{ label: typed }, ...fromHistory];
  });
  const chosen = await new Promise<string | undefined>((resolve) => {
    pick.onDidAccept(() => {
      resolve((pick.selectedItems[0]?.label ?? pick.value).trim() || undefined);
      pick.hide();
    });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (chosen !== undefined) {
    await ctx.extension.workspaceState.update(HISTORY_KEY, rememberInstruction(history, chosen));
  }
  return chosen;
}

/** Bora: Edit Selection — the selection (whole lines) or the cursor; a pending edit there is refined. */
export async function editSelectionCommand(ctx: Ctx, client: HostClient): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    void vscode.window.showInformationMessage("Bora: open a file and select the code to edit.");
    return;
  }
  const { document } = editor;
  const refining = ctx.inlineEdits.has(document.uri);
  const instruction = await askInstruction(ctx, refining);
  if (instruction === undefined) return;
  const range = toVscode(wholeLineRange(editor.selection, shapeOf(document)));
  await ctx.inlineEdits.start(languageClientHost(client), { document, range, instruction });
}

function uriArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  return typeof arg === "string" ? vscode.Uri.parse(arg) : undefined;
}

export function acceptEditCommand(ctx: Ctx, uri: unknown): void {
  ctx.inlineEdits.accept(uriArg(uri));
}

export function rejectEditCommand(ctx: Ctx, uri: unknown): void {
  ctx.inlineEdits.reject(uriArg(uri));
}

export function acceptHunkCommand(ctx: Ctx, uri: unknown, hunk: unknown): void {
  if (typeof hunk === "number") ctx.inlineEdits.accept(uriArg(uri), hunk);
}

export function rejectHunkCommand(ctx: Ctx, uri: unknown, hunk: unknown): void {
  if (typeof hunk === "number") ctx.inlineEdits.reject(uriArg(uri), hunk);
}

function editDiagnostic(diagnostic: vscode.Diagnostic): EditDiagnostic {
  const code = typeof diagnostic.code === "object" ? diagnostic.code.value : diagnostic.code;
  return {
    range: {
      start: { line: diagnostic.range.start.line, character: diagnostic.range.start.character },
      end: { line: diagnostic.range.end.line, character: diagnostic.range.end.character },
    },
    message: diagnostic.message,
    // VS Code's severities count from 0 (Error); LSP's from 1.
    severity: diagnostic.severity + 1,
    ...(code !== undefined ? { code } : {}),
    ...(diagnostic.source !== undefined ? { source: diagnostic.source } : {}),
    ...(diagnostic.relatedInformation
      ? {
          relatedInformation: diagnostic.relatedInformation.map((info) => ({
            location: {
              uri: info.location.uri.toString(),
              range: {
                start: { line: info.location.range.start.line, character: info.location.range.start.character },
                end: { line: info.location.range.end.line, character: info.location.range.end.character },
              },
            },
            message: info.message,
          })),
        }
      : {}),
  };
}

/** The ranges of every symbol in the document (nested ones included), or none when no provider answers. */
async function symbolRanges(document: vscode.TextDocument): Promise<LineRange[]> {
  let symbols: (vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined;
  try {
    symbols = await vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined>(
      "vscode.executeDocumentSymbolProvider",
      document.uri,
    );
  } catch {
    return [];
  }
  const out: LineRange[] = [];
  const walk = (list: readonly (vscode.DocumentSymbol | vscode.SymbolInformation)[]): void => {
    for (const symbol of list) {
      if ("children" in symbol) {
        out.push(symbol.range);
        walk(symbol.children);
      } else out.push(symbol.location.range);
    }
  };
  walk(symbols ?? []);
  return out;
}

/**
 * Bora: Fix Problem — the diagnostic the quick fix names, or the one under the cursor (the most
 * severe), fixed by an inline edit of its enclosing symbol.
 */
export async function fixProblemCommand(ctx: Ctx, client: HostClient, uri: unknown, diag: unknown): Promise<void> {
  const target = uriArg(uri);
  const document =
    target !== undefined ? await vscode.workspace.openTextDocument(target) : vscode.window.activeTextEditor?.document;
  if (document === undefined) {
    void vscode.window.showInformationMessage("Bora: open a file with a problem to fix.");
    return;
  }
  const all = vscode.languages.getDiagnostics(document.uri);
  let diagnostic = diag instanceof vscode.Diagnostic ? diag : undefined;
  if (diagnostic === undefined) {
    const cursor = vscode.window.activeTextEditor?.selection.active;
    diagnostic = all
      .filter((d) => cursor !== undefined && d.range.contains(cursor))
      .sort((a, b) => a.severity - b.severity)[0];
  }
  if (diagnostic === undefined) {
    void vscode.window.showInformationMessage("Bora: there is no problem at the cursor.");
    return;
  }
  if (ctx.inlineEdits.has(document.uri)) {
    void vscode.window.showInformationMessage("Bora: accept or reject the pending edit in this file first.");
    return;
  }
  const fixing = editDiagnostic(diagnostic);
  const range = fixRange(fixing.range, await symbolRanges(document), shapeOf(document));
  const instruction = fixInstruction(fixing, (u) => vscode.workspace.asRelativePath(vscode.Uri.parse(u)));
  const diagnostics = diagnosticsForRange(range, fixing, all.map(editDiagnostic));
  await ctx.inlineEdits.start(languageClientHost(client), {
    document,
    range: toVscode(range),
    instruction,
    diagnostics,
  });
}

/** "Fix with Bora" on every diagnostic in the context, whichever extension reported it. */
export function registerFixWithBora(): vscode.Disposable {
  return vscode.languages.registerCodeActionsProvider(
    [{ scheme: "file" }, { scheme: "untitled" }],
    {
      provideCodeActions(document, _range, context) {
        return context.diagnostics.map((diagnostic) => {
          const action = new vscode.CodeAction(
            `Fix with Bora: ${firstLine(diagnostic.message)}`,
            vscode.CodeActionKind.QuickFix,
          );
          action.diagnostics = [diagnostic];
          action.command = {
            title: "Fix with Bora",
            command: BORA_COMMANDS.fixProblem.id,
            arguments: [document.uri, diagnostic],
          };
          return action;
        });
      },
    },
    { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
  );
}

/** A quick-fix title stays one short line. */
function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}
