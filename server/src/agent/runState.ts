/**
 * `RunState` is everything an agent run has done and needs to go on: the conversation, the calls of
 * the latest turn still to run, the counters the budgets are checked against, what it changed, and
 * how it ended. It is plain JSON: a durable workflow stores it (or rebuilds it from recorded step
 * outputs) and a run restored from it continues where it left off. Engines, tools, signals and
 * sinks never go in here; they are the run's `RunDeps`.
 */
import type { ChatMessage, ToolCall } from "@bora/inference";
import type { Checkpoint } from "../workspace/checkpoints.js";
import type { CommandRecord } from "./tools/index.js";

export type RunStatus =
  | "completed"
  | "truncated"
  | "max_turns"
  | "max_tokens"
  | "timeout"
  | "aborted"
  | "context_exhausted"
  | "script_ended"
  | "engine_error";

export interface Budgets {
  /** Model turns before the run stops. Defaults to 40. */
  maxTurns?: number;
  /** Prompt plus completion tokens over the whole run. Defaults to 2,000,000. */
  maxTokens?: number;
  /** Wall-clock milliseconds for the whole run, tools included. Defaults to 30 minutes. */
  maxWallMs?: number;
  /** Tokens the model may write per turn (also reserved out of the context window). Defaults to 2048. */
  maxTokensPerTurn?: number;
}

export const DEFAULT_BUDGETS: Readonly<Required<Budgets>> = Object.freeze({
  maxTurns: 40,
  maxTokens: 2_000_000,
  maxWallMs: 30 * 60 * 1000,
  maxTokensPerTurn: 2048,
});

export function resolveBudgets(budgets: Budgets = {}): Required<Budgets> {
  return {
    maxTurns: budgets.maxTurns ?? DEFAULT_BUDGETS.maxTurns,
    maxTokens: budgets.maxTokens ?? DEFAULT_BUDGETS.maxTokens,
    maxWallMs: budgets.maxWallMs ?? DEFAULT_BUDGETS.maxWallMs,
    maxTokensPerTurn: budgets.maxTokensPerTurn ?? DEFAULT_BUDGETS.maxTokensPerTurn,
  };
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** How a run ended, and why in a sentence. */
export interface RunEnd {
  status: RunStatus;
  reason: string;
}

/**
 * A tool call of the latest turn that has no result yet. `error` marks a call the engine could not
 * use (unparsable arguments): it gets that error as its result and never runs.
 */
export interface PendingCall {
  turn: number;
  call: ToolCall;
  error?: string;
}

/** The system prompt (with the rules) and the task open every conversation and are never compacted. */
export const FIXED_MESSAGES = 2;

export interface RunState {
  /** Names the checkpoint ref and the transcript. */
  runId: string;
  /** The run's root, a real path; every tool is confined to it. */
  root: string;
  task: string;
  /** Fixed when the run starts; a resumed run keeps them. */
  budgets: Required<Budgets>;
  /** Tokens the tool definitions take in the prompt, counted once when the run starts. */
  toolsTokens: number;
  /** The conversation as the model sees it (redacted), the fixed messages first. */
  messages: ChatMessage[];
  /** The latest turn's calls that have no result yet, in the order they run. */
  pending: PendingCall[];
  /** Model turns that got a reply. */
  turns: number;
  /** The engine's counts, summed over the turns. */
  usage: TokenUsage;
  /** The engine's prompt count of the latest turn: how large the conversation has grown. */
  lastPromptTokens: number;
  /** Wall time the run had used when this state was reached; the wall-time budget counts it. */
  elapsedMs: number;
  /** The model's latest non-empty text (redacted): its final answer once the run completes. */
  answer: string;
  /** Files the tools wrote, relative to the root, each once, in the order first written. */
  filesWritten: string[];
  /** Commands the tools ran (redacted), in order. */
  commands: CommandRecord[];
  /** Taken before the run's first write. */
  checkpoint?: Checkpoint;
  /** Set when the run has ended. */
  end?: RunEnd;
}

/** A run that has done nothing yet; `startRun` fills in the conversation and the tools' size. */
export function newRunState(start: {
  runId: string;
  root: string;
  task: string;
  budgets: Required<Budgets>;
}): RunState {
  return {
    ...start,
    toolsTokens: 0,
    messages: [],
    pending: [],
    turns: 0,
    usage: { promptTokens: 0, completionTokens: 0 },
    lastPromptTokens: 0,
    elapsedMs: 0,
    answer: "",
    filesWritten: [],
    commands: [],
  };
}
