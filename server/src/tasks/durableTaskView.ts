/**
 * How a durable task (issue-to-PR) looks to the editor: its recorded status turned into the
 * `bora/taskUpdated` and `bora/listTasks` shapes that foreground tasks use, so one task list and one
 * notification serve both. Pure: no database, no LSP; the service (`durableTasks.ts`) feeds it.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  statusOfDurableState,
  type DurableTaskState as ProtocolDurableTaskState,
  type ListedTask,
  type TaskItem,
  type TaskUpdatedParams,
} from "@bora/protocol";
import { isFinalState, type DurableTaskState, type TaskStatusRecord } from "../workflows/durable.js";

// The protocol spells the workflow states out for clients; the two lists must stay the same.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statesAgree: Same<DurableTaskState, ProtocolDurableTaskState> = true;
void statesAgree;

/**
 * Most status rows kept per task for its transcript view: a task passes through some twenty steps,
 * a retried one a few more; past this the oldest go (the full story is in the task's transcript file).
 */
export const MAX_STATUS_ROWS = 200;

/** What the view needs of a recorded task (a `TaskSummary` of the workflow database, or a task just started). */
export interface DurableTaskFacts {
  taskId: string;
  /** Defaults to `issueToPr` (tasks recorded before background tasks existed). */
  kind?: DurableKind;
  /** The REF the task was started with (a background task: its instruction). */
  ref?: string;
  /** The repository (a real path). */
  repo?: string;
  /** The workflow engine's own status: `ENQUEUED`, `PENDING`, `SUCCESS`, `ERROR`, `CANCELLED`, ... */
  engineStatus?: string;
  status: TaskStatusRecord | null;
  createdAt: number;
  executorId?: string;
  /** The task is on the team's queue, not this host's database: its worktree is on a worker's disk. */
  team?: boolean;
}

/**
 * The state a user reads. The recorded status says it while the workflow runs; the engine's status
 * wins where the workflow could not record its own end: a cancelled workflow throws out of its next
 * step, and one that threw (an error outside any step) stops without a word.
 */
export function durableStateOf(facts: Pick<DurableTaskFacts, "engineStatus" | "status">): DurableTaskState {
  const recorded = facts.status?.state;
  const final = recorded !== undefined && isFinalState(recorded);
  switch (facts.engineStatus) {
    case "CANCELLED":
      return final ? recorded : "cancelled";
    case "ERROR":
    case "MAX_RECOVERY_ATTEMPTS_EXCEEDED":
      return final ? recorded : "failed";
    case "ENQUEUED":
      return recorded ?? "queued";
    default:
      return recorded ?? (facts.engineStatus === "SUCCESS" ? "done" : "queued");
  }
}

/** The title in lists: what the task turns into what. */
/** The two durable kinds of the task model. */
export type DurableKind = "issueToPr" | "background";

export function durableTitle(ref: string | undefined, taskId: string, kind: DurableKind = "issueToPr"): string {
  if (kind === "background") return `Background: ${(ref ?? taskId).split("\n")[0]}`;
  return `Issue to PR: ${ref ?? taskId}`;
}

/** One transcript row for a status: the step, the state and why. */
export function statusRow(state: DurableTaskState, status: TaskStatusRecord | null): TaskItem {
  return { type: "notice", text: status ? `[${status.step}] ${state}: ${status.reason}` : state };
}

/**
 * The next `seq` of a durable task's updates. A durable task outlives the host, and a client that
 * keeps its task list across a host restart would ignore updates numbered from 1 again; a number
 * from the clock (and never less than one more than the last) keeps increasing across restarts.
 */
export function nextSeq(previous: number | undefined, now: number): number {
  return Math.max((previous ?? 0) + 1, Math.floor(now));
}

function durableFields(
  facts: DurableTaskFacts,
  state: DurableTaskState,
): Omit<ListedTask, "taskId" | "kind" | "title" | "status" | "createdAt"> {
  const s = facts.status;
  return {
    state,
    ...(s && { step: s.step, reason: s.reason }),
    ...(s?.pr && { pr: { url: s.pr.url, number: s.pr.number, draft: s.pr.draft } }),
    ...(s?.branch !== undefined && { branch: s.branch }),
    ...(s?.worktree !== undefined && !facts.team && { worktree: s.worktree }),
    ...(s?.approval !== undefined && state === "waiting" && { approval: s.approval }),
    ...(facts.executorId !== undefined && { executor: facts.executorId }),
    ...(facts.repo !== undefined && { root: pathToFileURL(facts.repo).href }),
    ...(facts.team && { team: true }),
  };
}

/** A durable task as a row of `bora/listTasks`. */
export function listedDurableTask(facts: DurableTaskFacts): ListedTask {
  const state = durableStateOf(facts);
  return {
    taskId: facts.taskId,
    kind: facts.kind ?? "issueToPr",
    title: durableTitle(facts.ref, facts.taskId, facts.kind),
    status: statusOfDurableState(state),
    createdAt: facts.createdAt,
    ...durableFields(facts, state),
  };
}

/** A foreground task's latest update as a row of `bora/listTasks`. */
export function listedForegroundTask(update: TaskUpdatedParams, now: number): ListedTask {
  return {
    taskId: update.taskId,
    kind: update.kind,
    title: update.title,
    status: update.status,
    createdAt: Math.round(now - update.elapsedMs),
    root: update.root,
    ...(update.outcome && { reason: update.outcome.reason }),
  };
}

/** A durable task's `bora/taskUpdated`: the common fields, its status rows as the transcript, its own fields. */
export function durableTaskUpdate(
  facts: DurableTaskFacts,
  options: { seq: number; rows: readonly TaskItem[]; stateDir: string; now: number },
): TaskUpdatedParams {
  const state = durableStateOf(facts);
  const status = statusOfDurableState(state);
  const { root, ...fields } = durableFields(facts, state);
  const reason = facts.status?.reason ?? state;
  return {
    taskId: facts.taskId,
    seq: options.seq,
    kind: facts.kind ?? "issueToPr",
    title: durableTitle(facts.ref, facts.taskId, facts.kind),
    status,
    turn: facts.status?.turns ?? 0,
    // The workflow records turns, not token counts; the transcript file has them per turn.
    tokens: { prompt: 0, completion: 0 },
    elapsedMs: Math.max(0, options.now - facts.createdAt),
    root: root ?? "",
    // Where the workflow writes the agent's transcript (`issueToPr.ts`: `<stateDir>/runs/<taskId>.jsonl`).
    transcript: path.join(options.stateDir, "runs", `${facts.taskId}.jsonl`),
    from: 0,
    items: [...options.rows],
    ...fields,
    ...(isFinalState(state) && {
      outcome: {
        ok: state === "done",
        runStatus: state,
        reason,
        answer: "",
        summary: facts.status?.pr ? `${reason} (${facts.status.pr.url})` : reason,
        changes: [],
      },
    }),
  };
}
