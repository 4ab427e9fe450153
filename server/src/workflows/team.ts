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
 * `origin` URL. A worker on the same machine uses the path; a worker on another machine clones the
 * origin into its state folder and makes the task's worktree from the clone (`teamRepo.ts`). A task
 * taken over by a worker on another machine after its worktree step is not covered: its worktree is
 * on the first machine, and continuing there needs the work branch pushed as a step and the worktree
 * rebuilt from it.
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
import { engineStateOf, STATUS_EVENT, TASK_QUEUE, WORKFLOW_NAMES } from "./dbosWorkflows.js";
import type { TaskStatusRecord } from "./durable.js";
import type { IssueToPrInput } from "./issueToPr.js";
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

export interface TeamClient {
  /** Queues the task for the team's workers, or attaches to it when it exists (the id derives from REF and repo). */
  enqueueIssueToPr(input: IssueToPrInput): Promise<{ attached: boolean }>;
  reader: TaskReader;
  close(): Promise<void>;
}

/** A client of the shared workflow database at `url`; migrates it first (once, under the peers' lock). */
export async function openTeamClient(
  url: string,
  log: Pick<Logger, "error" | "warn" | "info" | "debug">,
): Promise<TeamClient> {
  await migrateWorkflowDatabase(url, log);
  const client = await DBOSClient.create({
    systemDatabaseUrl: url,
    applicationName: APP_NAME,
    logger: dbosLogger(log),
  });
  return {
    async enqueueIssueToPr(input) {
      const existing = await client.getWorkflow(input.taskId);
      await client.enqueue(
        {
          workflowName: WORKFLOW_NAMES.issueToPr,
          queueName: TASK_QUEUE,
          workflowID: input.taskId,
          // Only workers of this version dequeue it: they replay its steps as this code records them.
          appVersion: WORKFLOW_APP_VERSION,
        },
        input,
      );
      return { attached: existing !== undefined };
    },
    reader: {
      taskStatus: (taskId) => client.getEvent<TaskStatusRecord>(taskId, STATUS_EVENT, { timeoutSeconds: 0 }),
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
