/**
 * A task's transcript as a client shows it: the run's progress events, approvals and questions
 * folded into rows (`TaskItem`), with the index of the first row that changed since the last
 * update, so `bora/taskUpdated` sends only the changed tail. Rows only ever append, except the last
 * text row, which grows as the model streams, and a row whose state settles (a tool call that
 * finishes, an approval that is answered): those mark their own index as changed.
 * Pure: no LSP, no timers; the task manager decides when to send.
 */
import type { TaskItem } from "@bora/protocol";
import type { AgentEvent } from "../agent/runEvents.js";

/**
 * Most rows kept. A task is bounded by its turn budget (40 by default, a few rows per turn);
 * a runaway run's rows past this are summarised in one notice rather than grown without end.
 */
export const MAX_TASK_ITEMS = 2000;

export class TaskTranscript {
  readonly items: TaskItem[] = [];
  turn = 0;
  readonly tokens = { prompt: 0, completion: 0 };
  /** Index of the first row changed since `take()`; `Infinity` when none changed. */
  private firstChanged = Number.POSITIVE_INFINITY;
  private nextId = 0;
  private dropped = 0;

  /** Folds one progress event of the run. */
  onEvent(event: AgentEvent): void {
    switch (event.kind) {
      case "turnStarted":
        this.turn = event.turn;
        return;
      case "text": {
        const last = this.items.at(-1);
        if (last?.type === "text" && last.turn === event.turn) {
          last.text += event.text;
          this.changed(this.items.length - 1);
        } else this.push({ type: "text", turn: event.turn, text: event.text });
        return;
      }
      case "turnFinished":
        this.tokens.prompt += event.promptTokens;
        this.tokens.completion += event.completionTokens;
        return;
      case "toolCall":
        this.push({
          type: "tool",
          id: `tool-${++this.nextId}`,
          turn: event.turn,
          name: event.name,
          summary: event.summary,
          state: "running",
        });
        return;
      case "toolResult": {
        const at = this.items.findIndex(
          (i) => i.type === "tool" && i.state === "running" && i.name === event.name && i.turn === event.turn,
        );
        const row = this.items[at];
        if (row?.type !== "tool") return;
        row.state = event.ok ? "ok" : "failed";
        row.result = event.summary;
        row.ms = event.ms;
        this.changed(at);
        return;
      }
      case "compacted":
        this.push({
          type: "notice",
          text: `Made room in the context: ${event.truncatedResults} tool results shortened, ${event.summarizedTurns} turns summarised.`,
        });
        return;
      case "checkpoint":
        this.push({ type: "notice", text: `Checkpoint taken before the first change (${event.ref}).` });
        return;
      case "runStarted":
      case "runFinished":
        return;
    }
  }

  /** A pending approval row; returns its id for `settleApproval`. */
  approvalAsked(tool: string, summary: string, reason: string): string {
    const id = `approval-${++this.nextId}`;
    this.push({ type: "approval", id, tool, summary, reason, state: "pending" });
    return id;
  }

  settleApproval(id: string, allowed: boolean, by: "user" | "always" | "headless"): void {
    const at = this.items.findIndex((i) => i.type === "approval" && i.id === id);
    const row = this.items[at];
    if (row?.type !== "approval") return;
    row.state = allowed ? "allowed" : "denied";
    row.by = by;
    this.changed(at);
  }

  /** An approval answered without asking (a stored "always", a client that cannot answer). */
  approvalDecided(tool: string, summary: string, reason: string, allowed: boolean, by: "always" | "headless"): void {
    this.settleApproval(this.approvalAsked(tool, summary, reason), allowed, by);
  }

  questionAsked(question: string, options?: readonly string[]): string {
    const id = `question-${++this.nextId}`;
    this.push({ type: "question", id, question, ...(options && options.length > 0 && { options: [...options] }) });
    return id;
  }

  settleQuestion(id: string, answer: string | undefined): void {
    const at = this.items.findIndex((i) => i.type === "question" && i.id === id);
    const row = this.items[at];
    if (row?.type !== "question") return;
    if (answer === undefined) row.unanswered = true;
    else row.answer = answer;
    this.changed(at);
  }

  notice(text: string): void {
    this.push({ type: "notice", text });
  }

  /** The rows changed since the last call: from which index, and the rows from there on. */
  take(): { from: number; items: TaskItem[] } {
    const from = Math.min(this.firstChanged, this.items.length);
    this.firstChanged = Number.POSITIVE_INFINITY;
    return { from, items: structuredClone(this.items.slice(from)) };
  }

  /** Every row, for a client that joins late. */
  all(): { from: number; items: TaskItem[] } {
    return { from: 0, items: structuredClone(this.items) };
  }

  private push(item: TaskItem): void {
    if (this.items.length >= MAX_TASK_ITEMS) {
      this.dropped++;
      const last = this.items.at(-1);
      const text = `${this.dropped} more rows not shown; the transcript file has them all.`;
      if (last?.type === "notice" && last.text.endsWith("the transcript file has them all.")) last.text = text;
      else this.items.push({ type: "notice", text });
      this.changed(this.items.length - 1);
      return;
    }
    this.items.push(item);
    this.changed(this.items.length - 1);
  }

  private changed(index: number): void {
    this.firstChanged = Math.min(this.firstChanged, index);
  }
}
