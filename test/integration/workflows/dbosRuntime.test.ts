import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger } from "../../../server/src/host/logger.js";
import { openWorkflowDatabase, type WorkflowDatabase } from "../../../server/src/workflows/database.js";
import { Spawner } from "../../../server/src/workspace/spawner.js";
import { GUARDED_NODE_ARGS } from "../../support/hostProcess.js";

const WORKER = path.join(import.meta.dirname, "support", "threeStepWorker.ts");

interface WorkerRun {
  signal: NodeJS.Signals | null;
  code: number | null;
  /** The JSON lines it reported, parsed. */
  events: Record<string, unknown>[];
  stderr: string;
}

interface Effects {
  step1: number;
  step2: number;
  step3: number;
}

/**
 * The real thing: a DBOS host in a child process, on the embedded database this test process owns,
 * killed for real. Each workflow counts its steps' effects in a folder of its own.
 */
describe("the workflow runtime (DBOS) across a host killed inside a step", function () {
  this.timeout(60_000);
  let stateDir: string;
  let spawner: Spawner;
  let database: WorkflowDatabase;
  const children = new Set<ChildProcess>();

  before(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), "bora-wfrt-"));
    spawner = new Spawner();
    database = await openWorkflowDatabase({ stateDir, spawner, log: createLogger("warn") });
  });

  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    await database.close();
    await spawner.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  function runWorker(env: {
    mode: string;
    id: string;
    version: string;
    dir: string;
    url?: string;
  }): Promise<WorkerRun> {
    const child = spawn(process.execPath, [...GUARDED_NODE_ARGS, WORKER], {
      env: {
        ...process.env,
        WF_URL: env.url ?? database.url,
        WF_EXECUTOR: "test-executor",
        WF_MODE: env.mode,
        WF_ID: env.id,
        WF_VERSION: env.version,
        WF_DIR: env.dir,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => {
      child.once("close", (code, signal) => {
        children.delete(child);
        const events = stdout
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        resolve({ code, signal, events, stderr });
      });
    });
  }

  function event<T>(run: WorkerRun, key: string): T {
    const found = run.events.find((e) => key in e);
    assert.ok(found, `the worker reported ${key}; it reported ${JSON.stringify(run.events)}; stderr:\n${run.stderr}`);
    return found as T;
  }

  async function crashInStep2(id: string, dir: string): Promise<void> {
    const crashed = await runWorker({ mode: "start", id, version: "v1", dir });
    assert.equal(crashed.signal, "SIGKILL", `the worker killed itself in step 2; stderr:\n${crashed.stderr}`);
    event(crashed, "launched");
  }

  it("a restart with the same executor id and version completes the workflow; done steps do not run again", async () => {
    const dir = path.join(stateDir, "same-version");
    mkdirSync(dir);
    await crashInStep2("wf-same", dir);

    const restarted = await runWorker({ mode: "recover", id: "wf-same", version: "v1", dir });
    assert.equal(restarted.code, 0, restarted.stderr);
    const { result, effects } = event<{ result: string; effects: Effects }>(restarted, "result");
    assert.equal(result, "done");
    assert.equal(effects.step1, 1, "step 1 finished before the crash: not run again");
    assert.equal(effects.step2, 2, "step 2 was cut off before its checkpoint: it ran again, once (at least once)");
    assert.equal(effects.step3, 1, "step 3 ran once");
  });

  it("a restart with another version leaves it alone, lists it as stale, and resumeStale completes it", async () => {
    const dir = path.join(stateDir, "new-version");
    mkdirSync(dir);
    await crashInStep2("wf-stale", dir);

    const upgraded = await runWorker({ mode: "stale", id: "wf-stale", version: "v2", dir });
    assert.equal(upgraded.code, 0, upgraded.stderr);
    const watched = event<{ untouched: string; before: Effects; after: Effects }>(upgraded, "untouched");
    assert.equal(watched.untouched, "PENDING", "not recovered by a host of another version");
    assert.deepEqual(watched.after, watched.before, "no step ran while it was stale");
    assert.equal(watched.after.step3, 0);

    const { stale } = event<{ stale: { workflowId: string; applicationVersion: string; status: string }[] }>(
      upgraded,
      "stale",
    );
    assert.deepEqual(
      stale.map((s) => [s.workflowId, s.applicationVersion, s.status]),
      [["wf-stale", "v1", "PENDING"]],
    );

    const { result, effects, stillStale } = event<{ result: string; effects: Effects; stillStale: unknown[] }>(
      upgraded,
      "result",
    );
    assert.equal(result, "done");
    assert.deepEqual(stillStale, []);
    assert.equal(effects.step1, 1, "the recorded step 1 was kept");
    assert.equal(effects.step2, 2, "the interrupted step 2 ran again, once");
    assert.equal(effects.step3, 1);
  });

  it("two hosts launching together on a fresh database both start (the migration runs once)", async () => {
    const dir = path.join(stateDir, "together");
    mkdirSync(dir);
    // A database of its own, which DBOS creates: fresh, as on a team's first start.
    const url = database.url.replace(/\/bora$/, "/bora_together");
    const runs = await Promise.all(["a", "b"].map((id) => runWorker({ mode: "launch", id, version: "v1", dir, url })));
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      event(run, "launched");
    }
  });
});
