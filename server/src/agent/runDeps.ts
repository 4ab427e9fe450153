/**
 * What a run's steps need besides its state: the engine, the tools, the policy, the stop, the
 * recorder, the checkpoint and the command runner. None of it is data a workflow could store; it is
 * built from the caller's options, once when a run starts (`startRun`) and again when a stored state
 * resumes (`runDeps`).
 */
import { randomBytes } from "node:crypto";
import type { Engine } from "@bora/inference";
import { CheckpointStore } from "../workspace/checkpoints.js";
import { realRoot } from "../workspace/confinement.js";
import { createCommandRunner, type CommandRunner, type RunnerChoice } from "../workspace/sandbox.js";
import type { Spawner } from "../workspace/spawner.js";
import { resolveStateDir } from "../workspace/stateDir.js";
import { DEFAULT_POLICY, freezePolicy, type ApprovalPolicy } from "./approvals.js";
import { systemPrompt } from "./prompts.js";
import { headlessQuestions, type Questions } from "./questions.js";
import { Redactor } from "./redaction.js";
import { loadRules } from "./rules.js";
import { RunCheckpoint } from "./runCheckpoint.js";
import { headlessEvents, type RunEvents } from "./runEvents.js";
import { RunRecorder } from "./runRecorder.js";
import { newRunState, resolveBudgets, type Budgets, type RunState } from "./runState.js";
import { RunStop } from "./runStop.js";
import { createToolSet, DEFAULT_TOOL_LIMITS, type ToolLimits, type ToolSet } from "./tools/index.js";
import type { WriteGuard } from "./tools/types.js";

export interface AgentRunOptions {
  engine: Engine;
  /** Where progress goes. Defaults to nowhere (`headlessEvents`). */
  events?: RunEvents;
  /** Who answers approvals and `ask_user`. Defaults to nobody (`headlessQuestions`: declined, unanswered). */
  questions?: Questions;
  /** The run's root: workspace folder or task worktree. Every tool is confined to it. */
  root: string;
  task: string;
  /** Names the checkpoint ref and the transcript. Defaults to a timestamp plus random suffix. */
  runId?: string;
  budgets?: Budgets;
  /** Approval policy per tool. Defaults to `DEFAULT_POLICY` (commands ask). */
  policy?: ApprovalPolicy;
  /** Treats `ask` as approved without asking (`bora run --yes`); `never` still blocks. Defaults to false. */
  autoApprove?: boolean;
  /** Starts every child process of the run (commands, git, search): its owner's, so that a shutdown ends them. */
  spawner: Spawner;
  /** Sandbox settings for `run_command`. Defaults to bubblewrap, no network, the default env allow-list. */
  sandbox?: Omit<RunnerChoice, "root" | "spawner">;
  /** A ready command runner (tests); overrides `sandbox`. */
  commandRunner?: CommandRunner;
  /** Environment whose secret-looking values are redacted. Defaults to `process.env`. */
  secretEnv?: NodeJS.ProcessEnv;
  /** Further secret values to redact (tokens the editor passed for this run). Defaults to none. */
  secrets?: readonly string[];
  /** JSONL file for the transcript. Defaults to memory only. */
  transcriptFile?: string;
  toolLimits?: Partial<ToolLimits>;
  tools?: ToolSet;
  /** Checks each file a tool is about to write (the editor's unsaved buffers). Defaults to none. */
  writeGuard?: WriteGuard;
  /** Takes a checkpoint before the first write. Defaults to true. */
  checkpoints?: boolean;
  /** The state folder, where shadow repositories for non-git roots live. Defaults to `resolveStateDir(process.env)`. */
  stateDir?: string;
  signal?: AbortSignal;
}

export interface RunDeps {
  runId: string;
  /** The run's root, a real path. */
  root: string;
  engine: Engine;
  tools: ToolSet;
  limits: ToolLimits;
  /** Fixed from the caller's options only; nothing the run reads or writes can widen it. */
  policy: ApprovalPolicy;
  autoApprove: boolean;
  questions: Questions;
  stop: RunStop;
  recorder: RunRecorder;
  checkpoint: RunCheckpoint;
  /** The command runner, created on first use. */
  commands(): Promise<CommandRunner>;
  /** Starts the run's child processes (search, git): the run owner's. */
  spawner: Spawner;
  writeGuard?: WriteGuard;
}

function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
}

/**
 * The deps of a run in `state`. The run id, root and budgets come from the state; everything else
 * from `options`. The wall timer starts here: call `stop.dispose()` when done.
 */
export function runDeps(state: RunState, options: AgentRunOptions): RunDeps {
  const redactor = new Redactor({ env: options.secretEnv ?? process.env, secrets: options.secrets });
  const recorder = new RunRecorder(state.runId, options.events ?? headlessEvents, redactor, options.transcriptFile);
  let runner: Promise<CommandRunner> | undefined;
  return {
    runId: state.runId,
    root: state.root,
    engine: options.engine,
    tools: options.tools ?? createToolSet(),
    limits: { ...DEFAULT_TOOL_LIMITS, ...options.toolLimits },
    policy: freezePolicy({ ...DEFAULT_POLICY, ...options.policy }),
    autoApprove: options.autoApprove === true,
    questions: options.questions ?? headlessQuestions,
    stop: new RunStop({ budgets: state.budgets, signal: options.signal, spentMs: state.elapsedMs }),
    recorder,
    checkpoint: new RunCheckpoint({
      root: state.root,
      runId: state.runId,
      enabled: options.checkpoints,
      spawner: options.spawner,
      stateDir: options.stateDir ?? resolveStateDir(process.env, process.cwd()),
      recorder,
      existing: state.checkpoint,
    }),
    commands: () =>
      (runner ??= options.commandRunner
        ? Promise.resolve(options.commandRunner)
        : createCommandRunner({ ...options.sandbox, root: state.root, spawner: options.spawner })),
    spawner: options.spawner,
    ...(options.writeGuard && { writeGuard: options.writeGuard }),
  };
}

/** A new run: its first state (system prompt with the workspace rules, then the task) and its deps. */
export async function startRun(options: AgentRunOptions): Promise<{ state: RunState; deps: RunDeps }> {
  const runId = options.runId ?? newRunId();
  // Fails early on a run id that cannot name a ref, before anything is done.
  CheckpointStore.refFor(runId);
  const root = await realRoot(options.root);
  const blank = newRunState({ runId, root, task: options.task, budgets: resolveBudgets(options.budgets) });
  const deps = runDeps(blank, options);
  try {
    const rules = await loadRules(root);
    const state: RunState = {
      ...blank,
      // The state may be stored by a workflow: it holds the task as the model sees it.
      task: deps.recorder.redact(options.task),
      toolsTokens: await options.engine.countTokens(JSON.stringify(deps.tools.definitions)),
      messages: [
        { role: "system", content: deps.recorder.redact(systemPrompt(rules)) },
        { role: "user", content: deps.recorder.redact(options.task) },
      ],
    };
    deps.recorder.record({
      type: "run",
      runId,
      root,
      task: options.task,
      engine: `${options.engine.info.kind}:${options.engine.info.model}`,
    });
    deps.recorder.emit({ kind: "runStarted", runId, root, task: options.task });
    return { state, deps };
  } catch (error) {
    deps.stop.dispose();
    throw error;
  }
}
