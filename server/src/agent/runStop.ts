/**
 * `RunStop` is the one place that says whether a run stops and why: the caller's cancellation, the
 * wall-time budget (a timer, so it also interrupts a model turn or a command that is running), the
 * turn and token budgets, and how a model turn ended (a final answer, a reply cut off at its token
 * limit, a context that no longer fits, an engine that failed). `signal` aborts on the first two; the
 * steps pass it to the engine and the tools.
 */
import type { TurnOutput } from "./modelTurn.js";
import type { RunEnd, RunState } from "./runState.js";

/** The longest delay `setTimeout` takes (2^31 - 1 ms). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface RunStopOptions {
  /** Turn, token and wall-time budgets. */
  budgets: RunState["budgets"];
  /** The caller's cancellation. Defaults to none. */
  signal?: AbortSignal;
  /** Wall time a resumed run had already used; it counts against the budget. Defaults to 0. */
  spentMs?: number;
}

export class RunStop {
  private readonly controller = new AbortController();
  private cause: "timeout" | "aborted" | undefined;
  private readonly started = performance.now();
  private readonly spentMs: number;
  private readonly deadline: number;
  private readonly wallTimer: NodeJS.Timeout;
  private readonly onCallerAbort = (): void => {
    this.interrupt("aborted");
  };

  constructor(private readonly options: RunStopOptions) {
    this.spentMs = options.spentMs ?? 0;
    const leftMs = Math.max(0, options.budgets.maxWallMs - this.spentMs);
    this.deadline = Date.now() + leftMs;
    // Node fires longer timeouts at once; a budget of more than 24 days is no budget anyway.
    this.wallTimer = setTimeout(() => this.interrupt("timeout"), Math.min(leftMs, MAX_TIMEOUT_MS));
    if (options.signal?.aborted) this.onCallerAbort();
    options.signal?.addEventListener("abort", this.onCallerAbort, { once: true });
  }

  /** Aborts when the caller cancels or the wall time runs out. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Milliseconds left of the wall-time budget. */
  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /** Wall time the run has used, a resumed run's earlier part included. */
  elapsedMs(): number {
    return Math.round(this.spentMs + performance.now() - this.started);
  }

  /** Why the run must stop before its next model turn, or undefined when it may go on. */
  beforeTurn(state: RunState): RunEnd | undefined {
    const interrupted = this.interrupted();
    if (interrupted) return interrupted;
    const { maxTurns, maxTokens } = state.budgets;
    if (state.turns >= maxTurns) {
      return {
        status: "max_turns",
        reason: `the turn budget of ${maxTurns} turns ran out before the model finished`,
      };
    }
    const spent = state.usage.promptTokens + state.usage.completionTokens;
    if (spent >= maxTokens) {
      return { status: "max_tokens", reason: `the token budget of ${maxTokens} tokens ran out (${spent} used)` };
    }
    return undefined;
  }

  /** Why the run ends with this turn (`state` is the state the turn started from), or undefined. */
  afterTurn(state: RunState, output: TurnOutput): RunEnd | undefined {
    if ("failure" in output) {
      switch (output.failure.code) {
        case "contextExhausted":
          return {
            status: "context_exhausted",
            reason: `the task, rules, tool definitions (${state.toolsTokens} tokens) and latest turns no longer fit the ${output.contextSize}-token context window; use a model with a larger context`,
          };
        case "scriptEnded":
          return {
            status: "script_ended",
            reason: `the script ended after ${state.turns} turn(s) without a final answer`,
          };
        case "interrupted":
          // The engine's own deadline can fire a moment before the wall timer does.
          return this.interrupt("timeout");
        case "engineError":
          return { status: "engine_error", reason: `the engine failed: ${output.failure.message}` };
      }
    }
    const { reply } = output;
    if (reply.finishReason === "aborted" && this.signal.aborted) return this.interrupted();
    if (reply.toolCalls.length > 0 || reply.callErrors.length > 0) return undefined;
    if (reply.finishReason !== "length") return { status: "completed", reason: "the model gave its final answer" };
    // Cut off: what the model wrote is not a final answer. Each limit has its own status, because
    // each has its own remedy; `truncated` is always the per-turn limit.
    const { maxTokens, maxTokensPerTurn } = state.budgets;
    switch (reply.limitedBy) {
      case "budget": {
        const spent =
          state.usage.promptTokens +
          state.usage.completionTokens +
          reply.usage.promptTokens +
          reply.usage.completionTokens;
        return {
          status: "max_tokens",
          reason: `the token budget of ${maxTokens} tokens ran out (${spent} used) in the middle of the model's reply`,
        };
      }
      case "context":
        return {
          status: "context_exhausted",
          reason: `the model's reply filled the rest of the ${output.contextSize}-token context window (${reply.maxTokens} tokens) before it finished; use a model with a larger context or ask for a smaller step`,
        };
      case "turn":
        return {
          status: "truncated",
          reason: `the model's reply was cut off at the per-turn limit of ${maxTokensPerTurn} tokens before it finished; raise the per-turn token limit or ask for a shorter answer`,
        };
    }
  }

  /** Why the run ends after a tool call: only cancellation or the wall time stop it there. */
  afterCall(): RunEnd | undefined {
    return this.interrupted();
  }

  /** Stops the wall timer and lets go of the caller's signal. */
  dispose(): void {
    clearTimeout(this.wallTimer);
    this.options.signal?.removeEventListener("abort", this.onCallerAbort);
  }

  private interrupt(cause: "timeout" | "aborted"): RunEnd {
    this.cause ??= cause;
    this.controller.abort();
    return this.interrupted()!;
  }

  private interrupted(): RunEnd | undefined {
    if (this.cause === undefined) return undefined;
    return this.cause === "aborted"
      ? { status: "aborted", reason: "the run was cancelled" }
      : {
          status: "timeout",
          reason: `the wall-time budget of ${Math.round(this.options.budgets.maxWallMs / 1000)} s ran out`,
        };
  }
}
