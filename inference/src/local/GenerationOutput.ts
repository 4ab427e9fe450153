/**
 * What one local request has produced, and the events the caller sees of it: generated tokens
 * decoded to text without splitting characters, stop strings and stop tokens, the route of each
 * piece of text (plain text, or the tool call the model opened), the switch to the call grammar,
 * the finish reason, and at the end the parsed tool calls and the `done` event with usage and
 * timing.
 *
 * It is separate from the generation loop because none of this needs the model: the loop feeds it
 * tokens, step by step, and yields what it hands back. It is tested on its own with a fake
 * detokenizer.
 */
import type { FinishReason, StreamEvent } from "../engine.js";
import { decodeTokensPerSecond } from "../timing.js";
import { OutputRouter } from "./outputRouter.js";
import type { ToolMode } from "./PromptBuilder.js";
import { TokenTextDecoder, type Detokenize } from "./textOutput.js";
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, parseToolCalls } from "./toolCalls.js";

/** Which tool-call grammar holds the output now: none, the whole call (required), or from `<tool_call>` on. */
export type GrammarPhase = "required" | "afterOpen" | undefined;

export interface GenerationOutputOptions {
  toolMode: ToolMode;
  /** Text that ends generation; it never reaches the caller. */
  stops: readonly string[];
  /** Tokens that end generation without being output (FIM markers). */
  stopTokens: readonly number[];
  /** Most tokens to generate. */
  maxTokens: number;
  detokenize: Detokenize;
  /** A new tool-call id, unique within the engine. */
  nextCallId: () => string;
}

/** One decode step's result, as the output reads it. */
export interface StepTokens {
  tokens: readonly number[];
  /** The model ended generation. */
  finished: boolean;
  /** Predicted tokens the model agreed with. */
  accepted: number;
}

export class GenerationOutput {
  /** The tokens generated so far: the output of a request that resumes after a preemption. */
  readonly generated: number[] = [];
  private readonly decoder: TokenTextDecoder;
  private readonly router: OutputRouter;
  private readonly stopTokens: ReadonlySet<number>;
  private phase: GrammarPhase;
  private reason: FinishReason | undefined;
  private readonly pending: StreamEvent[] = [];
  private accepted = 0;
  private firstTokenAt: number | undefined;
  private lastTokenAt: number | undefined;

  constructor(private readonly options: GenerationOutputOptions) {
    this.decoder = new TokenTextDecoder(options.detokenize);
    this.router = new OutputRouter(options.toolMode.kind, options.stops);
    this.stopTokens = new Set(options.stopTokens);
    this.phase = options.toolMode.kind === "required" ? "required" : undefined;
  }

  get grammarPhase(): GrammarPhase {
    return this.phase;
  }

  /** Why generation ended; undefined while it goes on. */
  get finish(): FinishReason | undefined {
    return this.reason;
  }

  /**
   * Takes one step's tokens, up to the first that ends generation or changes the grammar phase.
   * Returns whether the phase changed: the rest of the output needs the call grammar. `now` is
   * when the step returned.
   */
  take(step: StepTokens, now: number): boolean {
    const phase = this.phase;
    let switched = false;
    this.accepted += step.accepted;
    if (step.tokens.length > 0) {
      this.firstTokenAt ??= now;
      this.lastTokenAt = now;
    }
    for (const token of step.tokens) {
      if (this.stopTokens.has(token)) {
        this.reason = "stop";
        break;
      }
      this.generated.push(token);
      this.emit(this.decoder.push(token));
      if (this.router.stopped) this.reason = "stop";
      else if (this.generated.length >= this.options.maxTokens) this.reason = "length";
      if (this.phase !== phase) switched = true;
      if (this.reason !== undefined || switched) break;
    }
    if (this.reason === undefined && step.finished) this.reason = "stop";
    return switched;
  }

  /** The sequence is full: generation ends as if `maxTokens` were reached. */
  contextFull(): void {
    this.reason ??= "length";
  }

  /** The events produced since the last call. */
  drain(): StreamEvent[] {
    return this.pending.splice(0);
  }

  /**
   * Ends the output: text held back, then the tool calls the model wrote (each a `toolCall`, or a
   * `toolCallError` when it is cut off or does not parse). `aborted` ends it without parsing calls.
   */
  end(aborted: boolean): StreamEvent[] {
    if (aborted) this.reason = "aborted";
    this.emit(this.decoder.flush());
    const rest = this.router.end();
    if (rest !== "") this.pending.push({ type: "text", text: rest });
    const mode = this.options.toolMode;
    if (this.router.mode === "call" && mode.kind !== "none" && this.reason !== "aborted") {
      let callText = this.router.callText;
      // The required-call grammar ends at the closing brace; the model then ended the turn.
      if (mode.kind === "required" && this.reason === "stop") callText += TOOL_CALL_CLOSE;
      for (const parsed of parseToolCalls(callText, mode.tools)) {
        const id = this.options.nextCallId();
        if (parsed.complete && parsed.ok) {
          this.pending.push({ type: "toolCall", call: { id, name: parsed.name, arguments: parsed.arguments } });
          this.reason = "toolCalls";
        } else {
          const message = !parsed.complete ? "the tool call was cut off by maxTokens" : parsed.ok ? "" : parsed.message;
          this.pending.push({ type: "toolCallError", id, name: parsed.name, rawArguments: parsed.text, message });
        }
      }
    }
    return this.drain();
  }

  /**
   * The `done` event. `started` is when the request was made; the rate counts the tokens after the
   * first, whose own time is the time to first token.
   */
  done(
    started: number,
    now: number,
    usage: { promptTokens: number; cachedPromptTokens: number; predicted: boolean },
  ): StreamEvent {
    const first = this.firstTokenAt ?? now;
    const last = this.lastTokenAt ?? now;
    const n = this.generated.length;
    return {
      type: "done",
      finishReason: this.reason ?? "aborted",
      usage: {
        promptTokens: usage.promptTokens,
        completionTokens: n,
        cachedPromptTokens: usage.cachedPromptTokens,
        ...(usage.predicted ? { acceptedPredictionTokens: this.accepted } : {}),
      },
      timing: {
        ttftMs: first - started,
        totalMs: now - started,
        tokensPerSecond: decodeTokensPerSecond(n, first, last),
      },
    };
  }

  private emit(text: string): void {
    const visible = this.router.push(text);
    if (visible !== "") this.pending.push({ type: "text", text: visible });
    // The model opened a tool call on its own: the rest of it is written under the call grammar.
    // (If the token that completed `<tool_call>` already went past it, the call stays unconstrained
    // and is checked when it ends.)
    if (this.router.mode === "call" && this.phase === undefined && this.router.callText === TOOL_CALL_OPEN) {
      this.phase = "afterOpen";
    }
  }
}
