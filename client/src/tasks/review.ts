/**
 * The review of what a finished task changed: one row per file, kept or undone by the user.
 * Pure (no `vscode` import): which rows a Keep or an Undo touches, what the notification says and
 * how a base document is addressed are tested without VS Code; `reviewCommands.ts` is the adapter
 * that shows diffs and sends `bora/undoTaskChanges`.
 */
import type { TaskChange } from "@bora/protocol";
import { isLive, type TaskState, type TaskStore } from "./taskStore.js";

/** `pending` until the user decides; `kept` is client-side only (the files stay as the task left them). */
export type ReviewRowState = "pending" | "kept" | "undone";

export interface ReviewRow extends TaskChange {
  state: ReviewRowState;
}

export interface Review {
  taskId: string;
  title: string;
  rows: ReviewRow[];
}

/** The review of a task that ended with changes; undefined for a live task or one that changed nothing. */
export function reviewOf(task: TaskState): Review | undefined {
  if (isLive(task) || task.outcome === undefined || task.outcome.changes.length === 0) return undefined;
  return {
    taskId: task.taskId,
    title: task.title,
    rows: task.outcome.changes.map((change) => ({ ...change, state: "pending" })),
  };
}

/** The paths still to decide: the one given if it is pending, or every pending one. */
export function pendingPaths(review: Review, path?: string): string[] {
  return review.rows
    .filter((row) => row.state === "pending" && (path === undefined || row.path === path))
    .map((row) => row.path);
}

/** Marks the pending rows (one, or all) kept. */
export function markKept(review: Review, path?: string): Review {
  const keep = new Set(pendingPaths(review, path));
  return { ...review, rows: review.rows.map((row) => (keep.has(row.path) ? { ...row, state: "kept" } : row)) };
}

/** Marks the rows the host put back (`bora/undoTaskChanges`'s `restored`) undone. */
export function markUndone(review: Review, restored: readonly TaskChange[]): Review {
  const back = new Set(restored.map((change) => change.path));
  return { ...review, rows: review.rows.map((row) => (back.has(row.path) ? { ...row, state: "undone" } : row)) };
}

export function hasPending(review: Review): boolean {
  return review.rows.some((row) => row.state === "pending");
}

const ENDINGS: Record<string, string> = { completed: "finished", failed: "failed", cancelled: "was cancelled" };

/** The notification when a task that changed files ends: "Task finished: 3 files changed". */
export function finishedMessage(task: TaskState, review: Review): string {
  const count = review.rows.length;
  const ending = ENDINGS[task.status] ?? "ended";
  return `Bora: Task ${ending}: ${count} ${count === 1 ? "file" : "files"} changed (${task.title}).`;
}

/** The notification's buttons, in order. */
export const REVIEW_BUTTON = "Review";
export const UNDO_ALL_BUTTON = "Undo All";

/** A few words on a row for lists: "modified src/cart.js". */
export function rowLabel(row: ReviewRow): string {
  return `${row.status} ${row.path}`;
}

/**
 * The reviews of this window's tasks, made when a task ends with changes, newest last. It listens
 * to the task store; the adapter and the chat view listen to it.
 */
export class Reviews {
  private readonly reviews = new Map<string, Review>();
  private readonly listeners = new Set<(review: Review, isNew: boolean) => void>();
  private readonly subscription: { dispose(): void };

  constructor(tasks: TaskStore) {
    this.subscription = tasks.onDidChange((task) => {
      if (this.reviews.has(task.taskId)) return;
      const review = reviewOf(task);
      if (review !== undefined) this.set(review, true);
    });
  }

  get(taskId: string): Review | undefined {
    return this.reviews.get(taskId);
  }

  /** The review of the task that ended last with changes. */
  latest(): Review | undefined {
    return [...this.reviews.values()].at(-1);
  }

  /** Reviews that still have files to decide on, oldest first. */
  open(): Review[] {
    return [...this.reviews.values()].filter(hasPending);
  }

  update(taskId: string, change: (review: Review) => Review): Review | undefined {
    const review = this.reviews.get(taskId);
    if (review === undefined) return undefined;
    const next = change(review);
    // Keep the map's order: a decision on an old review does not make it the latest.
    this.reviews.set(taskId, next);
    for (const listener of [...this.listeners]) listener(next, false);
    return next;
  }

  /** `isNew` is true once per review, when its task has just ended. */
  onDidChange(listener: (review: Review, isNew: boolean) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  dispose(): void {
    this.subscription.dispose();
    this.listeners.clear();
  }

  private set(review: Review, isNew: boolean): void {
    this.reviews.set(review.taskId, review);
    for (const listener of [...this.listeners]) listener(review, isNew);
  }
}

/** The URI scheme of a changed file's text at the task's checkpoint (the left side of its diff). */
export const BASE_SCHEME = "bora-base";

export interface BaseAddress {
  taskId: string;
  path: string;
  /** An empty document rather than the base: the right side of a deleted file's diff. */
  empty: boolean;
}

/** The parts of a base document's URI (scheme, path, query): the path keeps the file name for the tab and the language. */
export function baseUriParts(address: BaseAddress): { scheme: string; path: string; query: string } {
  const query = new URLSearchParams({ task: address.taskId });
  if (address.empty) query.set("empty", "1");
  return { scheme: BASE_SCHEME, path: `/${address.path}`, query: query.toString() };
}

/** The task and path a base document's URI names, or undefined for one this client did not make. */
export function parseBaseUri(path: string, query: string): BaseAddress | undefined {
  const params = new URLSearchParams(query);
  const taskId = params.get("task");
  if (taskId === null || taskId === "" || !path.startsWith("/") || path.length < 2) return undefined;
  return { taskId, path: path.slice(1), empty: params.get("empty") === "1" };
}
