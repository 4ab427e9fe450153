/**
 * The DBOS side of Bora's durable tasks: the `DurableCtx` port on DBOS (steps are `DBOS.runStep`, the
 * mailbox is `DBOS.recv`, the status is a workflow event), the registered workflows, and the calls
 * the front ends make on tasks (start or attach, list, show, cancel, retry, approve). Only files in
 * `workflows/` import DBOS.
 */
import { DBOS, DBOSWorkflowConflictError, Error as DBOSErrors, type WorkflowStatus } from "@dbos-inc/dbos-sdk";
import { crashPoint } from "./crashPoints.js";
import type { DurableCtx, TaskStatusRecord } from "./durable.js";
import { replayingCtx } from "./handoff.js";
import {
  issueToPr,
  type ApprovalMessage,
  type BackgroundTaskInput,
  type DurableTaskInput,
  type IssueToPrInput,
  type IssueToPrResult,
  type IssueToPrServices,
  type RetryMessage,
} from "./issueToPr.js";

/** The queue every durable task runs on: it bounds how many run at once on each host and in the team. */
export const TASK_QUEUE = "bora-tasks";
/** Tasks one host runs at once by default (`bora.workflows.concurrency`): each holds a model sequence and runs checks. */
export const DEFAULT_TASK_CONCURRENCY = 2;
/** How often an idle host looks for queued tasks; DBOS's default (1 s) is a long pause before a task starts. */
const QUEUE_POLL_MS = 200;

/**
 * Registers the task queue (after launch: DBOS keeps queues in the database). `workerConcurrency`
 * bounds this host; `globalConcurrency`, when given, bounds every host on a shared database.
 */
export async function registerTaskQueue(workerConcurrency: number, globalConcurrency?: number): Promise<void> {
  await DBOS.registerQueue(TASK_QUEUE, {
    workerConcurrency,
    ...(globalConcurrency !== undefined && { concurrency: globalConcurrency }),
    minPollingIntervalMs: QUEUE_POLL_MS,
    onConflict: "always_update",
  });
}

/** How DBOS names the operations it records for itself: a receive, and everything else of its own (events, timers). */
export const ENGINE_OPERATIONS = { recvName: "DBOS.recv", ownPrefix: "DBOS." } as const;

/** The event that carries a task's `TaskStatusRecord`. */
export const STATUS_EVENT = "bora.status";

/** The workflow names, as recorded in the database. Renaming one strands the tasks recorded under it. */
export const WORKFLOW_NAMES = { issueToPr: "issueToPr", backgroundTask: "backgroundTask" } as const;

function durableCtx(workflowId: string): DurableCtx {
  return {
    workflowId,
    async step(name, fn, options) {
      crashPoint("before", name);
      const output = await DBOS.runStep(
        async () => {
          crashPoint("during", name);
          const result = await fn();
          crashPoint("afterCall", name);
          return result;
        },
        {
          name,
          ...(options?.retry && {
            retriesAllowed: true,
            maxAttempts: options.retry.maxAttempts,
            intervalSeconds: options.retry.intervalMs / 1000,
            backoffRate: options.retry.backoff,
          }),
        },
      );
      crashPoint("after", name);
      return output;
    },
    async recv<T>(topic: string, timeoutMs: number) {
      crashPoint("recv", topic);
      return DBOS.recv<T>(topic, { timeoutSeconds: timeoutMs / 1000 });
    },
    setStatus: (status) => DBOS.setEvent(STATUS_EVENT, status),
    interrupted: (error) =>
      error instanceof DBOSWorkflowConflictError || error instanceof DBOSErrors.DBOSWorkflowCancelledError,
  };
}

/** Builds what a workflow needs in this process; set once by the host or the CLI before launch. */
export type IssueToPrServicesFactory = (
  input: DurableTaskInput,
) => Promise<IssueToPrServices & { dispose?: () => Promise<void> }>;

let servicesFor: IssueToPrServicesFactory | undefined;

export function setIssueToPrServices(factory: IssueToPrServicesFactory): void {
  servicesFor = factory;
}

async function durableTaskWorkflow(input: DurableTaskInput): Promise<IssueToPrResult> {
  if (servicesFor === undefined) throw new Error("the issue-to-PR workflow ran before its services were set");
  const services = await servicesFor(input);
  try {
    const ctx = durableCtx(DBOS.workflowID ?? input.taskId);
    return await issueToPr(input.handoff ? replayingCtx(ctx, input.handoff.operations) : ctx, input, services);
  } finally {
    await services.dispose?.();
  }
}

// Two names for one body: a list tells the kinds apart by the workflow's name.
const issueToPrRegistered = DBOS.registerWorkflow((input: IssueToPrInput) => durableTaskWorkflow(input), {
  name: WORKFLOW_NAMES.issueToPr,
});
const backgroundTaskRegistered = DBOS.registerWorkflow((input: BackgroundTaskInput) => durableTaskWorkflow(input), {
  name: WORKFLOW_NAMES.backgroundTask,
});

/** Queues a background task (its id is new each time: an instruction names no item to attach to). */
export async function startBackgroundTask(input: BackgroundTaskInput): Promise<void> {
  await DBOS.startWorkflow(backgroundTaskRegistered, { workflowID: input.taskId, queueName: TASK_QUEUE })(input);
}

/**
 * Queues the task, or attaches to it when a task with that id exists (DBOS starts a workflow id
 * once). `taskStatus` and `engineState` follow it; no result handle is kept, since one left waiting
 * when the host shuts down rejects with nobody listening.
 */
export async function startIssueToPr(input: IssueToPrInput): Promise<{ attached: boolean }> {
  const existing = await DBOS.getWorkflowStatus(input.taskId);
  await DBOS.startWorkflow(issueToPrRegistered, { workflowID: input.taskId, queueName: TASK_QUEUE })(input);
  return { attached: existing !== null };
}

export interface TaskSummary {
  taskId: string;
  kind: string;
  /** DBOS's own status: PENDING, ENQUEUED, SUCCESS, ERROR, CANCELLED, ... */
  engineStatus: string;
  status: TaskStatusRecord | null;
  createdAt: number;
  updatedAt?: number;
  executorId?: string;
  applicationVersion?: string;
  input?: unknown;
}

async function summary(w: WorkflowStatus): Promise<TaskSummary> {
  return taskSummary(w, await taskStatus(w.workflowID));
}

/** A task as listed, from the engine's row and the status the task published (read by any means). */
export function taskSummary(w: WorkflowStatus, status: TaskStatusRecord | null): TaskSummary {
  return {
    taskId: w.workflowID,
    kind: w.workflowName,
    engineStatus: w.status,
    status,
    createdAt: w.createdAt,
    ...(w.updatedAt !== undefined && { updatedAt: w.updatedAt }),
    ...(w.executorId !== undefined && { executorId: w.executorId }),
    ...(w.applicationVersion !== undefined && { applicationVersion: w.applicationVersion }),
    ...(w.input !== undefined && { input: w.input[0] }),
  };
}

/** The latest status a task published, without waiting. */
export async function taskStatus(taskId: string): Promise<TaskStatusRecord | null> {
  return DBOS.getEvent<TaskStatusRecord>(taskId, STATUS_EVENT, { timeoutSeconds: 0 });
}

export async function listTasks(limit = 50): Promise<TaskSummary[]> {
  const rows = await DBOS.listWorkflows({
    workflowName: Object.values(WORKFLOW_NAMES),
    sortDesc: true,
    limit,
    loadInput: true,
  });
  return Promise.all(rows.map(summary));
}

export async function showTask(taskId: string): Promise<TaskSummary | undefined> {
  const [row] = await DBOS.listWorkflows({ workflowIDs: [taskId], loadInput: true });
  return row === undefined ? undefined : summary(row);
}

/** Stops the task at its next step; the worktree and branch stay. */
export async function cancelTask(taskId: string): Promise<void> {
  await DBOS.cancelWorkflow(taskId);
}

/** A message to a task: its topic, its body, and the idempotency key that makes a repeat one message. */
export interface TaskMessage {
  topic: "retry" | "approval";
  message: RetryMessage | ApprovalMessage;
  key: string;
}

export function retryMessage(taskId: string): TaskMessage {
  // The key makes a retry sent twice in one go (a CLI re-run) one message; a later retry is another.
  return { topic: "retry", message: { retry: true }, key: `retry-${taskId}-${Date.now()}` };
}

/**
 * The answer to what the task waits for (`status`: its latest): the approval gate before the
 * commit, or a tool call its policy asks about. The key names the question, so an answer sent twice
 * counts once, and cannot answer the task's next question.
 */
export function approvalMessage(
  taskId: string,
  status: TaskStatusRecord | null,
  approved: boolean,
  note?: string,
): TaskMessage {
  const message: ApprovalMessage = { approved, ...(note !== undefined && { note }) };
  return { topic: "approval", message, key: `approval-${taskId}-${status?.approval?.id ?? "gate"}` };
}

async function sendTo(taskId: string, { topic, message, key }: TaskMessage): Promise<void> {
  await DBOS.send(taskId, message, topic, key);
}

export async function retryTask(taskId: string): Promise<void> {
  await sendTo(taskId, retryMessage(taskId));
}

export async function approveTask(taskId: string, approved: boolean, note?: string): Promise<void> {
  await sendTo(taskId, approvalMessage(taskId, await taskStatus(taskId), approved, note));
}

/**
 * The task's result, once it ends. The promise rejects when the runtime shuts down first: a caller
 * that may outlive the runtime handles that (an unhandled rejection ends a CLI process).
 */
export function taskResult(taskId: string): Promise<IssueToPrResult> {
  return DBOS.retrieveWorkflow<IssueToPrResult>(taskId).getResult();
}

/**
 * How the engine sees a task: PENDING, ENQUEUED, SUCCESS, ERROR, CANCELLED..., with the error of a
 * task that ended by throwing. Read without waiting (no handle is left pending across a shutdown).
 */
export async function engineState(taskId: string): Promise<{ status: string; error?: string } | undefined> {
  return engineStateOf(await DBOS.getWorkflowStatus(taskId));
}

/** `engineState` from a status row read by any means (`DBOS.getWorkflowStatus`, a `DBOSClient`). */
export function engineStateOf(row: WorkflowStatus | null | undefined): { status: string; error?: string } | undefined {
  if (row === null || row === undefined) return undefined;
  const error =
    row.error === undefined || row.error === null
      ? undefined
      : row.error instanceof Error
        ? row.error.message
        : String((row.error as { message?: unknown }).message ?? row.error);
  return { status: row.status, ...(error !== undefined && { error }) };
}
