/**
 * Preparing the prompt of a local request: a conversation rendered with the model's chat template
 * (tools in the system prompt, calls and results as the model writes them), a fill-in-the-middle
 * prompt laid out with the model's FIM tokens, the text stops of the template, and the grammars
 * that hold tool calls to their schemas, compiled once each.
 *
 * It is its own module because it decides what the model reads, while the generation loop decides
 * how it is run: a prompt is built completely before it waits for a sequence. The decisions that
 * need no model (tool mode, FIM layout, output budget, grammar texts) are plain functions.
 */
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaGrammar, LlamaModel } from "node-llama-cpp";
import type { ChatMessage, ChatRequest, CompletionRequest, EditRequest, ToolDefinition } from "../engine.js";
import { MAX_PARALLEL_TOOL_CALLS } from "../engine.js";
import { EngineError } from "../errors.js";
import type { GrammarLimits } from "./jsonSchemaGrammar.js";
import { REQUIRED_CALL_PREFIX, toPlainTurns, toolCallGrammar } from "./toolCalls.js";

/** How the output is read: plain text, a required tool call, or text that may turn into a call. */
export type ToolMode =
  { kind: "none" } | { kind: "required" | "auto"; tools: readonly ToolDefinition[]; maxCalls: number };

/** What the generation loop runs: the prompt's tokens and how to read what follows them. */
export interface PreparedPrompt {
  tokens: number[];
  /** Text that ends generation (the chat template's text stop triggers). */
  stops: string[];
  toolMode: ToolMode;
  /** Tokens of the prediction (edit only). */
  prediction?: number[];
  /** Extra tokens that end generation (FIM markers). */
  stopTokens?: number[];
}

/** The grammars of a request with tools: from the call's name on (required), or from `<tool_call>` on (auto). */
export interface ToolGrammars {
  required: string;
  afterOpen: string;
}

/** Grammar caches hold this many compiled grammars; tool sets change rarely within a session. */
const GRAMMAR_CACHE_SIZE = 64;

/** The tool mode of a chat request: `none` without tools, else required or auto, one call or several. */
export function toolModeFor(request: Pick<ChatRequest, "tools" | "toolChoice" | "parallelToolCalls">): ToolMode {
  const tools = request.toolChoice === "none" ? [] : (request.tools ?? []);
  if (tools.length === 0) return { kind: "none" };
  return {
    kind: request.toolChoice === "required" ? "required" : "auto",
    tools,
    maxCalls: request.parallelToolCalls === false ? 1 : MAX_PARALLEL_TOOL_CALLS,
  };
}

/** The grammar texts for a tool mode, or undefined when the output is plain text. */
export function toolGrammars(mode: ToolMode, limits: GrammarLimits | undefined): ToolGrammars | undefined {
  if (mode.kind === "none") return undefined;
  return {
    required: toolCallGrammar(mode.tools, { start: "name", limits, maxCalls: mode.maxCalls }),
    afterOpen: toolCallGrammar(mode.tools, { start: "open", limits, maxCalls: mode.maxCalls }),
  };
}

/** The model's FIM tokens, as node-llama-cpp reports them (null when the model has none). */
export interface InfillTokens {
  prefix: number | null;
  suffix: number | null;
  middle: number | null;
}

/**
 * A fill-in-the-middle prompt: PSM order (`<PRE> prefix <SUF> suffix <MID>`) when the model has a
 * middle token, else SPM (`<SUF> suffix <PRE> prefix`), which is llama.cpp's own convention. The
 * FIM markers end generation when the model writes one. Undefined when the model has no FIM tokens.
 */
export function infillPrompt(
  bos: readonly number[],
  infill: InfillTokens,
  prefix: readonly number[],
  suffix: readonly number[],
): { tokens: number[]; stopTokens: number[] } | undefined {
  const { prefix: pre, suffix: suf, middle } = infill;
  if (pre === null || suf === null) return undefined;
  const tokens =
    middle !== null ? [...bos, pre, ...prefix, suf, ...suffix, middle] : [...bos, suf, ...suffix, pre, ...prefix];
  return { tokens, stopTokens: [pre, suf, ...(middle !== null ? [middle] : [])] };
}

/**
 * The most tokens a request may generate: what it asked for (else the engine's default), never more
 * than what is left of its sequence after the prompt. Refuses a prompt that leaves no room.
 */
export function outputBudget(
  promptTokens: number,
  contextSize: number,
  maxTokens: number | undefined,
  defaultMaxTokens: number | undefined,
): number {
  if (promptTokens === 0) throw new RangeError("the prompt is empty and the model has no BOS token to start from");
  if (promptTokens >= contextSize) {
    throw new EngineError(
      "contextOverflow",
      `the prompt takes ${promptTokens} tokens but a sequence holds ${contextSize}; shorten the conversation or raise the context size setting`,
    );
  }
  const room = contextSize - promptTokens;
  return Math.min(maxTokens ?? defaultMaxTokens ?? room, room);
}

export class PromptBuilder {
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly chatWrapper: ChatWrapper,
    /** The model's display name, for messages. */
    private readonly modelName: string,
  ) {}

  /** The model's tokens for `text`, as prompts are tokenized (no BOS, no special tokens). */
  tokenize(text: string): number[] {
    return this.model.tokenize(text, false, "trimLeadingSpace");
  }

  chat(request: ChatRequest): PreparedPrompt {
    const toolMode = toolModeFor(request);
    const rendered = this.renderChat(request.messages, toolMode.kind === "none" ? [] : toolMode.tools);
    // A required call starts with text the engine can write itself (see REQUIRED_CALL_PREFIX).
    if (toolMode.kind === "required") rendered.tokens.push(...this.tokenize(REQUIRED_CALL_PREFIX));
    return { ...rendered, toolMode };
  }

  edit(request: EditRequest): PreparedPrompt {
    return {
      ...this.renderChat(request.messages, []),
      toolMode: { kind: "none" },
      prediction: request.prediction === "" ? undefined : this.tokenize(request.prediction),
    };
  }

  complete(request: CompletionRequest): PreparedPrompt {
    const { bos: bosToken, shouldPrependBosToken, infill } = this.model.tokens;
    const bos = bosToken !== null && shouldPrependBosToken ? [bosToken] : [];
    if (request.suffix === undefined) {
      return { tokens: [...bos, ...this.tokenize(request.prompt)], stops: [], toolMode: { kind: "none" } };
    }
    const fim = infillPrompt(bos, infill, this.tokenize(request.prompt), this.tokenize(request.suffix));
    if (fim === undefined) throw this.noFim();
    return { ...fim, stops: [], toolMode: { kind: "none" } };
  }

  /** The compiled grammar for `text`; the same text is compiled once. */
  grammar(text: string): Promise<LlamaGrammar> {
    let grammar = this.grammars.get(text);
    if (grammar === undefined) {
      grammar = this.llama.createGrammar({ grammar: text });
      this.grammars.set(text, grammar);
      grammar.catch(() => this.grammars.delete(text));
      if (this.grammars.size > GRAMMAR_CACHE_SIZE) this.grammars.delete(this.grammars.keys().next().value as string);
    }
    return grammar;
  }

  /** Renders a conversation with the model's chat template, ending at the start of the assistant turn. */
  private renderChat(
    messages: readonly ChatMessage[],
    tools: readonly ToolDefinition[],
  ): { tokens: number[]; stops: string[] } {
    const history: ChatHistoryItem[] = toPlainTurns(messages, tools).map((turn) =>
      turn.role === "model"
        ? { type: "model", response: [turn.text] }
        : turn.role === "system"
          ? { type: "system", text: turn.text }
          : { type: "user", text: turn.text },
    );
    history.push({ type: "model", response: [] });
    const state = this.chatWrapper.generateContextState({ chatHistory: history });
    const tokens: number[] = state.contextText.tokenize(this.model.tokenizer);
    // Stop triggers that are plain text; special-token triggers end generation as EOG tokens already.
    const stops = state.stopGenerationTriggers
      .filter((t) => t.values.every((v) => typeof v === "string"))
      .map((t) => t.values.join(""))
      .filter((s) => s !== "");
    return { tokens, stops };
  }

  private noFim(): EngineError {
    return new EngineError(
      "noFim",
      `${this.modelName} has no fill-in-the-middle tokens, so it cannot complete between a prefix and a suffix; use a code model with FIM (e.g. a Qwen2.5-Coder or StarCoder2 GGUF) for completions`,
    );
  }
}
