/**
 * A host stand-in for the DBOS runtime test, run as a child process so that it can really die.
 * It registers a three-step workflow whose steps append a line to `<WF_DIR>/<step>.log` (the
 * "outside effect" the test counts), launches the workflow runtime, and then, by `WF_MODE`:
 *
 * - `start`: starts workflow `WF_ID`; step 2 kills the process with SIGKILL right after its effect
 *   and before it returns (the at-least-once window), once (a marker file remembers it);
 * - `recover`: only launches, as a restarted host does, and waits for `WF_ID` to finish;
 * - `launch`: launches and shuts down (two at once: the migration race);
 * - `stale`: launches as a newer version, checks that `WF_ID` is not picked up by itself, lists the
 *   stale workflows, resumes them and waits for `WF_ID` to finish.
 *
 * It reports on stdout, one JSON line per event.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { createLogger } from "../../../../server/src/host/logger.js";
import {
  launchWorkflowRuntime,
  listStaleWorkflows,
  resumeStale,
  shutdownWorkflowRuntime,
} from "../../../../server/src/workflows/dbosRuntime.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const dir = env("WF_DIR");
const mode = env("WF_MODE");
const workflowId = env("WF_ID");
/** How long the stale host watches the old workflow not being picked up by itself. */
const STALE_WATCH_MS = 1500;
/** How long a host waits for the workflow to finish. */
const RESULT_TIMEOUT_S = 30;

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function effect(step: string): void {
  appendFileSync(path.join(dir, `${step}.log`), `${process.pid}\n`);
}

function effects(): Record<string, number> {
  const count = (step: string): number => {
    const file = path.join(dir, `${step}.log`);
    return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
  };
  return { step1: count("step1"), step2: count("step2"), step3: count("step3") };
}

async function threeSteps(): Promise<string> {
  await DBOS.runStep(() => Promise.resolve(effect("step1")), { name: "step1" });
  await DBOS.runStep(
    () => {
      effect("step2");
      const marker = path.join(dir, `crashed-${workflowId}`);
      if (mode === "start" && !existsSync(marker)) {
        writeFileSync(marker, "");
        process.kill(process.pid, "SIGKILL");
      }
      return Promise.resolve();
    },
    { name: "step2" },
  );
  await DBOS.runStep(() => Promise.resolve(effect("step3")), { name: "step3" });
  return "done";
}

let workflow: (() => Promise<string>) | undefined;
await launchWorkflowRuntime({
  url: env("WF_URL"),
  executorId: env("WF_EXECUTOR"),
  applicationVersion: env("WF_VERSION"),
  log: createLogger(process.env["WF_LOG"] === "debug" ? "debug" : "warn"),
  beforeLaunch: () => {
    workflow = DBOS.registerWorkflow(threeSteps, { name: "threeSteps" });
  },
});
report({ launched: true });

if (mode === "start") {
  const handle = await DBOS.startWorkflow(workflow!, { workflowID: workflowId })();
  await handle.getResult();
  report({ error: "step 2 did not kill the process" });
} else if (mode === "recover") {
  const result = await DBOS.getResult<string>(workflowId, { timeoutSeconds: RESULT_TIMEOUT_S, pollingIntervalMs: 100 });
  report({ result, effects: effects() });
} else if (mode === "stale") {
  // Nothing announces "recovery skipped this workflow", so the host watches it for a while: a host
  // of the same version had it running again well within this window.
  const before = effects();
  await new Promise((resolve) => setTimeout(resolve, STALE_WATCH_MS));
  const status = await DBOS.getWorkflowStatus(workflowId);
  report({ untouched: status?.status, before, after: effects() });
  const stale = await listStaleWorkflows();
  report({ stale });
  await resumeStale(stale.map((s) => s.workflowId));
  const result = await DBOS.getResult<string>(workflowId, { timeoutSeconds: RESULT_TIMEOUT_S, pollingIntervalMs: 100 });
  report({ result, effects: effects(), stillStale: await listStaleWorkflows() });
}
await shutdownWorkflowRuntime();
