/**
 * The Tasks tree as a pure function of the tasks the host listed (`bora/listTasks`) and the updates
 * since (`bora/taskUpdated`): those that need the user first (an approval, a question), then the
 * running ones, then the finished ones, each with its step and progress and the actions that apply
 * to it (VS Code shows an action where the item's `contextValue` names it). No `vscode` import.
 */
import type { DurableTaskFields, DurableTaskState, ListedTask, TaskKind, TaskStatus } from "@bora/protocol";
import { editorReason } from "./taskWords.js";

/** What the tree knows of one task: the listed fields, kept up to date by its updates. */
export interface TaskRow extends DurableTaskFields {
  taskId: string;
  kind: TaskKind;
  title: string;
  status: TaskStatus;
  /** Agent turns so far (foreground tasks). */
  turn?: number;
  createdAt?: number;
}

export type TaskNode =
  | { kind: "section"; id: string; label: string; children: TaskNode[] }
  | {
      kind: "task";
      id: string;
      row: TaskRow;
      label: string;
      description: string;
      tooltip: string;
      /** The actions that apply, space-separated (menus match them with `viewItem =~ /\bapprove\b/`). */
      contextValue: string;
      icon: "waiting" | "running" | "done" | "failed" | "cancelled" | "review";
    };

/** The finished tasks a tree keeps: enough for "what happened today", not a history. */
export const MAX_FINISHED_ROWS = 30;

const DURABLE_KINDS: ReadonlySet<TaskKind> = new Set(["issueToPr", "background"]);

/** The actions a task offers, by what it is and where it stands. */
export function actionsOf(row: TaskRow): string[] {
  // A team task's transcript is on its worker's disk.
  const actions = row.team ? ["task"] : ["task", "transcript"];
  const durable = DURABLE_KINDS.has(row.kind);
  const live = row.status === "queued" || row.status === "running" || row.status === "waiting";
  if (row.status === "waiting" && durable) actions.push("approve", "deny");
  if (live) actions.push("cancel");
  if (durable && row.state === "failed") actions.push("retry");
  if (row.pr !== undefined) actions.push("openPr");
  // Here, its worktree opens; on the team, its branch is fetched into one (`bora/checkOutTask`).
  if (durable && row.branch !== undefined && (row.team || row.worktree !== undefined)) actions.push("checkout");
  // A failed task is unfinished too: the team's worker runs its failed step again.
  if (durable && !row.team && (live || row.state === "failed")) actions.push("handoff");
  return actions;
}

function iconOf(row: TaskRow): Extract<TaskNode, { kind: "task" }>["icon"] {
  const state: DurableTaskState | undefined = row.state;
  if (row.status === "waiting") return "waiting";
  if (row.status === "queued" || row.status === "running") return "running";
  if (state === "needsReview" || state === "checksFailing") return "review";
  if (row.status === "failed") return "failed";
  if (row.status === "cancelled") return "cancelled";
  return "done";
}

function describe(row: TaskRow): string {
  if (row.state !== undefined) {
    const step = row.step !== undefined && row.step !== "done" ? `[${row.step}] ` : "";
    return `${step}${row.reason !== undefined ? editorReason(row.reason) : row.state}`;
  }
  return row.turn ? `${row.status}, turn ${row.turn}` : row.status;
}

function taskNode(row: TaskRow): TaskNode {
  // First, where the row is cut short in a narrow sidebar.
  const description = row.team ? `team · ${describe(row)}` : describe(row);
  const tooltip = [
    row.title,
    row.state !== undefined ? `State: ${row.state}${row.step ? ` (step ${row.step})` : ""}` : `Status: ${row.status}`,
    row.reason !== undefined ? editorReason(row.reason) : undefined,
    row.approval ? `Asks to ${row.approval.tool}: ${row.approval.summary} (${row.approval.reason})` : undefined,
    row.pr ? `Pull request: ${row.pr.url}${row.pr.draft ? " (draft)" : ""}` : undefined,
    row.branch ? `Branch: ${row.branch}` : undefined,
    row.executor ? `Runs on: ${row.executor}${row.team ? " (the team's queue)" : ""}` : undefined,
  ]
    .filter((line): line is string => line !== undefined && line !== "")
    .join("\n");
  return {
    kind: "task",
    id: row.taskId,
    row,
    label: row.title,
    description,
    tooltip,
    contextValue: actionsOf(row).join(" "),
    icon: iconOf(row),
  };
}

/** Sections in the order a user looks for them; an empty section is left out. */
export function taskNodes(rows: readonly TaskRow[]): TaskNode[] {
  const newest = [...rows].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  const waiting = newest.filter((r) => r.status === "waiting");
  const running = newest.filter((r) => r.status === "queued" || r.status === "running");
  const finished = newest
    .filter((r) => r.status !== "waiting" && r.status !== "queued" && r.status !== "running")
    .slice(0, MAX_FINISHED_ROWS);
  const sections: TaskNode[] = [];
  if (waiting.length > 0)
    sections.push({ kind: "section", id: "waiting", label: "Needs you", children: waiting.map(taskNode) });
  if (running.length > 0)
    sections.push({ kind: "section", id: "running", label: "Running", children: running.map(taskNode) });
  if (finished.length > 0)
    sections.push({ kind: "section", id: "finished", label: "Finished", children: finished.map(taskNode) });
  return sections;
}

/**
 * How often the tree lists the tasks again while a team task is live: its worker is another host,
 * so no update of it comes, and a list is the only way to see it wait for the user or end. A few
 * seconds is soon enough for a person; one list query per window costs the team's database nothing.
 */
export const TEAM_POLL_MS = 5_000;

/** Whether a team task may still change (then the tree lists again, `TEAM_POLL_MS`). */
export function teamTasksLive(rows: readonly TaskRow[]): boolean {
  return rows.some(
    (r) => r.team === true && (r.status === "queued" || r.status === "running" || r.status === "waiting"),
  );
}

/** The container's badge: the tasks waiting for the user. */
export function waitingCount(rows: readonly TaskRow[]): number {
  return rows.filter((r) => r.status === "waiting").length;
}

/** The rows after a list from the host: the list's, with what later updates said kept where newer. */
export function rowsFromList(listed: readonly ListedTask[]): Map<string, TaskRow> {
  return new Map(listed.map((t) => [t.taskId, { ...t }]));
}

/**
 * What to tell the user about a change of a task, once: it needs them, or it ended with a PR (or
 * failed). Undefined when the change is not news (the same state again, a step forward).
 */
export function newsOf(
  before: TaskRow | undefined,
  after: TaskRow,
): { kind: "needsYou" | "finished" | "failed"; message: string } | undefined {
  if (!DURABLE_KINDS.has(after.kind)) return undefined;
  const changed = before?.status !== after.status || before?.approval?.id !== after.approval?.id;
  if (!changed) return undefined;
  if (after.status === "waiting")
    return {
      kind: "needsYou",
      message: `Bora: ${after.title} needs you: ${after.reason !== undefined ? editorReason(after.reason) : "waiting for approval"}`,
    };
  if (after.status === "completed")
    return {
      kind: "finished",
      message: `Bora: ${after.title}: ${after.pr ? `pull request ${after.pr.draft ? "opened as a draft" : "opened"}` : (after.reason ?? "done")}`,
    };
  if (after.status === "failed")
    return { kind: "failed", message: `Bora: ${after.title} failed: ${after.reason ?? "see the task"}` };
  return undefined;
}
