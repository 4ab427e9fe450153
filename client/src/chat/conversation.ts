/**
 * The Chat view's conversations: turns (a question and Bora's answer, with the task that answers
 * it), the earlier turns a new question carries as context, and the history kept per workspace.
 * Pure (no `vscode` import), so the bounds are tested without VS Code.
 */
import type { TaskStatus } from "@bora/protocol";

export type TurnStatus = "running" | "done" | "failed" | "cancelled";

export interface Turn {
  id: string;
  /** The user's words (or, for a palette task, what it was asked to do). */
  question: string;
  /** The context chips' labels when it was asked. */
  context: string[];
  /** The task answering it, once started. */
  taskId?: string;
  /** The answer once the task has ended (while it runs the view reads the task store). */
  answer: string;
  status: TurnStatus;
  /** The file and selection the turn was about: where **Apply** puts a code block. */
  target?: {
    uri: string;
    range?: { start: { line: number; character: number }; end: { line: number; character: number } };
  };
}

export interface Conversation {
  id: string;
  turns: Turn[];
}

export interface ChatHistory {
  current: Conversation;
  /** Earlier conversations, newest first. */
  past: Conversation[];
}

/**
 * Earlier turns a question carries. A small local model has a few thousand tokens of context, and
 * the task's own reading of files needs most of them: six turns and 6,000 characters (about 1,500
 * tokens) leave room for that.
 */
export const MAX_CONTEXT_TURNS = 6;
export const MAX_CONTEXT_CHARS = 6000;
/** One earlier answer in the context is cut to this, so that one long answer cannot crowd out the rest. */
export const MAX_CONTEXT_ANSWER_CHARS = 1500;

/** Turns of one conversation kept in the workspace state; older ones are dropped from the start. */
export const MAX_STORED_TURNS = 100;
/** Earlier conversations kept; "New Chat" beyond this forgets the oldest. */
export const MAX_STORED_CONVERSATIONS = 20;
/** One stored answer is cut to this, so the workspace state stays small (VS Code keeps it in SQLite). */
export const MAX_STORED_ANSWER_CHARS = 20_000;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The instruction for a chat question: the question, and before it the last turns of the
 * conversation that were answered, newest kept first when the bound is reached.
 */
export function instructionWithHistory(earlier: readonly Turn[], question: string): string {
  const answered = earlier.filter((turn) => turn.status === "done" && turn.answer.trim() !== "");
  const blocks: string[] = [];
  let chars = 0;
  for (const turn of answered.slice(-MAX_CONTEXT_TURNS).reverse()) {
    const block = `User: ${cut(turn.question, MAX_CONTEXT_ANSWER_CHARS)}\nBora: ${cut(turn.answer.trim(), MAX_CONTEXT_ANSWER_CHARS)}`;
    if (chars + block.length > MAX_CONTEXT_CHARS) break;
    blocks.unshift(block);
    chars += block.length;
  }
  if (blocks.length === 0) return question;
  return `Earlier in this conversation:\n\n${blocks.join("\n\n")}\n\nNow the user asks:\n${question}`;
}

/** A turn's status once its task is in the given status. */
export function turnStatusOf(status: TaskStatus): TurnStatus {
  if (status === "completed") return "done";
  if (status === "failed" || status === "cancelled") return status;
  return "running";
}

export function newConversation(id: string): Conversation {
  return { id, turns: [] };
}

/** Keeps the history within its bounds. */
export function boundHistory(history: ChatHistory): ChatHistory {
  const boundConversation = (c: Conversation): Conversation => ({
    id: c.id,
    turns: c.turns
      .slice(-MAX_STORED_TURNS)
      .map((turn) => ({ ...turn, answer: cut(turn.answer, MAX_STORED_ANSWER_CHARS) })),
  });
  return {
    current: boundConversation(history.current),
    past: history.past
      .filter((c) => c.turns.length > 0)
      .slice(0, MAX_STORED_CONVERSATIONS)
      .map(boundConversation),
  };
}

/** Starts a new conversation; the current one, if it has turns, goes first into the past. */
export function startNewConversation(history: ChatHistory, id: string): ChatHistory {
  const past = history.current.turns.length > 0 ? [history.current, ...history.past] : history.past;
  return boundHistory({ current: newConversation(id), past });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const TURN_STATUSES: readonly string[] = ["running", "done", "failed", "cancelled"];

function readTurn(value: unknown): Turn | undefined {
  if (!isRecord(value) || typeof value.id !== "string" || typeof value.question !== "string") return undefined;
  const status = typeof value.status === "string" && TURN_STATUSES.includes(value.status) ? value.status : "done";
  const target =
    isRecord(value.target) && typeof value.target.uri === "string" ? (value.target as Turn["target"]) : undefined;
  return {
    id: value.id,
    question: value.question,
    context: Array.isArray(value.context) ? value.context.filter((c): c is string => typeof c === "string") : [],
    ...(typeof value.taskId === "string" ? { taskId: value.taskId } : {}),
    answer: typeof value.answer === "string" ? value.answer : "",
    // A turn stored while its task ran belongs to a window that is gone: its task is not ours to follow.
    status: (status === "running" ? "cancelled" : status) as TurnStatus,
    ...(target !== undefined ? { target } : {}),
  };
}

function readConversation(value: unknown): Conversation | undefined {
  if (!isRecord(value) || typeof value.id !== "string" || !Array.isArray(value.turns)) return undefined;
  return { id: value.id, turns: value.turns.map(readTurn).filter((t): t is Turn => t !== undefined) };
}

/** The history from the workspace state: what is malformed (an older version wrote it, say) is dropped. */
export function readHistory(value: unknown, freshId: string): ChatHistory {
  if (!isRecord(value)) return { current: newConversation(freshId), past: [] };
  const current = readConversation(value.current) ?? newConversation(freshId);
  const past = Array.isArray(value.past)
    ? value.past.map(readConversation).filter((c): c is Conversation => c !== undefined)
    : [];
  return boundHistory({ current, past });
}

/** One past conversation as the picker lists it: its first question, and how many turns it has. */
export interface PastChoice {
  id: string;
  label: string;
  detail: string;
}

/** Longest first question shown in the picker: one line of the quick pick. */
export const MAX_PAST_LABEL_CHARS = 80;

export function pastChoices(history: ChatHistory): PastChoice[] {
  return history.past.map((c) => {
    const first = (c.turns[0]?.question ?? "").replace(/\s+/g, " ").trim();
    const label = first.length > MAX_PAST_LABEL_CHARS ? `${first.slice(0, MAX_PAST_LABEL_CHARS - 1)}…` : first;
    const last = c.turns.at(-1)?.question.replace(/\s+/g, " ").trim() ?? "";
    return {
      id: c.id,
      label: label || "(empty)",
      detail: `${c.turns.length} ${c.turns.length === 1 ? "question" : "questions"}${c.turns.length > 1 ? `, last: ${last.slice(0, MAX_PAST_LABEL_CHARS)}` : ""}`,
    };
  });
}

/**
 * Makes past conversation `id` the current one again; the current one, if it has turns, goes first
 * into the past. Unknown ids change nothing.
 */
export function reopenConversation(history: ChatHistory, id: string): ChatHistory {
  const found = history.past.find((c) => c.id === id);
  if (found === undefined) return history;
  const rest = history.past.filter((c) => c.id !== id);
  const past = history.current.turns.length > 0 ? [history.current, ...rest] : rest;
  return boundHistory({ current: found, past });
}
