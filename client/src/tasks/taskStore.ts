/**
 * Every task the host told this window about, folded from its `bora/taskUpdated` notifications.
 * Pure (no `vscode` import): the folding rules (`seq` order, rows replaced from `from` on) are tested
 * without VS Code; `ctx.ts` registers the notification handler that feeds it.
 */
import type {
  DurableTaskFields,
  TaskItem,
  TaskKind,
  TaskOutcome,
  TaskStatus,
  TaskUpdatedParams,
  Problem,
} from "@bora/protocol";

/** One task as the client knows it: the last update's fields, and the whole transcript so far. */
export interface TaskState {
  taskId: string;
  seq: number;
  kind: TaskKind;
  title: string;
  status: TaskStatus;
  turn: number;
  tokens: { prompt: number; completion: number };
  elapsedMs: number;
  root: string;
  transcript: string;
  items: TaskItem[];
  outcome?: TaskOutcome;
  problem?: Problem;
  /** A durable task's own fields (state, step, reason, PR, branch, the approval it waits for). */
  durable?: DurableTaskFields;
}

/** The durable fields an update carries, when it carries any. */
function durableFieldsOf(update: TaskUpdatedParams): DurableTaskFields | undefined {
  if (update.state === undefined) return undefined;
  const { state, step, reason, pr, branch, worktree, executor, approval } = update;
  return {
    state,
    ...(step !== undefined && { step }),
    ...(reason !== undefined && { reason }),
    ...(pr !== undefined && { pr }),
    ...(branch !== undefined && { branch }),
    ...(worktree !== undefined && { worktree }),
    ...(executor !== undefined && { executor }),
    ...(approval !== undefined && { approval }),
  };
}

/** Statuses of a task that has not ended: it may still change files, and Cancel applies to it. */
const LIVE_STATUSES: ReadonlySet<TaskStatus> = new Set(["queued", "running", "waiting"]);

export function isLive(task: Pick<TaskState, "status">): boolean {
  return LIVE_STATUSES.has(task.status);
}

/**
 * Ended tasks kept in memory. The transcript of a long session would otherwise grow without end;
 * the chat keeps its own bounded history, and the host keeps every transcript on disk.
 */
export const MAX_ENDED_TASKS = 50;

type Listener = (task: TaskState) => void;

export class TaskStore {
  private readonly tasks = new Map<string, TaskState>();
  private readonly listeners = new Set<Listener>();

  /**
   * Folds one update in. Answers whether it changed anything: an update older than (or as old as)
   * one already seen is ignored, since notifications of one task can arrive late but never matter
   * after a newer one.
   */
  apply(update: TaskUpdatedParams): boolean {
    const known = this.tasks.get(update.taskId);
    if (known !== undefined && update.seq <= known.seq) return false;
    // Rows before `from` never change; a client that missed updates (from > rows held) keeps
    // what it has and appends, which loses rows but never shows them out of order.
    const kept = (known?.items ?? []).slice(0, update.from);
    const task: TaskState = {
      taskId: update.taskId,
      seq: update.seq,
      kind: update.kind,
      title: update.title,
      status: update.status,
      turn: update.turn,
      tokens: { ...update.tokens },
      elapsedMs: update.elapsedMs,
      root: update.root,
      transcript: update.transcript,
      items: [...kept, ...update.items],
      ...(update.outcome !== undefined ? { outcome: update.outcome } : {}),
      ...(update.problem !== undefined ? { problem: update.problem } : {}),
    };
    const durable = durableFieldsOf(update);
    if (durable !== undefined) task.durable = durable;
    // Re-inserting moves the task to the end, so the map keeps the order of the latest activity.
    this.tasks.delete(update.taskId);
    this.tasks.set(update.taskId, task);
    this.forgetOldEnded();
    for (const listener of [...this.listeners]) listener(task);
    return true;
  }

  get(taskId: string): TaskState | undefined {
    return this.tasks.get(taskId);
  }

  /** Every task, least recently updated first. */
  list(): TaskState[] {
    return [...this.tasks.values()];
  }

  /** Tasks that have not ended (queued, running, or waiting for the user). */
  live(): TaskState[] {
    return this.list().filter(isLive);
  }

  /** Tasks waiting for the user (an approval, a question). */
  waiting(): TaskState[] {
    return this.list().filter((task) => task.status === "waiting");
  }

  /** Tasks that have ended (completed, failed, cancelled), least recently updated first. */
  ended(): TaskState[] {
    return this.list().filter((task) => !isLive(task));
  }

  /** Calls `listener` with each task that changed; answers a function that stops it. */
  onDidChange(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private forgetOldEnded(): void {
    const ended = this.ended();
    for (const task of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_TASKS))) this.tasks.delete(task.taskId);
  }
}

/** The model's answer so far: the outcome's once ended, else the last text row. */
export function answerOf(task: TaskState): string {
  if (task.outcome !== undefined && task.outcome.answer !== "") return task.outcome.answer;
  for (let i = task.items.length - 1; i >= 0; i--) {
    const item = task.items[i];
    if (item?.type === "text") return item.text;
  }
  return "";
}
