/**
 * `bora worker --database-url URL`: a headless host for a team. It runs tasks from the team queue on
 * a shared PostgreSQL (`bora issue --team` puts them there) until SIGINT or SIGTERM, writes a
 * heartbeat, and takes over the unfinished tasks of a worker whose heartbeat went stale.
 */
import { parseArgs } from "node:util";
import { isFinalState } from "../../workflows/durable.js";
import { UsageError, type CliCommand, type CliIO } from "../command.js";

const USAGE = `bora worker --database-url URL [--concurrency N] [--team-concurrency N]

Runs durable tasks (bora issue --team) from the team queue on a shared PostgreSQL until SIGINT or
SIGTERM. Several workers on one database share the work; each writes a heartbeat, and when one stops
beating (a crash, a lost machine) another continues its tasks from their last recorded step.

Options:
  --database-url URL   The shared PostgreSQL (also BORA_DATABASE_URL).
  --concurrency N      Tasks this worker runs at once (default 2; also BORA_WORKFLOW_CONCURRENCY).
  --team-concurrency N Tasks the whole team runs at once, across all workers (also
                       BORA_TEAM_CONCURRENCY; default: no limit beyond each worker's).
                       DBOS keeps the queue's settings in the database: the last worker to start sets
                       both for all, so start every worker with the same values.

Its executor id is BORA_EXECUTOR_ID, else the one kept in its state folder ($BORA_STATE_DIR, ...); a
restart with the same id continues its own unfinished tasks at once. A peer's heartbeat counts as
stale after 30 s (BORA_WORKER_STALE_MS). Each task it starts and finishes is one line on stderr.`;

const PREFIX = "bora worker";

async function run(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      "database-url": { type: "string" },
      concurrency: { type: "string" },
      "team-concurrency": { type: "string" },
    },
  });
  const url = (values["database-url"] ?? io.env["BORA_DATABASE_URL"])?.trim();
  if (!url) throw new UsageError("give the team's database: --database-url URL (or BORA_DATABASE_URL)");
  const count = (flag: string, raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--${flag} needs a whole number of at least 1, got '${raw}'`);
    return n;
  };
  const concurrency = count("concurrency", values.concurrency ?? io.env["BORA_WORKFLOW_CONCURRENCY"] ?? "2");
  const rawTeam = values["team-concurrency"] ?? io.env["BORA_TEAM_CONCURRENCY"]?.trim();
  const teamConcurrency = rawTeam === undefined || rawTeam === "" ? undefined : count("team-concurrency", rawTeam);

  // DBOS loads only for the commands that run workflows, so every other `bora` command starts quickly.
  const { openCliWorkflows } = await import("../workflowCli.js");
  const { WorkerReaper, staleAfterMs } = await import("../../workflows/reaper.js");
  const { dbosTaskHandover, reaperSession } = await import("../../workflows/team.js");
  let staleMs: number;
  try {
    staleMs = staleAfterMs(io.env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  // A signal that arrives while the worker starts must still stop it, once it has started.
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    io.stderr.write(`${PREFIX}: ${signal}: stopping; unfinished tasks continue on a peer or on restart\n`);
    stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const say = (line: string): void => void io.stderr.write(`${PREFIX}: ${line}\n`);
  try {
    const workflows = await openCliWorkflows({ ...io, env: { ...io.env, BORA_DATABASE_URL: url } }, PREFIX, {
      concurrency,
      ...(teamConcurrency !== undefined && { globalConcurrency: teamConcurrency }),
      observe: (input) => {
        const what = input.kind === "background" ? input.instruction.split("\n")[0] : input.ref;
        say(`started task ${input.taskId} (${what})`);
        let finished = false;
        return {
          onStatus: (status) => {
            // A failed task waits here for a retry, and may then run on and end again.
            if (!isFinalState(status.state)) finished = false;
            if (finished || !isFinalState(status.state)) return;
            finished = true;
            say(`finished task ${input.taskId}: ${status.state}: ${status.reason}`);
          },
          ended: () => {
            if (!finished) say(`task ${input.taskId} stopped here without an end (shut down, cancelled or taken over)`);
          },
        };
      },
    });
    const sql = reaperSession(url);
    let reaper: InstanceType<typeof WorkerReaper> | undefined;
    try {
      reaper = new WorkerReaper(
        sql,
        workflows.host.executorId,
        dbosTaskHandover,
        { info: say, warn: (message) => say(`warning: ${message}`) },
        staleMs,
      );
      await reaper.start();
      say(
        `ready as executor ${workflows.host.executorId}, ${concurrency} at once${teamConcurrency === undefined ? "" : `, ${teamConcurrency} across the team`}`,
      );
      await stopped;
    } finally {
      await reaper?.stop();
      try {
        await workflows.close();
      } finally {
        await reaper?.retire().catch(() => undefined);
        await sql.end().catch(() => undefined);
      }
    }
    say("stopped");
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export const workerCommand: CliCommand = {
  name: "worker",
  summary: "Run team tasks from a shared PostgreSQL until stopped (headless)",
  usage: USAGE,
  run,
};
