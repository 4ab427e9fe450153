/**
 * The Chat view (a webview view in the Bora activity-bar container): a thin adapter. It keeps the
 * conversation (in the workspace state, so each workspace has its own history), starts a task per
 * question, and posts the state `chatViewModel.ts` builds to the webview (`client/media/chat.js`),
 * whose messages `chatProtocol.ts` checks. Markdown is rendered here, never in the webview.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { StartTask, type StartTaskParams } from "@bora/protocol";
import * as vscode from "vscode";
import { BORA_COMMANDS } from "../commandIds.js";
import type { Ctx } from "../ctx.js";
import type { HostClient } from "../hostClient.js";
import { givenTextHost } from "../inlineEdit/givenTextHost.js";
import { wholeLineRange } from "../inlineEdit/ranges.js";
import { problemOfError } from "../problemActions.js";
import { showProblem } from "../showProblem.js";
import { answerOf } from "../tasks/taskStore.js";
import { parseWebviewMessage, type ExtensionMessage, type WebviewMessage } from "./chatProtocol.js";
import { buildChatView, chipsOf, scopeOfChips, type EditorContext, type LineRange } from "./chatViewModel.js";
import {
  boundHistory,
  type ChatHistory,
  instructionWithHistory,
  pastChoices,
  readHistory,
  reopenConversation,
  startNewConversation,
  type Turn,
  turnStatusOf,
} from "./conversation.js";

export const CHAT_VIEW_ID = "bora.chat";
const HISTORY_KEY = "bora.chat.history";
/** `@file` suggestions shown at once: a short list to pick from while typing. */
const MAX_MENTION_RESULTS = 20;
/** Mentions one question may carry; the host takes at most 64 files in a scope, a question needs far fewer. */
const MAX_MENTIONS = 10;
const MENTION_EXCLUDE = "**/{node_modules,.git,dist,out}/**";

export class ChatController implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private history: ChatHistory;
  private blocks = new Map<string, string[]>();
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private mentions: { uri: string; label: string }[] = [];
  private readonly removedChips = new Set<string>();
  private readonly bag: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.history = readHistory(ctx.extension.workspaceState.get(HISTORY_KEY), randomUUID());
    this.bag.push(
      vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, this),
      ctx.tasks.onDidChange((task) => {
        const turn = this.history.current.turns.find((t) => t.taskId === task.taskId);
        if (turn === undefined) return;
        const status = turnStatusOf(task.status);
        if (status !== "running" && turn.status === "running") {
          turn.status = status;
          turn.answer = answerOf(task);
          this.save();
        }
        this.refresh();
      }),
      ctx.reviews.onDidChange(() => this.refresh()),
      ctx.approvals.onDidChange(() => this.refresh()),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        // Focusing the chat leaves no active editor: the chips keep the last real one.
        if (editor !== undefined && ["file", "untitled"].includes(editor.document.uri.scheme)) {
          this.lastEditor = editor;
          this.refresh();
        }
      }),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor === this.lastEditor) this.refresh();
      }),
    );
  }

  dispose(): void {
    for (const d of this.bag.splice(0).reverse()) d.dispose();
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.ctx.extension.extensionUri, "client", "media");
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
    view.webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseWebviewMessage(raw);
      if (message === undefined) {
        this.ctx.log.warn("chat: ignored a malformed message from the webview");
        return;
      }
      void this.handle(message).catch((error: unknown) => {
        this.ctx.log.error(`chat: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    // Hidden and shown again, the webview starts over: it asks for the state with "ready".
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
  }

  /** Whether the Chat view is on screen, so an approval can be answered in it. */
  get visible(): boolean {
    return this.view?.visible === true;
  }

  /** Shows the Chat view (VS Code adds a `<view id>.focus` command for every view). */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  }

  /**
   * Starts a task as a turn of the conversation: the turn shows at once, the task's transcript
   * fills it as `bora/taskUpdated` arrives. A refusal from the host shows with its fix.
   */
  async startTask(
    client: HostClient,
    params: StartTaskParams,
    question: string,
    context: string[],
    target?: Turn["target"],
  ): Promise<void> {
    const turn: Turn = {
      id: randomUUID(),
      question,
      context,
      answer: "",
      status: "running",
      ...(target !== undefined ? { target } : {}),
    };
    this.history.current.turns.push(turn);
    this.save();
    this.refresh();
    void this.reveal();
    try {
      const { taskId } = await client.sendRequest(StartTask.type, params);
      // `save` bounds the history into new objects: the turn to update is the one there now.
      const live = this.turnById(turn.id);
      if (live === undefined) return;
      live.taskId = taskId;
      // The task may have ended before its id came back: take its state from the store now.
      const task = this.ctx.tasks.get(taskId);
      if (task !== undefined && turnStatusOf(task.status) !== "running") {
        live.status = turnStatusOf(task.status);
        live.answer = answerOf(task);
      }
    } catch (error) {
      const problem = problemOfError(error);
      const live = this.turnById(turn.id);
      if (live !== undefined) {
        live.status = "failed";
        live.answer = problem.message;
      }
      void showProblem(problem, "error");
    }
    this.save();
    this.refresh();
  }

  /** A turn of the current conversation, as it is in the history now. */
  private turnById(id: string): Turn | undefined {
    return this.history.current.turns.find((t) => t.id === id);
  }

  /** Picks a past conversation of this workspace and makes it the current one. */
  async openPast(): Promise<void> {
    const choices = pastChoices(this.history);
    if (choices.length === 0) {
      void vscode.window.showInformationMessage("Bora: no earlier chats in this workspace yet.");
      return;
    }
    const picked = await vscode.window.showQuickPick(choices, { title: "Bora: Open Past Chat", matchOnDetail: true });
    if (picked === undefined) return;
    this.history = reopenConversation(this.history, picked.id);
    this.mentions = [];
    this.save();
    this.refresh();
    await this.reveal();
  }

  newChat(): void {
    this.history = startNewConversation(this.history, randomUUID());
    this.mentions = [];
    this.save();
    this.refresh();
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case "ready":
        this.refresh();
        return;
      case "send":
        return this.send(message.text);
      case "stop":
        for (const turn of this.history.current.turns) {
          if (turn.status === "running" && turn.taskId !== undefined) {
            await vscode.commands.executeCommand(BORA_COMMANDS.cancelTask.id, turn.taskId);
          }
        }
        return;
      case "newChat":
        this.newChat();
        return;
      case "removeChip":
        this.mentions = this.mentions.filter((m) => `mention:${m.uri}` !== message.id);
        this.removedChips.add(message.id);
        this.refresh();
        return;
      case "mentionQuery":
        return this.suggestMentions(message.query);
      case "addMention": {
        const uri = vscode.Uri.parse(message.uri);
        if (uri.scheme !== "file" || this.mentions.some((m) => m.uri === message.uri)) return;
        if (this.mentions.length >= MAX_MENTIONS) return;
        this.mentions.push({ uri: message.uri, label: vscode.workspace.asRelativePath(uri) });
        this.refresh();
        return;
      }
      case "code":
        return this.codeAction(message.action, message.turnId, message.block);
      case "review":
        return this.reviewAction(message.action, message.taskId, message.path);
      case "approval":
        this.ctx.approvals.answer(message.taskId, message.decision);
        return;
    }
  }

  private async send(text: string): Promise<void> {
    const client = await this.ctx.settledClient();
    if (client === undefined) {
      void vscode.window.showWarningMessage("Bora: the chat needs the agent host, which is not running.");
      return;
    }
    const chips = chipsOf(this.editorContext(), this.removedChips);
    const scope = scopeOfChips(chips);
    const earlier = [...this.history.current.turns];
    const instruction = instructionWithHistory(earlier, text.trim());
    this.mentions = [];
    const target =
      scope.textDocument !== undefined
        ? { uri: scope.textDocument.uri, ...(scope.range ? { range: scope.range } : {}) }
        : undefined;
    await this.startTask(
      client,
      { kind: "explain", instruction, scope },
      text.trim(),
      chips.map((chip) => chip.label),
      target,
    );
  }

  private editorContext(): EditorContext {
    const editor = this.lastEditor;
    if (editor === undefined || editor.document.isClosed) return { mentions: this.mentions };
    const { selection } = editor;
    return {
      file: { uri: editor.document.uri.toString(), label: vscode.workspace.asRelativePath(editor.document.uri) },
      ...(selection.isEmpty ? {} : { selection: lspRange(selection) }),
      mentions: this.mentions,
    };
  }

  private async suggestMentions(query: string): Promise<void> {
    // Glob characters in what the user typed would change the search; they are no part of a name.
    const plain = query.replace(/[[\]{}*?!\\]/g, "");
    const found = await vscode.workspace.findFiles(`**/*${plain}*`, MENTION_EXCLUDE, MAX_MENTION_RESULTS);
    const items = found.map((uri) => {
      const relative = vscode.workspace.asRelativePath(uri);
      return { label: relative.split("/").at(-1) ?? relative, detail: relative, uri: uri.toString() };
    });
    this.post({ type: "mentionResults", query, items });
  }

  private async codeAction(action: "insert" | "apply", turnId: string, block: number): Promise<void> {
    const code = this.blocks.get(turnId)?.[block];
    if (code === undefined) return;
    if (action === "insert") {
      const editor = this.lastEditor;
      if (editor === undefined || editor.document.isClosed) {
        void vscode.window.showInformationMessage("Bora: open a file to insert the code into.");
        return;
      }
      await editor.edit((edit) => edit.insert(editor.selection.active, code));
      return;
    }
    await this.apply(turnId, code);
  }

  /**
   * Apply: the code block as a pending inline edit (green/red lines, accept or reject per hunk) of
   * the turn's selection, else the last editor's selection (whole lines), else its cursor.
   */
  private async apply(turnId: string, code: string): Promise<void> {
    const turn = this.history.current.turns.find((t) => t.id === turnId);
    let document: vscode.TextDocument | undefined;
    let range: LineRange | undefined;
    if (turn?.target?.range !== undefined) {
      document = await vscode.workspace.openTextDocument(vscode.Uri.parse(turn.target.uri));
      range = turn.target.range;
    } else if (this.lastEditor !== undefined && !this.lastEditor.document.isClosed) {
      document = this.lastEditor.document;
      range = lspRange(this.lastEditor.selection);
    }
    if (document === undefined || range === undefined) {
      void vscode.window.showInformationMessage("Bora: open a file and select the code to replace.");
      return;
    }
    if (this.ctx.inlineEdits.has(document.uri)) {
      void vscode.window.showInformationMessage("Bora: accept or reject the pending edit in this file first.");
      return;
    }
    const doc = document;
    const lines = wholeLineRange(range, {
      lineCount: doc.lineCount,
      lineLength: (line) => doc.lineAt(line).text.length,
    });
    await vscode.window.showTextDocument(doc, { preserveFocus: false });
    await this.ctx.inlineEdits.start(givenTextHost(code), {
      document: doc,
      range: new vscode.Range(lines.start.line, lines.start.character, lines.end.line, lines.end.character),
      instruction: "Apply the code block from the chat",
    });
  }

  private async reviewAction(action: string, taskId: string, path: string | undefined): Promise<void> {
    const review = this.ctx.reviewController;
    if (action === "diff") await review.openDiff(taskId, path);
    else if (action === "keep") review.keep(taskId, path);
    else if (action === "undo") await review.undo(taskId, path);
    else if (action === "keepAll") review.keep(taskId);
    else if (action === "undoAll") await review.undo(taskId);
  }

  private refresh(): void {
    if (this.view === undefined) return;
    const chips = chipsOf(this.editorContext(), this.removedChips);
    const { state, blocks } = buildChatView(
      this.history.current,
      (id) => this.ctx.tasks.get(id),
      chips,
      this.ctx.reviews.latest(),
      (taskId) => this.ctx.approvals.has(taskId),
    );
    this.blocks = blocks;
    this.post({ type: "state", state });
  }

  private post(message: ExtensionMessage): void {
    void this.view?.webview.postMessage(message);
  }

  private save(): void {
    this.history = boundHistory(this.history);
    void this.ctx.extension.workspaceState.update(HISTORY_KEY, this.history);
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString("base64");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.css"));
    const csp = `default-src 'none'; style-src ${webview.cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src ${webview.cspSource} https: data:;`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">
<title>Bora Chat</title>
</head>
<body>
<main id="conversation" aria-live="polite" aria-label="Conversation"></main>
<section id="review" aria-label="Changes to review" hidden></section>
<form id="composer" aria-label="Ask Bora">
  <div id="chips" aria-label="Context"></div>
  <ul id="mentions" role="listbox" aria-label="Files" hidden></ul>
  <textarea id="input" rows="3" placeholder="Ask about the code. @ to add a file. Enter sends, Shift+Enter for a new line." aria-label="Message"></textarea>
  <div class="composer-actions">
    <button type="button" id="stop" hidden>Stop</button>
    <button type="submit" id="send">Send</button>
  </div>
</form>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }
}

function lspRange(range: vscode.Range): LineRange {
  return {
    start: { line: range.start.line, character: range.start.character },
    end: { line: range.end.line, character: range.end.character },
  };
}
