/**
 * The `Engine` interface: everything in Bora that needs a model codes against this, never against
 * node-llama-cpp or an HTTP client. Every call streams its output as an async iterable of events
 * that ends with exactly one `done` event, and takes an `AbortSignal` that stops it promptly.
 */

/**
 * Who is waiting for a request. The scheduler serves `interactive` (inline edits, completions)
 * before `chat` before `background` (agents working on their own).
 */
export type Priority = "interactive" | "chat" | "background";

/** A JSON Schema object describing a tool's arguments (draft 2020-12 subset). */
export type JsonSchema = Record<string, unknown>;

export interface ToolDefinition {
  /** Stable name the model calls, e.g. `read_file`. */
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonSchema;
}

export interface ToolCall {
  /** Unique within a conversation; tool results refer back to it. */
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string };

export interface GenerationOptions {
  /** Stops the request; the stream then ends with `finishReason: "aborted"`. */
  signal?: AbortSignal;
  /** Scheduling class. Defaults to `chat`. */
  priority?: Priority;
  /** Most tokens to generate. Defaults to the engine's own limit. */
  maxTokens?: number;
  /** 0 means greedy decoding. Defaults to 0. */
  temperature?: number;
  /** Seed for sampling when `temperature` > 0. Defaults to a fixed seed, so runs repeat. */
  seed?: number;
  /** Strings that end generation when produced (not included in the output). */
  stop?: string[];
  /**
   * Milliseconds from the call until the request must have finished; past it the engine ends the
   * request with an `EngineError` of code `deadline`. Defaults to no deadline.
   */
  deadlineMs?: number;
}

export interface ChatRequest extends GenerationOptions {
  messages: ChatMessage[];
  /** Tools the model may call. Local engines constrain tool calls by grammar so they always parse. */
  tools?: ToolDefinition[];
  /** `auto` lets the model choose; `required` forces a tool call; `none` forbids one. Defaults to `auto`. */
  toolChoice?: "auto" | "required" | "none";
  /**
   * Whether the model may make several calls in one turn (OpenAI's `parallel_tool_calls`).
   * Defaults to true; the local engine then allows up to `MAX_PARALLEL_TOOL_CALLS`.
   */
  parallelToolCalls?: boolean;
}

/** Most calls the local engine lets a model make in one turn when parallel calls are allowed. */
export const MAX_PARALLEL_TOOL_CALLS = 4;

export interface CompletionRequest extends GenerationOptions {
  /** Text before the cursor. */
  prompt: string;
  /** Text after the cursor; when given, the engine does fill-in-the-middle (needs FIM tokens). */
  suffix?: string;
}

export interface EditRequest extends GenerationOptions {
  /** Conversation that asks for the edit (instruction, surrounding code, rules). */
  messages: ChatMessage[];
  /**
   * The text the output is expected to resemble (usually the original selection). Engines use it
   * for speculative decoding; it never changes what greedy decoding produces, only how fast.
   */
  prediction: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens that were already in the KV cache and did not need evaluating. */
  cachedPromptTokens?: number;
  /** Predicted tokens the model accepted (edit requests only). */
  acceptedPredictionTokens?: number;
}

export interface Timing {
  /** Milliseconds from the call to the first generated token. */
  ttftMs: number;
  /** Milliseconds from the call to the end. */
  totalMs: number;
  /** Decode speed: the tokens after the first over the time from the first to the last (`decodeTokensPerSecond`). */
  tokensPerSecond: number;
}

export type FinishReason = "stop" | "length" | "toolCalls" | "aborted";

export type StreamEvent =
  | { type: "text"; text: string }
  | { type: "toolCall"; call: ToolCall }
  /**
   * The model tried to call a tool but the call could not be used (unparsable or schema-invalid
   * arguments from a remote engine). The agent reports it back to the model as a tool error.
   */
  | { type: "toolCallError"; id: string; name: string; rawArguments: string; message: string }
  | { type: "done"; finishReason: FinishReason; usage: Usage; timing: Timing };

export interface EngineCapabilities {
  tools: boolean;
  /** Whether `complete()` accepts a `suffix` (the model has FIM tokens or the server an FIM endpoint). */
  fim: boolean;
  /** Whether `edit()` uses the prediction to go faster (otherwise it is a plain chat). */
  prediction: boolean;
}

export interface EngineInfo {
  kind: "local" | "remote" | "scripted";
  /** Display name of the model. */
  model: string;
  /** Context window in tokens. */
  contextSize: number;
  capabilities: EngineCapabilities;
}

export interface Engine {
  readonly info: EngineInfo;
  chat(request: ChatRequest): AsyncIterable<StreamEvent>;
  complete(request: CompletionRequest): AsyncIterable<StreamEvent>;
  edit(request: EditRequest): AsyncIterable<StreamEvent>;
  /** Number of tokens `text` takes in this engine's tokenizer. */
  countTokens(text: string, signal?: AbortSignal): Promise<number>;
  /** Frees the model and every sequence; later calls fail with code `disposed`. */
  dispose(): Promise<void>;
}

export interface CollectedResult {
  text: string;
  toolCalls: ToolCall[];
  toolCallErrors: Extract<StreamEvent, { type: "toolCallError" }>[];
  finishReason: FinishReason;
  usage: Usage;
  timing: Timing;
}

/** Drains a stream into one result; useful where nothing is shown while the model writes. */
export async function collect(stream: AsyncIterable<StreamEvent>): Promise<CollectedResult> {
  let text = "";
  const toolCalls: ToolCall[] = [];
  const toolCallErrors: CollectedResult["toolCallErrors"] = [];
  for await (const event of stream) {
    switch (event.type) {
      case "text":
        text += event.text;
        break;
      case "toolCall":
        toolCalls.push(event.call);
        break;
      case "toolCallError":
        toolCallErrors.push(event);
        break;
      case "done":
        return {
          text,
          toolCalls,
          toolCallErrors,
          finishReason: event.finishReason,
          usage: event.usage,
          timing: event.timing,
        };
    }
  }
  throw new Error("engine stream ended without a done event");
}
