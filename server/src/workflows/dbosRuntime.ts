/**
 * DBOS, set up once per host process. DBOS is a process-wide singleton (static `DBOS.*`): one
 * configuration, one launch, one shutdown. Everything else in the host reaches workflows through
 * this module and the folder around it; agent code never imports DBOS.
 *
 * Order (DBOS's own rule): configure, migrate the system database once, register workflows and
 * queues (`beforeLaunch`), launch. Launch recovers this executor's PENDING workflows of this
 * application version, so a workflow function must be registered before it, under a stable name.
 */
import { createRequire } from "node:module";
import { DBOS, type DLogger, type WorkflowStatus } from "@dbos-inc/dbos-sdk";
import type { Logger } from "../host/logger.js";
import { redactDatabaseUrl } from "./postgresPolicy.js";

export { executorIdFor, WORKFLOW_APP_VERSION } from "./workflowIdentity.js";

/** DBOS scopes workflows, queues and schedules in the system database by application name. */
export const APP_NAME = "bora";

/**
 * The advisory lock that serialises `DBOS.migrate` between hosts (two ints: "bora", then 1 for
 * "migrate"). DBOS's migration runner takes no lock of its own, and two first migrations at once do
 * not merely fail: they can leave two rows in `dbos_migrations`, after which every later migration
 * fails on its primary key (seen in our two-host test). Serialising is the only safe way.
 */
const MIGRATE_LOCK = [0x626f7261, 1] as const;
/** How long a host waits for a peer's migration: building indexes on a large database takes a while. */
const MIGRATE_LOCK_TIMEOUT_MS = 120_000;

type RuntimeLog = Pick<Logger, "error" | "warn" | "info" | "debug">;

export interface LaunchWorkflowRuntimeOptions {
  /** The system database (`WorkflowDatabase.url`). */
  url: string;
  /** This host's stable executor id (`executorIdFor`). */
  executorId: string;
  /** `WORKFLOW_APP_VERSION`, or a test's own. */
  applicationVersion: string;
  log: RuntimeLog;
  /**
   * Registers the workflows and queues (`DBOS.registerWorkflow`, `DBOS.registerQueue`): called after
   * the configuration and migration, right before launch, which recovers them. Defaults to nothing
   * (everything registered at import).
   */
  beforeLaunch?: () => void;
}

let launched = false;

/** Configures DBOS, migrates its system database (safely against a peer doing the same), launches. */
export async function launchWorkflowRuntime(options: LaunchWorkflowRuntimeOptions): Promise<void> {
  if (launched) throw new Error("the workflow runtime is already running in this process");
  const { url, log } = options;
  DBOS.setConfig({
    name: APP_NAME,
    systemDatabaseUrl: url,
    executorID: options.executorId,
    applicationVersion: options.applicationVersion,
    // Into our log, never the console: on the stdio transport stdout is the LSP wire.
    logger: dbosLogger(log),
    // Migrated just below, once, with the race handled; launch then only checks the schema.
    runMigrations: false,
  });
  await migrateWorkflowDatabase(url, log);
  options.beforeLaunch?.();
  try {
    await DBOS.launch();
  } catch (error) {
    throw new Error(`the workflow runtime did not start on ${redactDatabaseUrl(url)}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  launched = true;
  log.info(`workflows: DBOS launched as executor ${options.executorId}, version ${options.applicationVersion}`);
}

/** Stops DBOS: no new work is taken, connections close. Workflows running here resume on the next launch. */
export async function shutdownWorkflowRuntime(): Promise<void> {
  if (!launched) return;
  launched = false;
  await DBOS.shutdown();
}

/** A workflow left PENDING or ENQUEUED by an older application version: launch does not recover it. */
export interface StaleWorkflow {
  workflowId: string;
  workflowName: string;
  status: string;
  applicationVersion?: string;
  executorId?: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

/** The PENDING and ENQUEUED workflows of other application versions than this runtime's, oldest first. */
export async function listStaleWorkflows(): Promise<StaleWorkflow[]> {
  const current = DBOS.applicationVersion;
  const rows: WorkflowStatus[] = await DBOS.listWorkflows({
    status: ["PENDING", "ENQUEUED"],
    loadInput: false,
    loadOutput: false,
  });
  return rows
    .filter((row) => row.applicationVersion !== current)
    .map((row) => ({
      workflowId: row.workflowID,
      workflowName: row.workflowName,
      status: row.status,
      ...(row.applicationVersion !== undefined && { applicationVersion: row.applicationVersion }),
      ...(row.executorId !== undefined && { executorId: row.executorId }),
      createdAt: row.createdAt,
    }))
    .sort((a, b) => a.createdAt - b.createdAt);
}

/**
 * Runs stale workflows on under this version, in place: same workflow id (the idempotency keys of
 * their outside effects are built on it), every recorded step kept, the interrupted step run again
 * (at least once, as in any recovery). `DBOS.resumeWorkflows` alone would not do: it keeps the old
 * version, and a queue hands work only to executors of the version recorded on it. So each is
 * cancelled, then rewound to just after its last recorded step and restamped with this version.
 */
export async function resumeStale(workflowIds: readonly string[]): Promise<void> {
  for (const id of workflowIds) {
    const steps = (await DBOS.listWorkflowSteps(id)) ?? [];
    const startStep = steps.reduce((next, step) => Math.max(next, step.functionID + 1), 0);
    await DBOS.cancelWorkflow(id);
    await DBOS.rewindWorkflow(id, { startStep, applicationVersion: DBOS.applicationVersion });
  }
}

/** Gives stale workflows up: they are cancelled (their recorded steps stay for inspection). */
export async function abandonStale(workflowIds: readonly string[]): Promise<void> {
  await DBOS.cancelWorkflows([...workflowIds]);
}

/**
 * `DBOS.migrate` once, before launch, under a Postgres advisory lock so that hosts starting together
 * migrate one after the other (the second finds the work done). The lock lives in the server's
 * `postgres` maintenance database, because the system database may not exist yet (DBOS creates it);
 * where that one is closed to us, in the system database; where neither answers, the migration runs
 * unlocked and reports the connection's error itself. DBOS prints its progress to the console
 * through a logger of its own, so for the call the console is routed into our log.
 */
export async function migrateWorkflowDatabase(url: string, log: RuntimeLog): Promise<void> {
  const lock = (await lockSession(withDatabase(url, "postgres"))) ?? (await lockSession(url));
  if (lock === undefined) log.debug("workflows: migrating without the lock (no database to hold it in)");
  try {
    await lock?.query(`SET lock_timeout = ${MIGRATE_LOCK_TIMEOUT_MS}`);
    await lock?.query("SELECT pg_advisory_lock($1, $2)", [...MIGRATE_LOCK]);
    await withConsoleInLog(log, () => DBOS.migrate(url));
  } catch (error) {
    throw new Error(`could not prepare the workflow database ${redactDatabaseUrl(url)}: ${messageOf(error)}`, {
      cause: error,
    });
  } finally {
    // Ending the session releases the lock.
    await lock?.end().catch(() => undefined);
  }
}

/** The part of node-postgres's `Client` we use. */
export interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): void;
}

/**
 * node-postgres as DBOS itself loads it (it is DBOS's dependency, not ours): resolved from DBOS's own
 * folder, so it is the very copy and version DBOS runs on.
 */
export function pgClientClass(): new (config: { connectionString: string }) => PgClient {
  const fromHere = createRequire(import.meta.url);
  const fromDbos = createRequire(fromHere.resolve("@dbos-inc/dbos-sdk"));
  return (fromDbos("pg") as { Client: new (config: { connectionString: string }) => PgClient }).Client;
}

/** A connected session, or undefined when the database does not answer (missing, closed to us). */
async function lockSession(url: string): Promise<PgClient | undefined> {
  const Client = pgClientClass();
  const client = new Client({ connectionString: url });
  // An 'error' event with no listener would take the process down (e.g. the server stopping).
  client.on("error", () => undefined);
  try {
    await client.connect();
    return client;
  } catch {
    await client.end().catch(() => undefined);
    return undefined;
  }
}

/** `url` with another database name. */
function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function withConsoleInLog<T>(log: RuntimeLog, run: () => Promise<T>): Promise<T> {
  const saved = {
    log: console.log,
    info: console.info,
    debug: console.debug,
    warn: console.warn,
    error: console.error,
  };
  const toDebug = (...args: unknown[]): void => log.debug(`dbos: ${args.map(textOf).join(" ")}`);
  console.log = console.info = console.debug = toDebug;
  console.warn = (...args: unknown[]) => log.warn(`dbos: ${args.map(textOf).join(" ")}`);
  console.error = (...args: unknown[]) => log.error(`dbos: ${args.map(textOf).join(" ")}`);
  try {
    return await run();
  } finally {
    Object.assign(console, saved);
  }
}

/** DBOS's messages at one level below its own: its info lines (launch, recovery counts) are our debug. */
export function dbosLogger(log: RuntimeLog): DLogger {
  return {
    debug: (entry) => log.debug(`dbos: ${textOf(entry)}`),
    info: (entry) => log.debug(`dbos: ${textOf(entry)}`),
    warn: (entry) => log.warn(`dbos: ${textOf(entry)}`),
    error: (entry) => log.error("dbos", entry),
  };
}

function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
