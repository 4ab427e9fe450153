/**
 * The team tier's DBOS side: handing a dead worker's tasks on (for the reaper), and a client that
 * puts a task on the team queue and follows it without running anything in its own process.
 *
 * `bora issue --team` enqueues through `DBOSClient` rather than launching DBOS in the CLI process:
 * a launched process registers the task queue, and DBOS 5.3.0 keeps a queue's settings
 * (`workerConcurrency` included) in the shared database, where every worker reads them back each
 * second, so a CLI that registered the queue with a concurrency of 0 would stop the whole team. A
 * client also recovers nothing and listens to no queue, so it needs neither an executor id nor the
 * state folder's lock.
 *
 * Where a task runs: the input names the repository by its path on the submitting machine, and its
 * `origin` URL. Every worker makes the task's worktree from its own clone of the origin, and pushes
 * the work branch after each tool call; a worker that takes over a task made elsewhere (on this
 * machine or another) rebuilds the worktree from that branch (`teamRepo.ts`). A developer's host
 * hands a task over the same way (`handoff.ts`, `bora tasks handoff`).
 */
import { DBOS, DBOSClient } from "@dbos-inc/dbos-sdk";
import type { Logger } from "../host/logger.js";
import {
  APP_NAME,
  dbosLogger,
  migrateWorkflowDatabase,
  pgClientClass,
  WORKFLOW_APP_VERSION,
  type PgClient,
} from "./dbosRuntime.js";
import {
  ENGINE_OPERATIONS,
  engineStateOf,
  STATUS_EVENT,
  TASK_QUEUE,
  WORKFLOW_NAMES,
  taskSummary,
  type TaskMessage,
  type TaskSummary,
} from "./dbosWorkflows.js";
import type { TaskStatusRecord } from "./durable.js";
import { operationsToCarry, type RecordedOperation } from "./handoff.js";
import type { DurableTaskInput } from "./issueToPr.js";
import type { ReaperSql, TaskHandover } from "./reaper.js";

/**
 * Puts every PENDING task of `executorId` (a worker whose heartbeat went stale) back on the task
 * queue, where a live worker picks it up and continues from its last recorded step. Runs in a
 * worker whose DBOS is launched.
 */
export const dbosTaskHandover: TaskHandover = {
  async takeOver(executorId) {
    const rows = await DBOS.listWorkflows({
      status: "PENDING",
      executorId,
      workflowName: Object.values(WORKFLOW_NAMES),
      loadInput: false,
      loadOutput: false,
    });
    const ids = rows.map((row) => row.workflowID);
    if (ids.length > 0) await DBOS.resumeWorkflows(ids, { queueName: TASK_QUEUE });
    return ids;
  },
};

/** How a follower reads a task (`followTask`): the status it published, and the engine's own view. */
export interface TaskReader {
  taskStatus(taskId: string): Promise<TaskStatusRecord | null>;
  engineState(taskId: string): Promise<{ status: string; error?: string } | undefined>;
}

/** A task as a client reads it from a database it does not run workflows on. */
export interface ClientTask {
  input: DurableTaskInput;
  /** DBOS's own status: PENDING, ENQUEUED, SUCCESS, ERROR, CANCELLED, ... */
  engineStatus: string;
  executorId?: string;
  status: TaskStatusRecord | null;
}

/**
 * A workflow database seen from outside: a developer's host reading the team's (`--team`, `bora tasks
 * checkout`), or its own while it hands a task off. Nothing runs in this process.
 */
export interface WorkflowClient {
  /** Queues the task, or attaches to it when it exists (the id derives from REF and repo). */
  enqueue(input: DurableTaskInput): Promise<{ attached: boolean }>;
  task(taskId: string): Promise<ClientTask | undefined>;
  /** The newest tasks (of `ids` only, when given), as `listTasks` reads a launched host's. */
  list(limit: number, ids?: string[]): Promise<TaskSummary[]>;
  /** Sends the task a message (`retryMessage`, `approvalMessage`). */
  send(taskId: string, message: TaskMessage): Promise<void>;
  cancel(taskId: string): Promise<void>;
  /** Undoes a cancel: the task continues where it stopped, on the host that ran it. */
  resume(taskId: string): Promise<void>;
  /** What the task recorded, to carry to another database (`handoff.ts`). */
  operations(taskId: string): Promise<RecordedOperation[]>;
  reader: TaskReader;
  close(): Promise<void>;
}

/** A client of the shared workflow database at `url`; migrates it first (once, under the peers' lock). */
export async function openTeamClient(
  url: string,
  log: Pick<Logger, "error" | "warn" | "info" | "debug">,
): Promise<WorkflowClient> {
  await migrateWorkflowDatabase(url, log);
  return openWorkflowClient(url, log);
}

/** A client of the workflow database at `url`, which holds DBOS's tables already. */
export async function openWorkflowClient(
  url: string,
  log: Pick<Logger, "error" | "warn" | "info" | "debug">,
): Promise<WorkflowClient> {
  const client = await DBOSClient.create({
    systemDatabaseUrl: url,
    applicationName: APP_NAME,
    logger: dbosLogger(log),
  });
  const taskStatus = (taskId: string) => client.getEvent<TaskStatusRecord>(taskId, STATUS_EVENT, { timeoutSeconds: 0 });
  return {
    async enqueue(input) {
      const existing = await client.getWorkflow(input.taskId);
      await client.enqueue(
        {
          workflowName: input.kind === "background" ? WORKFLOW_NAMES.backgroundTask : WORKFLOW_NAMES.issueToPr,
          queueName: TASK_QUEUE,
          workflowID: input.taskId,
          // Only workers of this version dequeue it: they replay its steps as this code records them.
          appVersion: WORKFLOW_APP_VERSION,
        },
        input,
      );
      return { attached: existing !== undefined };
    },
    async task(taskId) {
      const row = await client.getWorkflow(taskId);
      if (row === undefined) return undefined;
      return {
        input: (row.input as DurableTaskInput[] | undefined)?.[0] as DurableTaskInput,
        engineStatus: row.status,
        ...(row.executorId !== undefined && { executorId: row.executorId }),
        status: await taskStatus(taskId),
      };
    },
    async list(limit, ids) {
      const rows = await client.listWorkflows({
        workflowName: Object.values(WORKFLOW_NAMES),
        ...(ids !== undefined && { workflowIDs: ids }),
        sortDesc: true,
        limit,
        loadInput: true,
      });
      return Promise.all(rows.map(async (w) => taskSummary(w, await taskStatus(w.workflowID))));
    },
    send: (taskId, { topic, message, key }) => client.send(taskId, message, topic, key),
    cancel: (taskId) => client.cancelWorkflow(taskId),
    async resume(taskId) {
      await client.resumeWorkflow(taskId);
    },
    async operations(taskId) {
      const listed = (await client.listWorkflowSteps(taskId)) ?? [];
      return operationsToCarry(listed, ENGINE_OPERATIONS);
    },
    reader: {
      taskStatus,
      engineState: async (taskId) => engineStateOf(await client.getWorkflow(taskId)),
    },
    close: () => client.destroy(),
  };
}

/**
 * The reaper's own database session. node-postgres does not reconnect a client whose connection
 * broke (the server restarted, the network dropped), so a broken session is replaced at the next
 * query; a transaction the break interrupted fails, and its round is tried again.
 */
export function reaperSession(url: string): ReaperSql & { end(): Promise<void> } {
  const Client = pgClientClass();
  let current: { client: PgClient; ready: Promise<void>; broken: boolean } | undefined;
  const session = () => {
    if (current === undefined || current.broken) {
      const client = new Client({ connectionString: url });
      const made = { client, ready: client.connect(), broken: false };
      // Without a listener an 'error' event would end the process.
      client.on("error", () => (made.broken = true));
      made.ready.catch(() => (made.broken = true));
      current = made;
    }
    return current;
  };
  // A transaction lives on one connection: a query after a break inside one fails instead of running
  // on a fresh connection outside it (where its row lock would no longer guard the takeover).
  let inTransaction = false;
  return {
    async query(text, values) {
      const verb = text.trim().split(/\s/)[0]!.toUpperCase();
      if (inTransaction && current?.broken) {
        if (verb === "ROLLBACK") {
          inTransaction = false;
          return { rows: [] };
        }
        throw new Error("the database connection broke inside a transaction");
      }
      const { client, ready } = session();
      await ready;
      if (verb === "BEGIN") inTransaction = true;
      if (verb === "COMMIT" || verb === "ROLLBACK") inTransaction = false;
      return client.query(text, values);
    },
    async end() {
      await current?.client.end().catch(() => undefined);
      current = undefined;
    },
  };
}
