/**
 * The inline edit in VS Code: one pending edit per document, shown in the real buffer. A thin
 * adapter around `PendingEdit`: it feeds it every change of the document, applies the edits it asks
 * for with `workspace.applyEdit` (which works in background tabs and never moves focus or the
 * cursor), and draws what `view.ts` says. Everything that decides lives in the pure modules.
 */
import type { EditDiagnostic, Problem } from "@bora/protocol";
import * as vscode from "vscode";
import type { Ctx } from "../ctx.js";
import { problemOfError } from "../problemActions.js";
import { showProblem } from "../showProblem.js";
import { replacementOf, requestEdit, type EditRequest, type InlineEditHost } from "./host.js";
import { PendingEdit } from "./pendingEdit.js";
import { PENDING_KEY, STREAMING_KEY, coveredLines, decorationRanges, lensesFor } from "./view.js";

/**
 * Refused `applyEdit`s in a row before the edit gives up. A refusal means the document changed
 * under the edit (the user typed), and the next try is rebased; only a document that refuses every
 * time (closed, read-only) gets here.
 */
const MAX_REFUSED_EDITS = 20;

const ACCEPT_ALL = "Accept All";
const REJECT_ALL = "Reject All";

export interface StartEdit {
  document: vscode.TextDocument;
  range: vscode.Range;
  instruction: string;
  diagnostics?: EditDiagnostic[];
}

interface Session {
  readonly document: vscode.TextDocument;
  readonly model: PendingEdit;
  readonly instruction: string;
  /** The original text of the range, for a retry's check and a follow-up. */
  readonly original: string;
  cts: vscode.CancellationTokenSource | undefined;
  applying: boolean;
  refused: number;
  tokens: number;
  firstDeltaAt: number | undefined;
  lastDeltaAt: number | undefined;
  settledWaiters: (() => void)[];
  /** The user was told that a save wrote the undecided proposal (once per edit). */
  toldSaved: boolean;
}

export class InlineEditController implements vscode.Disposable {
  private readonly sessions = new Map<string, Session>();
  private readonly bag: vscode.Disposable[] = [];
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  private readonly green = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("diffEditor.insertedLineBackground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.addedForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  private readonly red = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("diffEditor.removedLineBackground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.deletedForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  /** Original lines the stream has not reached: dimmed until it confirms or replaces them. */
  private readonly unverified = vscode.window.createTextEditorDecorationType({ isWholeLine: true, opacity: "0.55" });
  private lastHunkIds = new Map<string, number>();

  constructor(private readonly ctx: Ctx) {
    const selector: vscode.DocumentSelector = [{ scheme: "file" }, { scheme: "untitled" }];
    this.bag.push(
      this.green,
      this.red,
      this.unverified,
      this.lensesChanged,
      vscode.workspace.onDidChangeTextDocument((event) => this.onChange(event)),
      vscode.workspace.onDidCloseTextDocument((document) => this.drop(document.uri.toString())),
      vscode.workspace.onDidSaveTextDocument((document) => this.onSaved(document)),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
      vscode.window.onDidChangeVisibleTextEditors(() => {
        for (const session of this.sessions.values()) this.decorate(session);
      }),
      vscode.languages.registerCodeLensProvider(selector, {
        onDidChangeCodeLenses: this.lensesChanged.event,
        provideCodeLenses: (document) => this.lenses(document),
      }),
    );
  }

  has(uri: vscode.Uri): boolean {
    return this.sessions.has(uri.toString());
  }

  streaming(uri: vscode.Uri): boolean {
    return this.sessions.get(uri.toString())?.model.streaming ?? false;
  }

  /**
   * Starts an edit of `range`; with one pending in the document, refines it instead: the proposal
   * shown is taken back (green lines removed), and the request carries it as `previous`.
   */
  async start(host: InlineEditHost, request: StartEdit): Promise<void> {
    const { document } = request;
    const key = document.uri.toString();
    let range = request.range;
    let previous: EditRequest["previous"];
    const earlier = this.sessions.get(key);
    if (earlier !== undefined) {
      if (earlier.model.streaming) earlier.model.stop("replaced by a follow-up");
      earlier.cts?.cancel();
      const text = earlier.model.proposal;
      if (text !== "") previous = { instruction: earlier.instruction, text };
      earlier.model.reject();
      this.pump(earlier);
      await this.whenSettled(earlier);
      // Only now: the region follows the removal of the proposal's lines, which the settling applied.
      const [start, end] = earlier.model.region;
      range = new vscode.Range(document.positionAt(start), document.positionAt(end));
    }
    const original = document.getText(range);
    const eol = document.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n";
    const model = new PendingEdit({
      regionStart: document.offsetAt(range.start),
      original,
      eol,
      firstHunkId: (this.lastHunkIds.get(key) ?? 0) + 1,
    });
    const session: Session = {
      document,
      model,
      instruction: request.instruction,
      original,
      cts: new vscode.CancellationTokenSource(),
      applying: false,
      refused: 0,
      tokens: 0,
      firstDeltaAt: undefined,
      lastDeltaAt: undefined,
      settledWaiters: [],
      toldSaved: false,
    };
    this.sessions.set(key, session);
    this.render(session);

    const params: EditRequest = {
      textDocument: { uri: key, version: document.version },
      range: lspRange(range),
      instruction: request.instruction,
      ...(request.diagnostics && request.diagnostics.length > 0 ? { diagnostics: request.diagnostics } : {}),
      ...(previous ? { previous } : {}),
    };
    // A stale version (the user typed as it was sent) is asked again once, if the range still holds the same text.
    const retry = (): EditRequest | undefined => {
      if (model.proposal !== "") return undefined;
      const [start, end] = model.region;
      const now = new vscode.Range(document.positionAt(start), document.positionAt(end));
      if (document.getText(now) !== original) return undefined;
      return { ...params, textDocument: { uri: key, version: document.version }, range: lspRange(now) };
    };
    const token = session.cts!.token;
    try {
      const result = await requestEdit(host, params, retry, (delta) => this.onDelta(session, delta), token);
      const { stats } = result;
      this.ctx.log.info(
        `inline edit: ${stats.generatedTokens} tokens (${stats.predictedTokensAccepted} predicted), ${stats.ms} ms, ${result.finishReason}`,
      );
      model.finish(replacementOf(result, key), result.finishReason === "length");
    } catch (error) {
      if (token.isCancellationRequested) {
        model.fail("stopped");
      } else {
        const problem: Problem = problemOfError(error);
        this.ctx.log.warn(`inline edit failed: ${problem.message}`);
        model.fail("request failed");
        void showProblem(problem, "error");
      }
    } finally {
      session.cts?.dispose();
      session.cts = undefined;
    }
    this.pump(session);
    this.render(session);
  }

  /** Accepts the whole pending edit of the document, or one hunk. */
  accept(uri: vscode.Uri | undefined, hunk?: number): void {
    const session = this.sessionFor(uri);
    if (session === undefined) return;
    session.model.accept(hunk);
    this.pump(session);
    this.render(session);
  }

  /** Rejects the whole pending edit (while it streams: stops it, keeping what arrived), or one hunk. */
  reject(uri: vscode.Uri | undefined, hunk?: number): void {
    const session = this.sessionFor(uri);
    if (session === undefined) return;
    if (hunk === undefined && session.model.streaming) {
      session.model.stop("stopped");
      session.cts?.cancel();
    } else {
      session.model.reject(hunk);
    }
    this.pump(session);
    this.render(session);
  }

  dispose(): void {
    for (const session of this.sessions.values()) session.cts?.cancel();
    this.sessions.clear();
    for (const d of this.bag.splice(0).reverse()) d.dispose();
  }

  private sessionFor(uri: vscode.Uri | undefined): Session | undefined {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    return target === undefined ? undefined : this.sessions.get(target.toString());
  }

  private onDelta(session: Session, delta: string): void {
    const now = Date.now();
    session.firstDeltaAt ??= now;
    session.lastDeltaAt = now;
    session.tokens++;
    session.model.pushDelta(delta);
    this.pump(session);
    this.render(session);
  }

  /**
   * The proposal lives in the buffer beside the lines it would replace, so a save (an autosave too)
   * writes both to disk. VS Code has no way to hold one document's save, so Bora says so, once per
   * edit, and offers the decision that makes the file whole again.
   */
  private onSaved(document: vscode.TextDocument): void {
    const session = this.sessions.get(document.uri.toString());
    if (session === undefined || session.toldSaved) return;
    session.toldSaved = true;
    const name = vscode.workspace.asRelativePath(document.uri);
    void vscode.window
      .showWarningMessage(
        `Bora: ${name} was saved with an undecided edit, so the file on disk holds both the proposed and the original lines. Accept or reject the edit, then save again.`,
        ACCEPT_ALL,
        REJECT_ALL,
      )
      .then((choice) => {
        if (choice === ACCEPT_ALL) this.accept(document.uri);
        else if (choice === REJECT_ALL) {
          // While it streams, the first Reject only stops it (keeping what arrived, like Escape);
          // the button says "all", so the second rejects what arrived too.
          const streaming = this.streaming(document.uri);
          this.reject(document.uri);
          if (streaming) this.reject(document.uri);
        }
      });
  }

  private onChange(event: vscode.TextDocumentChangeEvent): void {
    const session = this.sessions.get(event.document.uri.toString());
    if (session === undefined || event.contentChanges.length === 0) return;
    const changes = event.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text }));
    const undoRedo = event.reason !== undefined;
    const outcome = session.model.onChange(changes, { undoRedo });
    if (outcome.stoppedStream) {
      session.cts?.cancel();
      // Offsets and lengths only: the text is the user's code. Whether Bora's own edit was in
      // flight tells a real stop from a change event taken for the user's by mistake.
      const where = changes.map((c) => `${c.offset}-${c.length}+${c.text.length}`).join(",");
      this.ctx.log.info(
        `inline edit: ${session.model.incomplete ?? "stopped"} (change ${where}${undoRedo ? ", undo/redo" : ""}, version ${event.document.version}${session.applying ? ", Bora's edit in flight" : ""})`,
      );
    }
    this.pump(session);
    this.render(session);
  }

  /** Applies the model's next edit, one at a time; the change event it causes brings the next. */
  private pump(session: Session): void {
    // A session given up (document closed) applies nothing more.
    if (session.applying || this.sessions.get(session.document.uri.toString()) !== session) return;
    const edit = session.model.nextEdit();
    if (edit === undefined) return;
    const { document } = session;
    const workspaceEdit = new vscode.WorkspaceEdit();
    for (const e of edit.edits) {
      const range = new vscode.Range(document.positionAt(e.offset), document.positionAt(e.offset + e.length));
      workspaceEdit.replace(document.uri, range, e.text);
    }
    session.applying = true;
    // Each applyEdit is its own undo step: accepting is "remove the green lines", then "put the
    // proposal in", so one Undo brings the original back. VS Code refuses an edit made for an older
    // version of the document, so an edit never lands where the user's typing moved the text.
    vscode.workspace.applyEdit(workspaceEdit).then(
      (applied) => this.applied(session, applied),
      (error: unknown) => {
        this.ctx.log.warn(`inline edit: applying failed: ${error instanceof Error ? error.message : String(error)}`);
        this.applied(session, false);
      },
    );
  }

  private applied(session: Session, applied: boolean): void {
    session.applying = false;
    if (this.sessions.get(session.document.uri.toString()) !== session) return;
    session.refused = applied ? 0 : session.refused + 1;
    if (!applied)
      this.ctx.log.info(
        `inline edit: VS Code refused Bora's edit (the document changed since it was made); trying again on the current text`,
      );
    if (session.refused > MAX_REFUSED_EDITS) {
      this.ctx.log.warn(`inline edit: ${session.document.uri.toString()} refuses edits; giving up`);
      this.drop(session.document.uri.toString());
      return;
    }
    this.pump(session);
    this.render(session);
  }

  private whenSettled(session: Session): Promise<void> {
    if (session.model.settled) return Promise.resolve();
    return new Promise((resolve) => session.settledWaiters.push(resolve));
  }

  private render(session: Session): void {
    const key = session.document.uri.toString();
    if (session.model.settled && !session.applying) {
      this.lastHunkIds.set(key, session.model.lastHunkId);
      if (this.sessions.get(key) === session) this.sessions.delete(key);
      for (const resolve of session.settledWaiters.splice(0)) resolve();
    }
    this.decorate(session);
    this.lensesChanged.fire();
    this.updateContext();
  }

  private decorate(session: Session): void {
    const { document } = session;
    const current = this.sessions.get(document.uri.toString());
    // A late redraw of a finished session must not wipe the follow-up's decorations.
    if (current !== undefined && current !== session) return;
    const live = current === session;
    const ranges = decorationRanges(session.model.view());
    const toRanges = (list: [number, number][]): vscode.Range[] =>
      live
        ? list.map(([start, end]) => {
            const [first, last] = coveredLines(document.positionAt(start), document.positionAt(end));
            return new vscode.Range(first, 0, last, 0);
          })
        : [];
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document !== document) continue;
      editor.setDecorations(this.green, toRanges(ranges.green));
      editor.setDecorations(this.red, toRanges(ranges.red));
      editor.setDecorations(this.unverified, toRanges(ranges.unverified));
    }
  }

  private lenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const session = this.sessions.get(document.uri.toString());
    if (session === undefined) return [];
    return lensesFor(document.uri.toString(), session.model.view(), process.platform === "darwin").map((lens) => {
      const at = document.positionAt(lens.offset);
      return new vscode.CodeLens(new vscode.Range(at, at), {
        title: lens.title,
        command: lens.command,
        arguments: lens.args.map((arg, i) => (i === 0 && typeof arg === "string" ? vscode.Uri.parse(arg) : arg)),
      });
    });
  }

  /** The context keys and the status-bar progress follow the active editor. */
  private updateContext(): void {
    const editor = vscode.window.activeTextEditor;
    const session = editor ? this.sessions.get(editor.document.uri.toString()) : undefined;
    void vscode.commands.executeCommand("setContext", PENDING_KEY, session !== undefined);
    void vscode.commands.executeCommand("setContext", STREAMING_KEY, session?.model.streaming ?? false);
    if (session === undefined || !session.model.streaming) {
      this.ctx.statusBar.editProgress = undefined;
      return;
    }
    const seconds =
      session.firstDeltaAt !== undefined && session.lastDeltaAt !== undefined
        ? (session.lastDeltaAt - session.firstDeltaAt) / 1000
        : 0;
    this.ctx.statusBar.editProgress = {
      tokens: session.tokens,
      tokensPerSecond: seconds > 0 && session.tokens > 1 ? (session.tokens - 1) / seconds : undefined,
    };
  }

  private drop(key: string): void {
    const session = this.sessions.get(key);
    if (session === undefined) return;
    session.cts?.cancel();
    this.sessions.delete(key);
    for (const resolve of session.settledWaiters.splice(0)) resolve();
    this.decorate(session);
    this.lensesChanged.fire();
    this.updateContext();
  }
}

export function lspRange(range: vscode.Range): EditRequest["range"] {
  return {
    start: { line: range.start.line, character: range.start.character },
    end: { line: range.end.line, character: range.end.character },
  };
}
