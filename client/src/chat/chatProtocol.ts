/**
 * The messages between the Chat view's webview (`client/media/chat.js`) and the extension, typed
 * in one place. Pure (no `vscode` import). The webview is untrusted input as far as the extension
 * goes: `parseWebviewMessage` checks every message before a handler sees it.
 */

import { APPROVAL_DECISIONS, type ApprovalDecision } from "@bora/protocol";

/** A question typed in the chat is at most this long: the host's own bound on an instruction. */
export const MAX_CHAT_MESSAGE_CHARS = 16_384;
/** An `@file` query longer than this is no file name being typed. */
export const MAX_MENTION_QUERY_CHARS = 256;
/** Ids (turns, tasks, chips) and paths from the webview are bounded like the protocol's. */
const MAX_ID_CHARS = 128;
const MAX_PATH_CHARS = 4096;

export type ReviewAction = "diff" | "keep" | "undo" | "keepAll" | "undoAll";
const REVIEW_ACTIONS: readonly string[] = ["diff", "keep", "undo", "keepAll", "undoAll"];

/** Webview → extension. */
export type WebviewMessage =
  | { type: "ready" }
  | { type: "send"; text: string }
  | { type: "stop" }
  | { type: "newChat" }
  | { type: "removeChip"; id: string }
  | { type: "mentionQuery"; query: string }
  | { type: "addMention"; uri: string }
  | { type: "code"; action: "insert" | "apply"; turnId: string; block: number }
  | { type: "review"; action: ReviewAction; taskId: string; path?: string }
  | { type: "approval"; taskId: string; decision: ApprovalDecision };

export interface ChipView {
  id: string;
  kind: "file" | "selection" | "mention";
  label: string;
}

export type ItemView =
  | { kind: "text"; html: string }
  | { kind: "tool"; name: string; summary: string; state: "running" | "ok" | "failed"; result?: string; ms?: number }
  | {
      kind: "approval";
      tool: string;
      summary: string;
      state: "pending" | "allowed" | "denied";
      by?: string;
      /** The task waits for this answer and the chat may give it: the row shows the buttons. */
      answerable?: { taskId: string };
    }
  | { kind: "question"; question: string; answer?: string }
  | { kind: "notice"; text: string };

export interface TurnView {
  id: string;
  question: string;
  context: string[];
  status: "running" | "done" | "failed" | "cancelled";
  /** While running: what the task is doing ("waiting for your approval", "turn 2"). */
  activity?: string;
  items: ItemView[];
}

export interface ReviewRowView {
  path: string;
  status: "added" | "modified" | "deleted";
  state: "pending" | "kept" | "undone";
}

export interface ReviewView {
  taskId: string;
  title: string;
  rows: ReviewRowView[];
}

export interface ChatViewState {
  turns: TurnView[];
  /** A task of this conversation is running: the stop button shows, sending waits. */
  running: boolean;
  chips: ChipView[];
  review?: ReviewView;
}

/** Extension → webview. */
export type ExtensionMessage =
  | { type: "state"; state: ChatViewState }
  | { type: "mentionResults"; query: string; items: { label: string; detail: string; uri: string }[] };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const boundedString = (value: unknown, max: number, min = 0): value is string =>
  typeof value === "string" && value.length >= min && value.length <= max;

/** The message if it is one the extension handles, well formed and within bounds; else undefined. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case "ready":
    case "stop":
    case "newChat":
      return { type: value.type };
    case "send":
      return boundedString(value.text, MAX_CHAT_MESSAGE_CHARS) && value.text.trim() !== ""
        ? { type: "send", text: value.text }
        : undefined;
    case "removeChip":
      return boundedString(value.id, MAX_PATH_CHARS, 1) ? { type: "removeChip", id: value.id } : undefined;
    case "mentionQuery":
      return boundedString(value.query, MAX_MENTION_QUERY_CHARS)
        ? { type: "mentionQuery", query: value.query }
        : undefined;
    case "addMention":
      return boundedString(value.uri, MAX_PATH_CHARS * 2, 1) ? { type: "addMention", uri: value.uri } : undefined;
    case "code":
      return (value.action === "insert" || value.action === "apply") &&
        boundedString(value.turnId, MAX_ID_CHARS, 1) &&
        Number.isInteger(value.block) &&
        (value.block as number) >= 0
        ? { type: "code", action: value.action, turnId: value.turnId, block: value.block as number }
        : undefined;
    case "review": {
      if (typeof value.action !== "string" || !REVIEW_ACTIONS.includes(value.action)) return undefined;
      if (!boundedString(value.taskId, MAX_ID_CHARS, 1)) return undefined;
      const action = value.action as ReviewAction;
      const perFile = action === "diff" || action === "keep" || action === "undo";
      if (perFile && !boundedString(value.path, MAX_PATH_CHARS, 1)) return undefined;
      return perFile
        ? { type: "review", action, taskId: value.taskId, path: value.path as string }
        : { type: "review", action, taskId: value.taskId };
    }
    case "approval":
      return boundedString(value.taskId, MAX_ID_CHARS, 1) &&
        typeof value.decision === "string" &&
        (APPROVAL_DECISIONS as readonly string[]).includes(value.decision)
        ? { type: "approval", taskId: value.taskId, decision: value.decision as ApprovalDecision }
        : undefined;
    default:
      return undefined;
  }
}
