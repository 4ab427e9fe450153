/**
 * The agent loop: system prompt and rules, the task, then model ↔ tools until the model answers
 * without calling a tool, or a budget (turns, tokens, wall time) ends the run. Each run has an id,
 * a transcript (redacted), a checkpoint taken before its first write, and a result that says how it
 * ended and what it did.
 *
 * This module is only the driver. The work is done by two steps with plain-JSON inputs and outputs,
 * `modelTurn` and `executeCall`, folded into a plain-JSON `RunState` by `applyTurn` and `applyCall`;
 * `RunStop` says when to stop. A durable workflow replaces this driver by calling the same steps
 * (recording each output), or keeps it and passes a `StepRunner` that records them.
 */
import { CheckpointStore, type ChangedFile } from "../workspace/checkpoints.js";
import { realRoot } from "../workspace/confinement.js";
import { applyCall, executeCall } from "./executeCall.js";
import { applyTurn, modelTurn } from "./modelTurn.js";
import { runDeps, startRun, type AgentRunOptions, type RunDeps } from "./runDeps.js";
import { finishRun, type AgentRunResult } from "./runResult.js";
import type { RunState } from "./runState.js";
import type { Spawner } from "../workspace/spawner.js";

export type StepName = "modelTurn" | "executeCall";

/** Runs one step on its input; a workflow's runner records the output, so a replay returns it. */
export type StepRunner = <I, O>(name: StepName, input: I, step: (input: I) => Promise<O>) => Promise<O>;

const runDirectly: StepRunner = (_name, input, step) => step(input);

/** Runs steps from `state` until the run has an end; returns that last state. */
export async function driveRun(state: RunState, deps: RunDeps, runStep: StepRunner = runDirectly): Promise<RunState> {
  while (state.end === undefined) {
    state = { ...(await nextStep(state, deps, runStep)), elapsedMs: deps.stop.elapsedMs() };
  }
  return state;
}

/** The state after one step: the next pending call of the latest turn, or else a new turn. */
async function nextStep(state: RunState, deps: RunDeps, runStep: StepRunner): Promise<RunState> {
  const call = state.pending[0];
  if (call !== undefined) {
    const output = await runStep("executeCall", call, (input) => executeCall(input, deps));
    return applyCall(state, output, deps.stop.afterCall());
  }
  const end = deps.stop.beforeTurn(state);
  if (end !== undefined) return { ...state, end };
  const output = await runStep("modelTurn", state, (input) => modelTurn(input, deps));
  return applyTurn(state, output, deps.stop.afterTurn(state, output));
}

async function driveToEnd(state: RunState, deps: RunDeps, runStep: StepRunner): Promise<AgentRunResult> {
  try {
    state = await driveRun(state, deps, runStep);
  } finally {
    deps.stop.dispose();
  }
  return finishRun(state, deps);
}

/** Runs one agent task to its end. */
export async function runAgent(options: AgentRunOptions, runStep: StepRunner = runDirectly): Promise<AgentRunResult> {
  const { state, deps } = await startRun(options);
  return driveToEnd(state, deps, runStep);
}

/**
 * Continues a run from a state it reached (restored from JSON, say), with the same options it
 * started with; the run id, root, task and budgets come from the state.
 */
export function continueRun(
  state: RunState,
  options: AgentRunOptions,
  runStep: StepRunner = runDirectly,
): Promise<AgentRunResult> {
  return driveToEnd(state, runDeps(state, options), runStep);
}

/** Puts a run's root back to its checkpoint; returns what was undone. */
export async function rollbackRun(
  root: string,
  runId: string,
  options: { spawner: Spawner; stateDir: string },
): Promise<ChangedFile[]> {
  const real = await realRoot(root);
  const store = await CheckpointStore.open(real, options);
  const checkpoint = await store.find(runId);
  if (checkpoint === undefined) {
    throw new Error(`no checkpoint for run ${runId} in ${real} (looked for ${CheckpointStore.refFor(runId)})`);
  }
  return store.restore(checkpoint);
}
