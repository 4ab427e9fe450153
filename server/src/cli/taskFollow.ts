/**
 * Following a durable task from the terminal: its status changes on stderr as they happen, until it
 * ends, waits for someone, or fails (a failed task waits for `bora tasks retry`, so the command ends
 * there rather than hang). Shared by `bora issue` and `bora tasks`.
 */
import { isFinalState, type TaskStatusRecord } from "../workflows/durable.js";
import { engineState, taskStatus } from "../workflows/dbosWorkflows.js";
import type { TaskReader } from "../workflows/team.js";
import type { CliIO } from "./command.js";
import { formatStatus } from "./taskStatusText.js";

/** How often the status is read: cheap (one indexed row), and quick enough to feel live. */
const POLL_MS = 200;

/**
 * Follows `taskId` until it stops moving by itself; returns its last status. `answered` is the status
 * the task had when it was sent a retry or an approval: it is not an end, since the task has not
 * read the message yet. `reader` reads the task: this process's DBOS by default, or a team client
 * (`bora issue --team`, which runs nothing itself).
 */
export async function followTask(
  taskId: string,
  io: CliIO,
  prefix: string,
  answered?: TaskStatusRecord,
  reader: TaskReader = { taskStatus, engineState },
): Promise<TaskStatusRecord | null> {
  let seen = "";
  let moved = answered === undefined;
  for (;;) {
    const status = await reader.taskStatus(taskId);
    const line = status ? formatStatus(status) : "";
    if (status && line !== seen) {
      if (moved || JSON.stringify(status) !== JSON.stringify(answered)) {
        io.stderr.write(`${prefix}: ${line}\n`);
        moved = true;
      }
      seen = line;
    }
    if (moved && status && (isFinalState(status.state) || status.state === "waiting")) return status;
    const engine = await reader.engineState(taskId);
    if (engine && ENDED.has(engine.status)) {
      // Ended without a final status of its own: cancelled, or thrown out of a step it could not retry.
      const last = (await reader.taskStatus(taskId)) ?? { state: "failed" as const, step: "start", reason: "" };
      if (isFinalState(last.state)) return last;
      const ended: TaskStatusRecord =
        engine.status === "CANCELLED"
          ? { ...last, state: "cancelled", reason: "cancelled; the worktree and branch are kept" }
          : { ...last, state: "failed", reason: engine.error ?? `the task ended ${engine.status.toLowerCase()}` };
      io.stderr.write(`${prefix}: ${formatStatus(ended)}\n`);
      return ended;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Engine states a task does not leave. */
const ENDED = new Set(["SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"]);

/** Exit code when a task stopped to wait for someone (an approval), which is not a failure. */
export const EXIT_WAITING = 3;

/** The exit code for a task's last status: 0 only when its pull request is open and the checks pass. */
export function exitCodeFor(status: TaskStatusRecord | null): number {
  if (status?.state === "waiting") return EXIT_WAITING;
  return status?.state === "done" ? 0 : 1;
}

/** What the command prints on stdout for a status: the PR URL, or nothing. */
export function resultLine(status: TaskStatusRecord | null): string {
  return status?.pr ? `${status.pr.url}\n` : "";
}
