/**
 * What the Chat view shows, as a pure function of the conversation, the task store, the latest
 * review and the context chips. Pure (no `vscode` import): the webview only draws this state.
 */
import type { TaskItem, TaskScope } from "@bora/protocol";
import { isLive, answerOf, type TaskState } from "../tasks/taskStore.js";
import type { Review } from "../tasks/review.js";
import type { ChatViewState, ChipView, ItemView, TurnView } from "./chatProtocol.js";
import { turnStatusOf, type Conversation, type Turn } from "./conversation.js";
import { renderMarkdown } from "./markdown.js";

export interface LineRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** The editor context a question can carry: the active file, its selection, `@file` mentions. */
export interface EditorContext {
  /** The last active text editor's document, with its path relative to the workspace. */
  file?: { uri: string; label: string };
  /** Its selection, when not empty. */
  selection?: LineRange;
  mentions: { uri: string; label: string }[];
}

export interface Chip extends ChipView {
  uri: string;
  range?: LineRange;
}

function lines(range: LineRange): string {
  const first = range.start.line + 1;
  // A selection that ends at the start of a line does not take that line.
  const last = range.end.character === 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1;
  return first === last ? `${first}` : `${first}-${last}`;
}

/**
 * The chips to show: the file and its selection (unless the user removed them; a chip's id
 * changes with the file and the selection, so a new one comes back), then the mentions.
 */
export function chipsOf(context: EditorContext, removed: ReadonlySet<string>): Chip[] {
  const chips: Chip[] = [];
  const { file, selection } = context;
  if (file !== undefined) {
    const fileChip: Chip = { id: `file:${file.uri}`, kind: "file", label: file.label, uri: file.uri };
    if (!removed.has(fileChip.id)) chips.push(fileChip);
    if (selection !== undefined) {
      const id = `selection:${file.uri}:${selection.start.line}:${selection.start.character}-${selection.end.line}:${selection.end.character}`;
      if (!removed.has(id)) {
        chips.push({
          id,
          kind: "selection",
          label: `${file.label}:${lines(selection)}`,
          uri: file.uri,
          range: selection,
        });
      }
    }
  }
  for (const mention of context.mentions) {
    chips.push({ id: `mention:${mention.uri}`, kind: "mention", label: `@${mention.label}`, uri: mention.uri });
  }
  return chips;
}

/**
 * The task scope the chips give: the selection's document and range, else the file; mentions as
 * further files. A selection chip without its file chip still names its document.
 */
export function scopeOfChips(chips: readonly Chip[]): TaskScope {
  const selection = chips.find((chip) => chip.kind === "selection");
  const file = chips.find((chip) => chip.kind === "file");
  const document = selection ?? file;
  const files = [...new Set(chips.filter((chip) => chip.kind === "mention").map((chip) => chip.uri))];
  return {
    ...(document !== undefined ? { textDocument: { uri: document.uri } } : {}),
    ...(selection?.range !== undefined ? { range: selection.range } : {}),
    ...(files.length > 0 ? { files } : {}),
  };
}

function itemView(item: TaskItem): ItemView | undefined {
  switch (item.type) {
    case "tool":
      return {
        kind: "tool",
        name: item.name,
        summary: item.summary,
        state: item.state,
        ...(item.result !== undefined ? { result: item.result } : {}),
        ...(item.ms !== undefined ? { ms: item.ms } : {}),
      };
    case "approval":
      return {
        kind: "approval",
        tool: item.tool,
        summary: item.summary,
        state: item.state,
        ...(item.by !== undefined ? { by: item.by } : {}),
      };
    case "question":
      return {
        kind: "question",
        question: item.question,
        ...(item.answer !== undefined ? { answer: item.answer } : item.unanswered ? { answer: "(no answer)" } : {}),
      };
    case "notice":
      return { kind: "notice", text: item.text };
    default:
      return undefined;
  }
}

export interface BuiltTurn {
  view: TurnView;
  /** The turn's code blocks, by the index its buttons carry. */
  blocks: string[];
}

/** What a running task is doing, in a few words. */
function activityOf(task: TaskState): string {
  if (task.status === "queued") return "queued";
  if (task.status === "waiting") return "waiting for you";
  return task.turn > 0 ? `turn ${task.turn}` : "starting";
}

/**
 * One turn's view: the live transcript while its task is known (text rows as markdown, tool
 * calls, approvals, questions, notices, in order, and the final answer if no text row holds it),
 * else the stored answer.
 */
export function buildTurn(turn: Turn, task: TaskState | undefined, canAnswer = false): BuiltTurn {
  const blocks: string[] = [];
  const items: ItemView[] = [];
  const addText = (text: string): void => {
    if (text.trim() === "") return;
    const rendered = renderMarkdown(text, blocks.length);
    blocks.push(...rendered.blocks);
    items.push({ kind: "text", html: rendered.html });
  };
  if (task !== undefined) {
    let lastText = "";
    for (const item of task.items) {
      if (item.type === "text") {
        addText(item.text);
        lastText = item.text;
      } else {
        const view = itemView(item);
        if (view !== undefined) items.push(view);
      }
    }
    const answer = answerOf(task);
    if (answer.trim() !== lastText.trim()) addText(answer);
    if (canAnswer) {
      // The host asks one thing at a time: the latest pending approval row is the open one.
      const open = items.findLastIndex((i) => i.kind === "approval" && i.state === "pending");
      const row = items[open];
      if (row?.kind === "approval") items[open] = { ...row, answerable: { taskId: task.taskId } };
    }
    if (task.problem !== undefined) items.push({ kind: "notice", text: task.problem.message });
    else if (!isLive(task) && task.outcome !== undefined && !task.outcome.ok && task.outcome.reason !== "") {
      items.push({ kind: "notice", text: task.outcome.reason });
    }
  } else {
    addText(turn.answer);
  }
  const status = task !== undefined ? turnStatusOf(task.status) : turn.status;
  const view: TurnView = {
    id: turn.id,
    question: turn.question,
    context: turn.context,
    status,
    ...(task !== undefined && isLive(task) ? { activity: activityOf(task) } : {}),
    items,
  };
  return { view, blocks };
}

/** The whole view, and each turn's code blocks by turn id. */
export function buildChatView(
  conversation: Conversation,
  taskOf: (taskId: string) => TaskState | undefined,
  chips: readonly ChipView[],
  review: Review | undefined,
  /** Whether the chat may answer the task's open approval. Defaults to never. */
  canAnswer: (taskId: string) => boolean = () => false,
): { state: ChatViewState; blocks: Map<string, string[]> } {
  const blocks = new Map<string, string[]>();
  const turns = conversation.turns.map((turn) => {
    const task = turn.taskId !== undefined ? taskOf(turn.taskId) : undefined;
    const built = buildTurn(turn, task, task !== undefined && canAnswer(task.taskId));
    blocks.set(turn.id, built.blocks);
    return built.view;
  });
  const state: ChatViewState = {
    turns,
    running: turns.some((turn) => turn.status === "running"),
    chips: chips.map(({ id, kind, label }) => ({ id, kind, label })),
    ...(review !== undefined
      ? {
          review: {
            taskId: review.taskId,
            title: review.title,
            rows: review.rows.map(({ path, status, state: rowState }) => ({ path, status, state: rowState })),
          },
        }
      : {}),
  };
  return { state, blocks };
}
