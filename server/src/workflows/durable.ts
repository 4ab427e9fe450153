/**
 * The port between Bora's workflows and the engine that makes them durable. Workflow code
 * (`issueToPr.ts`) sees only this: named steps whose outputs are recorded, a mailbox that outlives
 * the process, and a status other processes can read. The DBOS adapter (`dbosWorkflows.ts`) is the
 * one implementation; nothing outside `workflows/` knows DBOS exists.
 *
 * The rules for code that runs on it: every side effect happens inside `step`, every step that talks
 * to another system is idempotent there (a step may run again after a crash, even when its call went
 * through), and nothing outside a step reads the clock, random numbers or files, so that a replay
 * takes the same path.
 */

export interface StepRetry {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Milliseconds before the second attempt; each later wait is `backoff` times longer. */
  intervalMs: number;
  backoff: number;
}

export interface DurableCtx {
  /** The workflow's id: Bora's task id. */
  readonly workflowId: string;
  /** Runs `fn` once per workflow (at least once across crashes) and returns its recorded output on replay. */
  step<T>(name: string, fn: () => Promise<T>, options?: { retry?: StepRetry }): Promise<T>;
  /** The next message on `topic`, kept across restarts; null when `timeoutMs` passes first. */
  recv<T>(topic: string, timeoutMs: number): Promise<T | null>;
  /** Publishes the task's state for lists and other processes (the latest value wins). */
  setStatus(status: TaskStatusRecord): Promise<void>;
  /**
   * True for an error by which the engine stops this run of the task: it was cancelled, or another
   * worker took it over while this one was paused. Such an error ends the run as it is (the engine
   * parks it); it is never the task's failure, which would wait for a retry and say "failed".
   */
  interrupted?(error: unknown): boolean;
}

// A durable task's states are part of the task model every client reads: defined once, in the protocol.
export { DURABLE_TASK_STATES, type DurableTaskState } from "@bora/protocol";
import type { DurableTaskState } from "@bora/protocol";

/** The states a task does not leave by itself. */
export function isFinalState(state: DurableTaskState): boolean {
  return (
    state === "needsReview" ||
    state === "checksFailing" ||
    state === "done" ||
    state === "failed" ||
    state === "cancelled"
  );
}

export interface TaskStatusRecord {
  state: DurableTaskState;
  /** The step running or last run (`agent`, `checks`, `push`, ...). */
  step: string;
  /** Why the task is in this state, in a sentence (`waiting for approval`, the error of a failed step). */
  reason: string;
  /** Agent turns so far. */
  turns?: number;
  pr?: { url: string; number: number; draft: boolean };
  branch?: string;
  worktree?: string;
  /** What a task waiting in its agent run asks to do: a tool call the policy says `ask` about (redacted). */
  approval?: { id: string; tool: string; summary: string; reason: string };
}
