/**
 * Durable workflows in one process: one lock per state folder, the database (started here, lazily,
 * by whoever first needs a workflow), DBOS launched with this host's executor id, and the services
 * the workflows run with. Launching recovers every task this host left unfinished (a crash, a kill,
 * a reboot), so a host that opens this resumes them.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../host/logger.js";
import type { Spawner } from "../workspace/spawner.js";
import { openWorkflowDatabase, type WorkflowDatabase } from "./database.js";
import {
  DEFAULT_TASK_CONCURRENCY,
  registerTaskQueue,
  setIssueToPrServices,
  type IssueToPrServicesFactory,
} from "./dbosWorkflows.js";
import {
  executorIdFor,
  launchWorkflowRuntime,
  listStaleWorkflows,
  shutdownWorkflowRuntime,
  WORKFLOW_APP_VERSION,
} from "./dbosRuntime.js";

export interface WorkflowHostOptions {
  stateDir: string;
  /** `BORA_DATABASE_URL` / `bora.workflows.databaseUrl`: a shared PostgreSQL instead of the embedded one. */
  databaseUrl?: string;
  spawner: Spawner;
  log: Pick<Logger, "error" | "warn" | "info" | "debug">;
  env: NodeJS.ProcessEnv;
  services: IssueToPrServicesFactory;
  /** Defaults to `WORKFLOW_APP_VERSION`. */
  applicationVersion?: string;
  /** Tasks this host runs at once (`bora.workflows.concurrency`). Defaults to `DEFAULT_TASK_CONCURRENCY`. */
  concurrency?: number;
  /** Tasks every host on the database runs at once together (a team's limit). Defaults to none. */
  globalConcurrency?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Two processes launching DBOS with one executor id would both recover the same unfinished tasks
 * and run them side by side. One process per state folder runs workflows; the lock names it. A
 * handoff takes it too, so that no process of this host runs the task while it is sent away.
 */
export async function takeWorkflowLock(stateDir: string): Promise<() => Promise<void>> {
  const file = path.join(stateDir, "workflows.lock");
  await mkdir(stateDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: "wx" });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number((await readFile(file, "utf8").catch(() => "")).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(
          `another Bora process (pid ${holder}) runs the workflows of ${stateDir}; wait for it, or stop it first`,
        );
      }
      // Left by a process that died (a kill -9): take it over.
      await rm(file, { force: true });
    }
  }
  throw new Error(`could not take the workflow lock ${file}`);
}

export class WorkflowHost {
  private constructor(
    readonly executorId: string,
    /** The version this host records its tasks under; tasks of another are stale here. */
    readonly applicationVersion: string,
    private readonly database: WorkflowDatabase,
    private readonly unlock: () => Promise<void>,
  ) {}

  static async open(options: WorkflowHostOptions): Promise<WorkflowHost> {
    const unlock = await takeWorkflowLock(options.stateDir);
    let database: WorkflowDatabase | undefined;
    try {
      database = await openWorkflowDatabase({
        stateDir: options.stateDir,
        ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
        spawner: options.spawner,
        log: options.log,
      });
      const executorId = await executorIdFor(options.stateDir, options.env);
      const applicationVersion = options.applicationVersion ?? WORKFLOW_APP_VERSION;
      setIssueToPrServices(options.services);
      await launchWorkflowRuntime({
        url: database.url,
        executorId,
        applicationVersion,
        log: options.log,
      });
      await registerTaskQueue(options.concurrency ?? DEFAULT_TASK_CONCURRENCY, options.globalConcurrency);
      // Tasks an older Bora left unfinished are not resumed by launch: say so, never leave them silent.
      const stale = await listStaleWorkflows();
      if (stale.length > 0) {
        options.log.warn(
          `${stale.length} task(s) left unfinished by an older Bora: ${stale.map((w) => `${w.workflowId} (${w.applicationVersion ?? "unknown version"})`).join(", ")}; resume or abandon each with bora tasks resume|abandon ID`,
        );
      }
      return new WorkflowHost(executorId, applicationVersion, database, unlock);
    } catch (error) {
      await shutdownWorkflowRuntime().catch(() => undefined);
      await database?.close();
      await unlock();
      throw error;
    }
  }

  /** The database's URL, for a client of it (a handoff reads the task's record through one). */
  get databaseUrl(): string {
    return this.database.url;
  }

  /** Stops DBOS and the embedded database; unfinished tasks stay recorded and resume on the next open. */
  async close(): Promise<void> {
    try {
      await shutdownWorkflowRuntime();
    } finally {
      await this.database.close();
      await this.unlock();
    }
  }
}
