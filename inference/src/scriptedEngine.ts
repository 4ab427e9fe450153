/**
 * `ScriptedEngine` replays a recorded list of model turns. Agent-loop tests and `bora run --engine
 * script:FILE` use it: everything below the model (tools, git, workflows) stays real, only the
 * model's words come from the script. Each call to `chat`, `complete` or `edit` consumes one turn, in
 * order; or, with `turnFrom: "conversation"`, a chat or edit request gets the turn numbered by the
 * assistant turns already in its conversation, so that a durable workflow replayed after a crash (in a
 * new process, with a new engine) asks for the same turn it asked for before.
 */
import type {
  ChatRequest,
  CompletionRequest,
  EditRequest,
  Engine,
  EngineInfo,
  GenerationOptions,
  StreamEvent,
  ToolCall,
} from "./engine.js";
import { EngineError } from "./errors.js";
import { timingOf } from "./timing.js";
import { RequestControl } from "./requestControl.js";

export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** One turn: what the model says next. The JSON form is the script file format of `bora run`. */
export interface ScriptedTurn {
  content?: string;
  tool_calls?: ScriptedToolCall[];
}

/** How a request picks its turn: the next in order, or by the assistant turns in its conversation. */
export type TurnChoice = "order" | "conversation";

export interface Script {
  turns: ScriptedTurn[];
  /** Defaults to `order`. */
  turnFrom?: TurnChoice;
  /**
   * Milliseconds between streamed chunks (see `ScriptedEngineOptions.chunkDelayMs`), so a test that
   * drives a scripted model through a server can watch a stream arrive and act during it. Defaults to 0.
   */
  chunkDelayMs?: number;
}

/** What the engine was asked, in order; tests assert on it (e.g. that a tool result reached the model). */
export type RecordedRequest =
  | { kind: "chat"; request: ChatRequest }
  | { kind: "complete"; request: CompletionRequest }
  | { kind: "edit"; request: EditRequest };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks a parsed script file and returns it typed. Errors name the turn and field, so a user who
 * wrote the file by hand can fix it.
 */
export function parseScript(raw: unknown): Script {
  const fail = (where: string, what: string): never => {
    throw new EngineError("invalidScript", `script ${where}: ${what}`);
  };
  if (!isRecord(raw) || !Array.isArray(raw["turns"])) fail("", 'expected an object {"turns": [...]}');
  const turns = (raw as { turns: unknown[] }).turns;
  const chunkDelayMs = (raw as { chunkDelayMs?: unknown }).chunkDelayMs;
  if (chunkDelayMs !== undefined && (typeof chunkDelayMs !== "number" || !(chunkDelayMs >= 0) || chunkDelayMs > 60_000))
    fail("chunkDelayMs", "expected a number of milliseconds from 0 to 60000");
  const turnFrom = (raw as { turnFrom?: unknown }).turnFrom;
  if (turnFrom !== undefined && turnFrom !== "order" && turnFrom !== "conversation")
    fail("turnFrom", 'expected "order" or "conversation"');
  return {
    ...(chunkDelayMs !== undefined ? { chunkDelayMs: chunkDelayMs as number } : {}),
    ...(turnFrom !== undefined ? { turnFrom: turnFrom as TurnChoice } : {}),
    turns: turns.map((turn, i): ScriptedTurn => {
      const where = `turns[${i}]`;
      if (!isRecord(turn)) return fail(where, "expected an object");
      const out: ScriptedTurn = {};
      if (turn["content"] !== undefined) {
        if (typeof turn["content"] !== "string") fail(`${where}.content`, "expected a string");
        out.content = turn["content"] as string;
      }
      if (turn["tool_calls"] !== undefined) {
        if (!Array.isArray(turn["tool_calls"])) fail(`${where}.tool_calls`, "expected an array");
        out.tool_calls = (turn["tool_calls"] as unknown[]).map((call, j) => {
          const at = `${where}.tool_calls[${j}]`;
          if (!isRecord(call) || typeof call["name"] !== "string" || call["name"] === "") {
            return fail(at, "expected {name: string, arguments: object}");
          }
          const args = call["arguments"] ?? {};
          if (!isRecord(args)) return fail(`${at}.arguments`, "expected an object");
          return { name: call["name"], arguments: args };
        });
      }
      if (out.content === undefined && out.tool_calls === undefined) fail(where, "needs content or tool_calls");
      return out;
    }),
  };
}

export interface ScriptedEngineOptions {
  /** Context window reported in `info`. Defaults to 32768. */
  contextSize?: number;
  /** Delay between streamed chunks in ms, to exercise streaming and cancellation. Defaults to 0. */
  chunkDelayMs?: number;
  /** How a request picks its turn. Defaults to the script's `turnFrom`, else `order`. */
  turnFrom?: TurnChoice;
}

/** Splits text into word-sized chunks with their trailing whitespace, so streaming is visible. */
function chunks(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * A rough, deterministic token count for scripted runs: words and punctuation each count as one.
 * Real engines use their tokenizer; this only has to be stable and monotone in the text's length.
 */
function roughTokenCount(text: string): number {
  return (text.match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? []).length;
}

export class ScriptedEngine implements Engine {
  readonly info: EngineInfo;
  readonly requests: RecordedRequest[] = [];
  private next = 0;
  private disposed = false;
  private callIds = 0;

  constructor(
    private readonly script: Script,
    private readonly options: ScriptedEngineOptions = {},
  ) {
    this.info = {
      kind: "scripted",
      model: "scripted",
      contextSize: options.contextSize ?? 32768,
      capabilities: { tools: true, fim: true, prediction: false },
    };
  }

  /** Turns not yet replayed. */
  get remainingTurns(): number {
    return this.script.turns.length - this.next;
  }

  chat(request: ChatRequest): AsyncIterable<StreamEvent> {
    this.requests.push({ kind: "chat", request });
    return this.replay(request, this.promptText(request.messages.map((m) => m.content)), this.turnIn(request.messages));
  }

  complete(request: CompletionRequest): AsyncIterable<StreamEvent> {
    this.requests.push({ kind: "complete", request });
    return this.replay(request, request.prompt + (request.suffix ?? ""));
  }

  edit(request: EditRequest): AsyncIterable<StreamEvent> {
    this.requests.push({ kind: "edit", request });
    return this.replay(request, this.promptText(request.messages.map((m) => m.content)), this.turnIn(request.messages));
  }

  async countTokens(text: string): Promise<number> {
    this.assertUsable();
    return roughTokenCount(text);
  }

  dispose(): Promise<void> {
    this.disposed = true;
    return Promise.resolve();
  }

  private promptText(parts: string[]): string {
    return parts.join("\n");
  }

  private assertUsable(): void {
    if (this.disposed) throw new EngineError("disposed", "the scripted engine was disposed");
  }

  /** The turn a conversation asks for when turns are chosen by conversation; else none (in order). */
  private turnIn(messages: readonly { role: string }[]): number | undefined {
    if ((this.options.turnFrom ?? this.script.turnFrom ?? "order") !== "conversation") return undefined;
    return messages.filter((m) => m.role === "assistant").length;
  }

  private takeTurn(index: number | undefined): ScriptedTurn {
    this.assertUsable();
    const at = index ?? this.next;
    const turn = this.script.turns[at];
    if (turn === undefined) {
      throw new EngineError(
        "scriptExhausted",
        `the script has no turn ${at + 1}: it ends after ${this.script.turns.length} turn(s)`,
      );
    }
    this.next = at + 1;
    return turn;
  }

  private async *replay(options: GenerationOptions, prompt: string, index?: number): AsyncGenerator<StreamEvent> {
    const started = performance.now();
    const turn = this.takeTurn(index);
    const promptTokens = roughTokenCount(prompt);
    let completionTokens = 0;
    let firstTokenAt: number | undefined;
    let lastTokenAt: number | undefined;
    const done = (finishReason: "stop" | "toolCalls" | "aborted"): StreamEvent => ({
      type: "done",
      finishReason,
      usage: { promptTokens, completionTokens },
      timing: timingOf({
        startedMs: started,
        firstTokenMs: firstTokenAt,
        lastTokenMs: lastTokenAt,
        endMs: performance.now(),
        completionTokens,
      }),
    });
    const control = new RequestControl(options.signal, options.deadlineMs);
    try {
      for (const piece of chunks(turn.content ?? "")) {
        if (!control.stopped && this.options.chunkDelayMs) await delay(this.options.chunkDelayMs, control.signal);
        if (control.stopped) {
          control.throwIfPastDeadline();
          yield done("aborted");
          return;
        }
        firstTokenAt ??= performance.now();
        lastTokenAt = performance.now();
        completionTokens += roughTokenCount(piece);
        yield { type: "text", text: piece };
      }
      const calls = turn.tool_calls ?? [];
      for (const call of calls) {
        const toolCall: ToolCall = { id: `call_${++this.callIds}`, name: call.name, arguments: call.arguments };
        firstTokenAt ??= performance.now();
        lastTokenAt = performance.now();
        completionTokens += roughTokenCount(JSON.stringify(call.arguments)) + 1;
        yield { type: "toolCall", call: toolCall };
      }
      yield done(calls.length > 0 ? "toolCalls" : "stop");
    } finally {
      control.dispose();
    }
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
