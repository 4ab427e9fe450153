/**
 * One model turn as a step: fit the conversation into the context window, stream one reply, and say
 * what came back. The input is the run's state and the output plain JSON, so a durable workflow can
 * record it; `applyTurn` folds it into the state. Text streams to the recorder as it arrives.
 */
import { isEngineError, type ChatMessage, type FinishReason, type ToolCall } from "@bora/inference";
import { ContextBudget } from "./contextBudget.js";
import type { RunDeps } from "./runDeps.js";
import { FIXED_MESSAGES, type RunEnd, type RunState, type TokenUsage } from "./runState.js";

/** Which limit set the most tokens a reply may have: the per-turn budget, the room left in the window, or the run's token budget. */
export type TurnLimit = "turn" | "context" | "budget";

export interface TurnReply {
  /** What the model wrote (redacted). */
  text: string;
  /** The calls as the model made them; they run as written. */
  toolCalls: ToolCall[];
  /** Calls the engine could not use (unparsable arguments); the model is told why. */
  callErrors: { id: string; name: string; message: string }[];
  /** The reply as it joins the conversation (redacted, failed calls included with empty arguments). */
  message: Extract<ChatMessage, { role: "assistant" }>;
  finishReason: FinishReason;
  /** The engine's counts for this turn. */
  usage: TokenUsage;
  /** The most tokens the reply could have, and which limit set it. */
  maxTokens: number;
  limitedBy: TurnLimit;
  /** Wall time from the request to the last token. */
  ms: number;
}

/** Why a turn got no reply. */
export type TurnFailure =
  | { code: "contextExhausted" }
  | { code: "scriptEnded" }
  | { code: "interrupted" }
  | { code: "engineError"; message: string };

export type TurnOutput = {
  /** This turn's number: the state's turns plus one. */
  turn: number;
  /** The engine's context window. */
  contextSize: number;
  /** The runtime's count of the prompt (conversation plus tool definitions) before the engine's chat template. */
  estimatedPromptTokens: number;
  /** Set when the conversation was compacted to fit; its messages replace the state's. */
  compacted?: { messages: ChatMessage[]; truncatedResults: number; summarizedTurns: number };
} & ({ reply: TurnReply } | { failure: TurnFailure });

export async function modelTurn(state: RunState, deps: RunDeps): Promise<TurnOutput> {
  const { recorder } = deps;
  const turn = state.turns + 1;
  const fitted = await fitContext(state, deps);
  const base = {
    turn,
    contextSize: deps.engine.info.contextSize,
    estimatedPromptTokens: fitted.promptTokens + state.toolsTokens,
    ...(fitted.compacted && { compacted: fitted.compacted }),
  };
  if (fitted.compacted) {
    const { truncatedResults, summarizedTurns } = fitted.compacted;
    recorder.record({ type: "compaction", turn, truncatedResults, summarizedTurns, promptTokens: fitted.promptTokens });
    recorder.emit({ kind: "compacted", truncatedResults, summarizedTurns });
  }
  if (!fitted.fits) return { ...base, failure: { code: "contextExhausted" } };

  recorder.emit({ kind: "turnStarted", turn, estimatedPromptTokens: base.estimatedPromptTokens });
  const { limitedBy, maxTokens } = replyLimit(state, base.contextSize, fitted.promptTokens);
  const started = performance.now();
  const streamed = await streamReply(turn, fitted.messages, maxTokens, deps);
  if ("failure" in streamed) return { ...base, failure: streamed.failure };
  const { text, toolCalls, callErrors, finishReason, usage } = streamed;
  const ms = Math.round(performance.now() - started);
  recorder.record({
    type: "turn",
    turn,
    promptTokens: base.estimatedPromptTokens,
    promptMessages: fitted.messages.length,
    output: text,
    toolCalls: toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
    finishReason,
    usage,
    ms,
  });
  recorder.emit({ kind: "turnFinished", turn, ...usage, ms, finishReason });
  const allCalls = [...toolCalls, ...callErrors.map((e) => ({ id: e.id, name: e.name, arguments: {} }))];
  const message: TurnReply["message"] = {
    role: "assistant",
    content: recorder.redact(text),
    ...(allCalls.length > 0 && { toolCalls: recorder.redactValue(allCalls) }),
  };
  return {
    ...base,
    reply: {
      text: recorder.redact(text),
      toolCalls,
      callErrors,
      message,
      finishReason,
      usage,
      maxTokens,
      limitedBy,
      ms,
    },
  };
}

/** The conversation fitted into the window, compacted when it had to be. */
async function fitContext(
  state: RunState,
  { engine }: RunDeps,
): Promise<{ messages: ChatMessage[]; promptTokens: number; fits: boolean; compacted?: TurnOutput["compacted"] }> {
  // The window holds the tool definitions (the engine renders them into the prompt), the
  // conversation and the reply; the reply gets at most a quarter of it.
  const contextSize = engine.info.contextSize;
  const replyReserve = Math.min(state.budgets.maxTokensPerTurn, Math.floor(contextSize / 4));
  const budget = new ContextBudget((text) => engine.countTokens(text), {
    maxPromptTokens: Math.max(1, contextSize - replyReserve - state.toolsTokens),
  });
  const fitted = await budget.fit(state.messages, FIXED_MESSAGES);
  const { truncatedResults, summarizedTurns } = fitted;
  if (truncatedResults === 0 && summarizedTurns === 0) {
    return { messages: state.messages, promptTokens: fitted.promptTokens, fits: fitted.fits };
  }
  return {
    messages: fitted.messages,
    promptTokens: fitted.promptTokens,
    fits: fitted.fits,
    compacted: { messages: fitted.messages, truncatedResults, summarizedTurns },
  };
}

/** The most tokens the reply may have: the least of the per-turn budget, the room left in the window, and the run's token budget. */
function replyLimit(
  state: RunState,
  contextSize: number,
  promptTokens: number,
): { limitedBy: TurnLimit; maxTokens: number } {
  const limits: [TurnLimit, number][] = [
    ["turn", state.budgets.maxTokensPerTurn],
    ["context", contextSize - state.toolsTokens - promptTokens],
    ["budget", state.budgets.maxTokens - state.usage.promptTokens - state.usage.completionTokens],
  ];
  const [limitedBy, least] = limits.reduce((min, next) => (next[1] < min[1] ? next : min));
  return { limitedBy, maxTokens: Math.max(1, least) };
}

/** Streams one reply, its text to the recorder as it comes; an engine that fails or stops early gives a failure. */
async function streamReply(
  turn: number,
  messages: ChatMessage[],
  maxTokens: number,
  { engine, tools, stop, recorder }: RunDeps,
): Promise<Pick<TurnReply, "text" | "toolCalls" | "callErrors" | "finishReason" | "usage"> | { failure: TurnFailure }> {
  let text = "";
  const toolCalls: ToolCall[] = [];
  const callErrors: TurnReply["callErrors"] = [];
  let finishReason: FinishReason = "stop";
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  try {
    const stream = engine.chat({
      // A copy: the engine must not see messages added after this call.
      messages: [...messages],
      tools: tools.definitions,
      signal: stop.signal,
      priority: "background",
      maxTokens,
      deadlineMs: Math.max(1, stop.remainingMs()),
    });
    for await (const event of stream) {
      if (event.type === "text") {
        text += event.text;
        recorder.emit({ kind: "text", turn, text: event.text });
      } else if (event.type === "toolCall") toolCalls.push(event.call);
      else if (event.type === "toolCallError")
        callErrors.push({ id: event.id, name: event.name, message: event.message });
      else if (event.type === "done") {
        finishReason = event.finishReason;
        usage = { promptTokens: event.usage.promptTokens, completionTokens: event.usage.completionTokens };
      }
    }
  } catch (error) {
    if (isEngineError(error, "scriptExhausted")) return { failure: { code: "scriptEnded" } };
    if (stop.signal.aborted || isEngineError(error, "aborted") || isEngineError(error, "deadline")) {
      return { failure: { code: "interrupted" } };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { failure: { code: "engineError", message: recorder.redact(message) } };
  }
  return { text, toolCalls, callErrors, finishReason, usage };
}

/**
 * The state after a turn; `end` is `RunStop.afterTurn`'s verdict on it. A turn without a reply does
 * not count; a reply cut off by a stop is not an answer and does not join the conversation.
 */
export function applyTurn(state: RunState, output: TurnOutput, end: RunEnd | undefined): RunState {
  const next: RunState = {
    ...state,
    ...(output.compacted && { messages: output.compacted.messages }),
    ...(end && { end }),
  };
  if ("failure" in output) return next;
  const { reply } = output;
  next.turns = output.turn;
  next.usage = {
    promptTokens: state.usage.promptTokens + reply.usage.promptTokens,
    completionTokens: state.usage.completionTokens + reply.usage.completionTokens,
  };
  next.lastPromptTokens = reply.usage.promptTokens;
  if (end && reply.finishReason === "aborted") return next;
  if (reply.text.trim()) next.answer = reply.text;
  next.messages = [...next.messages, reply.message];
  next.pending = [
    ...reply.toolCalls.map((call) => ({ turn: output.turn, call })),
    ...reply.callErrors.map((e) => ({
      turn: output.turn,
      call: { id: e.id, name: e.name, arguments: {} },
      error: e.message,
    })),
  ];
  return next;
}
