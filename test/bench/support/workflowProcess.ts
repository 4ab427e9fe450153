/**
 * The process the workflows benchmark starts: `workflowProcess.ts <mode> <stateDir>`. Unlike the
 * integration tests' workers it owns its state folder, as a host does: it opens the embedded
 * workflow database there (initdb on a fresh folder; stopping the server a killed predecessor left
 * running) and launches DBOS on it. It reports on stdout, one JSON line per event, each with `at`:
 * epoch milliseconds (`performance.timeOrigin + performance.now()`), comparable with the parent's.
 *
 * - `plain`: reports `ready` at once, with none of the workflow modules loaded: the baseline.
 * - `ready`: opens the database, launches DBOS, reports `ready`.
 * - `steps`: also runs a workflow that times `BENCH_SAMPLES` durable steps (`DBOS.runStep` of a small
 *   file write) against the same write done directly, interleaved, and reports `samples`.
 * - `crash`: starts workflow `BENCH_WF_ID`, whose second step reports `stepStarted` and then kills
 *   the process with SIGKILL, once (a marker file remembers it).
 * - `recover`: launches only, as a restarted host does; recovery runs the interrupted step again,
 *   which reports `stepStarted`; then it reports `result` when the workflow has finished.
 *
 * Every mode but `crash` then waits for its stdin to end (the parent's "stop", or the parent's death)
 * and shuts down cleanly: DBOS, then the database server, then the spawner.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";

const [mode, stateDir] = process.argv.slice(2);
if (!mode || !stateDir) throw new Error("usage: workflowProcess.ts <plain|ready|steps|crash|recover> <stateDir>");

/** One executor id and version in every process, so that a restart recovers what a crash left. */
const EXECUTOR_ID = "bench";
const APP_VERSION = "bench-v1";
/** How long `recover` waits for the recovered workflow to finish. */
const RESULT_TIMEOUT_S = 60;

const now = (): number => performance.timeOrigin + performance.now();

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...event, at: now() })}\n`);
}

function stdinEnded(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    process.stdin.resume();
  });
}

if (mode === "plain") {
  report({ ready: true });
  await stdinEnded();
} else {
  await host(mode, stateDir);
}

async function host(mode: string, stateDir: string): Promise<void> {
  // Loaded here rather than at the top, so that `plain` measures a process start without them.
  const { DBOS } = await import("@dbos-inc/dbos-sdk");
  const { createLogger } = await import("../../../server/src/host/logger.js");
  const { openWorkflowDatabase } = await import("../../../server/src/workflows/database.js");
  const { launchWorkflowRuntime, shutdownWorkflowRuntime } =
    await import("../../../server/src/workflows/dbosRuntime.js");
  const { Spawner } = await import("../../../server/src/workspace/spawner.js");

  const workflowId = process.env["BENCH_WF_ID"] ?? "bench";
  const samples = Number(process.env["BENCH_SAMPLES"] ?? "0");
  const scratch = path.join(stateDir, "scratch");
  // The step's "work": a small write, as a step that records a file does.
  const work = (i: number): Promise<void> => writeFile(`${scratch}-${i % 8}`, `${i}\n`);

  async function timedSteps(count: number): Promise<{ durable: number[]; plain: number[] }> {
    const durable: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < count; i++) {
      let start = performance.now();
      await DBOS.runStep(() => work(i), { name: `write-${i}` });
      durable.push(performance.now() - start);
      start = performance.now();
      await work(i);
      plain.push(performance.now() - start);
    }
    return { durable, plain };
  }

  async function interrupted(): Promise<string> {
    await DBOS.runStep(() => work(0), { name: "before" });
    await DBOS.runStep(
      async () => {
        report({ stepStarted: true });
        const marker = path.join(stateDir, `crashed-${workflowId}`);
        if (mode === "crash" && !existsSync(marker)) {
          await writeFile(marker, "");
          process.kill(process.pid, "SIGKILL");
        }
        await work(1);
      },
      { name: "interrupted" },
    );
    return "done";
  }

  const log = createLogger("warn");
  const spawner = new Spawner();
  const database = await openWorkflowDatabase({ stateDir, spawner, log });
  let timed: ((count: number) => Promise<{ durable: number[]; plain: number[] }>) | undefined;
  let crashing: (() => Promise<string>) | undefined;
  try {
    await launchWorkflowRuntime({
      url: database.url,
      executorId: EXECUTOR_ID,
      applicationVersion: APP_VERSION,
      log,
      beforeLaunch: () => {
        timed = DBOS.registerWorkflow(timedSteps, { name: "timedSteps" });
        crashing = DBOS.registerWorkflow(interrupted, { name: "interrupted" });
      },
    });
    report({ ready: true });
    if (mode === "steps") {
      const handle = await DBOS.startWorkflow(timed!, { workflowID: workflowId })(samples);
      report({ samples: await handle.getResult() });
    } else if (mode === "crash") {
      await (await DBOS.startWorkflow(crashing!, { workflowID: workflowId })()).getResult();
      report({ error: "the step did not kill the process" });
    } else if (mode === "recover") {
      const result = await DBOS.getResult<string>(workflowId, {
        timeoutSeconds: RESULT_TIMEOUT_S,
        pollingIntervalMs: 50,
      });
      report({ result });
    }
    await stdinEnded();
  } finally {
    await shutdownWorkflowRuntime();
    await database.close();
    await spawner.close();
  }
}
