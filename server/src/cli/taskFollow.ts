/**
 * Following a durable task from the terminal: its status changes on stderr as they happen, until it
 * ends, waits for someone, or fails (a failed task waits for `bora tasks retry`, so the command ends
 * there rather than hang). Shared by `bora issue` and `bora tasks`.
 */
import { isFinalState, type TaskStatusRecord } from "../workflows/durable.js";
import { taskResult, taskStatus } from "../workflows/dbosWorkflows.js";
import type { CliIO } from "./command.js";
import { formatStatus } from "./taskStatusText.js";

/** How often the status is read: cheap (one indexed row), and quick enough to feel live. */
const POLL_MS = 200;

/** Follows `taskId` until it stops moving by itself; returns its last status. */
export async function followTask(taskId: string, io: CliIO, prefix: string): Promise<TaskStatusRecord | null> {
  let seen = "";
  let ended = false;
  const result = taskResult(taskId).then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  void result.finally(() => (ended = true));
  for (;;) {
    const status = await taskStatus(taskId);
    const line = status ? formatStatus(status) : "";
    if (status && line !== seen) {
      io.stderr.write(`${prefix}: ${line}\n`);
      seen = line;
    }
    if (status && (isFinalState(status.state) || status.state === "waiting") && status.state !== "failed")
      return status;
    if (status?.state === "failed") return status;
    if (ended) {
      const error = await result;
      const last = await taskStatus(taskId);
      if (error !== undefined && last && !isFinalState(last.state)) {
        return { ...last, state: "failed", reason: error };
      }
      return last;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

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
