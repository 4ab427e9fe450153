/**
 * Team workers on one shared PostgreSQL: each writes a heartbeat, and a worker that sees another's
 * heartbeat go stale takes that worker's unfinished tasks over. DBOS recovers only the tasks of the
 * executor that launches (`DBOS.launch()`), so a worker that never comes back would strand its tasks;
 * DBOS's commercial Conductor does this for a fee, and this is the small free equivalent.
 *
 * Safety: only one live worker takes a dead worker's tasks over (its heartbeat row is locked
 * `FOR UPDATE SKIP LOCKED` for the whole takeover, and deleted in the same transaction once its tasks
 * are handed on); a reaper that dies midway rolls back and leaves the row for the next one. A "dead"
 * worker that was only paused (SIGSTOP, a laptop lid) does not repeat an effect when it wakes: DBOS
 * sees at its next checkpoint that the task is no longer its own, and parks it ("no longer owned by
 * this execution"). Times are the database server's (`now()`), so the workers' clocks may differ.
 *
 * The heartbeats live in a schema of Bora's own (`bora.workers`), never in DBOS's `dbos` schema, whose
 * migrations are DBOS's business.
 */
import type { Logger } from "../host/logger.js";

/** How often a worker writes its heartbeat and looks for dead peers: cheap (one row), and well under the limit. */
export const HEARTBEAT_INTERVAL_MS = 2_000;
/**
 * How old a heartbeat must be before its worker counts as dead. Long against the interval: a worker
 * whose event loop stalls (a big git operation, a GC pause, a busy 2-core runner) or whose network
 * blips for a few seconds must not lose its tasks; a wrongly reaped task is safe (it parks) but
 * wastes the work done since its last step. Tests lower it with `BORA_WORKER_STALE_MS`.
 */
export const DEFAULT_STALE_AFTER_MS = 30_000;
/** The lowest limit `BORA_WORKER_STALE_MS` may set: below two heartbeats, live workers reap each other. */
export const MIN_STALE_AFTER_MS = 2 * HEARTBEAT_INTERVAL_MS;

/** The limit in force: `BORA_WORKER_STALE_MS` when it is a whole number of at least `MIN_STALE_AFTER_MS`. */
export function staleAfterMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env["BORA_WORKER_STALE_MS"]?.trim();
  if (!raw) return DEFAULT_STALE_AFTER_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < MIN_STALE_AFTER_MS)
    throw new Error(`BORA_WORKER_STALE_MS needs a whole number of milliseconds of at least ${MIN_STALE_AFTER_MS}`);
  return n;
}

/** The part of a node-postgres client the reaper uses (one session of its own). */
export interface ReaperSql {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** What the reaper asks of the workflow engine: move a dead executor's unfinished tasks to the queue. */
export interface TaskHandover {
  /** Re-queues every PENDING task of `executorId` for any live worker; returns their ids. */
  takeOver(executorId: string): Promise<string[]>;
}

/** Serialises the table's creation between workers starting together (two ints: "bora", 2). */
const SCHEMA_LOCK = [0x626f7261, 2] as const;

export class WorkerReaper {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly sql: ReaperSql,
    private readonly executorId: string,
    private readonly engine: TaskHandover,
    private readonly log: Pick<Logger, "info" | "warn">,
    private readonly staleMs: number = DEFAULT_STALE_AFTER_MS,
  ) {}

  /** Creates the table if it is missing, writes the first heartbeat, then beats every `HEARTBEAT_INTERVAL_MS`. */
  async start(): Promise<void> {
    await this.sql.query("BEGIN");
    try {
      await this.sql.query("SELECT pg_advisory_xact_lock($1, $2)", [...SCHEMA_LOCK]);
      await this.sql.query("CREATE SCHEMA IF NOT EXISTS bora");
      await this.sql.query(
        `CREATE TABLE IF NOT EXISTS bora.workers (
           executor_id text PRIMARY KEY,
           heartbeat_at timestamptz NOT NULL,
           started_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      await this.sql.query("COMMIT");
    } catch (error) {
      await this.sql.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    await this.beat();
    this.timer = setInterval(() => {
      // One tick at a time: a slow takeover must not overlap the next.
      this.ticking ??= this.tick().finally(() => (this.ticking = undefined));
    }, HEARTBEAT_INTERVAL_MS);
  }

  /** One round: the heartbeat, then the dead peers' tasks. Errors are logged; the next round tries again. */
  async tick(): Promise<void> {
    try {
      await this.beat();
      for (;;) {
        const taken = await this.reapOne();
        if (taken === undefined) break;
      }
    } catch (error) {
      this.log.warn(`worker: heartbeat or takeover failed, trying again: ${(error as Error).message}`);
    }
  }

  /** Stops beating (the row stays until `retire`, or until a peer finds it stale). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /**
   * Marks this worker gone after a clean shutdown, so that a peer takes over at once what it left
   * unfinished rather than after the stale limit. Called once DBOS has stopped here.
   */
  async retire(): Promise<void> {
    await this.sql.query("UPDATE bora.workers SET heartbeat_at = '-infinity' WHERE executor_id = $1", [
      this.executorId,
    ]);
  }

  private async beat(): Promise<void> {
    await this.sql.query(
      `INSERT INTO bora.workers (executor_id, heartbeat_at) VALUES ($1, now())
       ON CONFLICT (executor_id) DO UPDATE SET heartbeat_at = now()`,
      [this.executorId],
    );
  }

  /** Takes over one dead peer's tasks; undefined when no peer is dead (or every dead one is being taken). */
  private async reapOne(): Promise<{ executorId: string; tasks: string[] } | undefined> {
    await this.sql.query("BEGIN");
    try {
      const { rows } = await this.sql.query(
        `SELECT executor_id FROM bora.workers
          WHERE executor_id <> $1 AND heartbeat_at < now() - make_interval(secs => $2::double precision / 1000)
          ORDER BY heartbeat_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [this.executorId, this.staleMs],
      );
      const dead = rows[0]?.["executor_id"];
      if (typeof dead !== "string") {
        await this.sql.query("COMMIT");
        return undefined;
      }
      const tasks = await this.engine.takeOver(dead);
      await this.sql.query("DELETE FROM bora.workers WHERE executor_id = $1", [dead]);
      await this.sql.query("COMMIT");
      this.log.info(
        tasks.length === 0
          ? `worker: ${dead} stopped beating; it left no unfinished task`
          : `worker: ${dead} stopped beating; took over ${tasks.join(", ")}`,
      );
      return { executorId: dead, tasks };
    } catch (error) {
      await this.sql.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }
}
