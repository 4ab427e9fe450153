/**
 * `RemoteEngine` is the `Engine` interface over an OpenAI-compatible HTTP API (vLLM, llama.cpp
 * server, Ollama, Mistral, OpenAI, or another Bora host running `bora engine serve`). It streams
 * with SSE, puts tool-call fragments back together and validates them, uses the preset's FIM
 * endpoint for `complete()` with a suffix, and closes the HTTP stream when the caller aborts.
 */
import type {
  ChatMessage,
  CompletionRequest,
  ChatRequest,
  EditRequest,
  Engine,
  EngineInfo,
  FinishReason,
  GenerationOptions,
  StreamEvent,
  ToolDefinition,
  Usage,
} from "../engine.js";
import { EngineError } from "../errors.js";
import type { FetchFunction } from "../fetchFunction.js";
import { RequestControl } from "../requestControl.js";
import { timingOf } from "../timing.js";
import { RequestAborted, readBody, readText, send, type OpenResponse } from "./httpExchange.js";
import { REMOTE_PRESETS, type RemotePreset, type RemotePresetName } from "./presets.js";
import { RemoteEngineError, errorForStatus, type ApiKeyFacts } from "./remoteErrors.js";
import { parseSse } from "./sse.js";
import { ToolCallAssembler, type ToolArgumentsValidator, type ToolCallFragment } from "./toolCallAssembler.js";
import { toWireMessages, toWireTools } from "./wireMessages.js";

export interface RemoteEngineOptions {
  /** Which kind of server this is; sets the defaults and quirks below. Defaults to `openai`. */
  preset?: RemotePresetName;
  /** Base URL including `/v1`. Defaults to the preset's (e.g. `http://127.0.0.1:8080/v1` for llama.cpp). */
  baseUrl?: string;
  /** The model name the server knows (`/v1/models`). */
  model: string;
  /** Model for fill-in-the-middle, e.g. `codestral-latest` on Mistral. Defaults to `model`. */
  fimModel?: string;
  /**
   * API key, sent as `Authorization: Bearer`. Defaults to the first of the preset's environment
   * variables that is set (`BORA_REMOTE_API_KEY`, then e.g. `MISTRAL_API_KEY`), else none.
   */
  apiKey?: string;
  /** Environment to read the key from. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Context window reported in `info`. Defaults to what `/v1/models` reports (via `connect`), else 8192. */
  contextSize?: number;
  /** Checks streamed tool calls against their tool's schema (the host passes its ajv validator). */
  validator: ToolArgumentsValidator;
  /** Use SSE streaming; turn off for proxies that buffer streams. Defaults to true. */
  stream?: boolean;
  /** Milliseconds of silence allowed in the middle of a response. Defaults to 60000. */
  idleTimeoutMs?: number;
  /** Extra headers on every request (e.g. an organisation id). Defaults to none. */
  headers?: Record<string, string>;
  /**
   * How every request goes out. The host passes its policy's fetch (`remoteEngineFetch`), which
   * times out the response headers, retries 429, 5xx and dropped connections (a chat completion has
   * no side effect), waits out `Retry-After` and audits each request; the engine itself never
   * retries, so this fetch decides how patient it is.
   */
  fetch: FetchFunction;
}

/** One chat completion chunk, as far as this engine reads it. */
interface ChunkChoice {
  delta?: { content?: string | null; tool_calls?: ToolCallFragment[] };
  message?: { content?: string | null; tool_calls?: ToolCallFragment[] };
  text?: string;
  finish_reason?: string | null;
}

interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { accepted_prediction_tokens?: number };
}

interface Chunk {
  choices?: ChunkChoice[];
  usage?: WireUsage | null;
  error?: unknown;
  /** llama.cpp `/infill` streams `{content, stop}` instead of choices. */
  content?: string;
  stop?: boolean;
  stopped_limit?: boolean;
  tokens_predicted?: number;
  tokens_evaluated?: number;
}

type Endpoint = "chat" | "completions" | "mistralFim" | "llamacppInfill";

const DEFAULT_CONTEXT_SIZE = 8192;

export class RemoteEngine implements Engine {
  readonly info: EngineInfo;
  readonly preset: RemotePreset;
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly inFlight = new Set<RequestControl>();
  private disposed = false;

  constructor(private readonly options: RemoteEngineOptions) {
    this.preset = REMOTE_PRESETS[options.preset ?? "openai"];
    this.baseUrl = (options.baseUrl ?? this.preset.defaultBaseUrl).replace(/\/+$/, "");
    const env = options.env ?? process.env;
    this.apiKey =
      options.apiKey ??
      this.preset.apiKeyEnv.map((name) => env[name]).find((v) => v !== undefined && v !== "") ??
      this.preset.placeholderApiKey;
    this.info = {
      kind: "remote",
      model: options.model,
      contextSize: options.contextSize ?? DEFAULT_CONTEXT_SIZE,
      capabilities: { tools: true, fim: this.preset.fim !== "none", prediction: this.preset.prediction },
    };
  }

  /**
   * Creates the engine after asking the server's `/v1/models` whether it serves the model, so a
   * wrong base URL, key or model name fails at start-up with a clear error instead of on the first
   * request. The context size comes from the listing when the server reports one.
   */
  static async connect(options: RemoteEngineOptions & { signal?: AbortSignal }): Promise<RemoteEngine> {
    const probe = new RemoteEngine(options);
    const listing = await probe.listModels(options.signal);
    const wanted = options.model;
    const entry = listing.find((m) => m.id === wanted || m.id === `${wanted}:latest`);
    if (listing.length > 0 && entry === undefined) {
      throw new RemoteEngineError(
        "modelNotFound",
        `${probe.serverName} does not serve the model '${wanted}'; it serves ${listing.map((m) => `'${m.id}'`).join(", ")}. Set the model name to one of them.`,
        404,
      );
    }
    const contextSize = options.contextSize ?? entry?.contextSize;
    return contextSize === undefined ? probe : new RemoteEngine({ ...options, contextSize });
  }

  /** The models the server lists, with their context size when it says (`max_model_len`, `context_length`, `meta.n_ctx_train`). */
  async listModels(signal?: AbortSignal): Promise<{ id: string; contextSize?: number }[]> {
    const text = await this.requestJson("GET", `${this.baseUrl}/models`, undefined, signal);
    const data = (parseJson(text, this.serverName) as { data?: unknown }).data;
    if (!Array.isArray(data)) throw this.protocolError("the model list has no data array");
    return data.flatMap((m: unknown) => {
      if (typeof m !== "object" || m === null || typeof (m as { id?: unknown }).id !== "string") return [];
      const entry = m as {
        id: string;
        max_model_len?: unknown;
        context_length?: unknown;
        meta?: { n_ctx_train?: unknown };
      };
      const size = [entry.max_model_len, entry.context_length, entry.meta?.n_ctx_train].find(
        (v): v is number => typeof v === "number" && v > 0,
      );
      return [size === undefined ? { id: entry.id } : { id: entry.id, contextSize: size }];
    });
  }

  chat(request: ChatRequest): AsyncIterable<StreamEvent> {
    return this.run("chat", request, this.chatBody(request.messages, request), request.tools ?? []);
  }

  edit(request: EditRequest): AsyncIterable<StreamEvent> {
    const body = this.chatBody(request.messages, request);
    if (this.preset.prediction) body["prediction"] = { type: "content", content: request.prediction };
    return this.run("chat", request, body, []);
  }

  complete(request: CompletionRequest): AsyncIterable<StreamEvent> {
    if (request.suffix === undefined) return this.run("completions", request, this.completionBody(request), []);
    switch (this.preset.fim) {
      case "mistral":
        return this.run("mistralFim", request, this.mistralFimBody(request), []);
      case "llamacppInfill":
        return this.run("llamacppInfill", request, this.infillBody(request), []);
      case "completionsSuffix":
        return this.run("completions", request, this.completionBody(request), []);
      case "none":
        return failing(
          new EngineError(
            "noFim",
            `the ${this.preset.name} preset has no fill-in-the-middle endpoint; configure a FIM model on a server that has one (llama.cpp, Mistral or Bora's engine server).`,
          ),
        );
    }
  }

  async countTokens(text: string, signal?: AbortSignal): Promise<number> {
    this.assertUsable();
    if (!this.preset.tokenize) {
      // OpenAI-style APIs have no tokenizer endpoint: about four characters per token is the usual estimate.
      return Math.ceil(text.length / 4);
    }
    const body = JSON.stringify({ model: this.options.model, content: text, prompt: text, add_special: false });
    const answer = parseJson(
      await this.requestJson("POST", `${this.rootUrl}/tokenize`, body, signal),
      this.serverName,
    ) as {
      tokens?: unknown;
      count?: unknown;
    };
    if (typeof answer.count === "number") return answer.count;
    if (Array.isArray(answer.tokens)) return answer.tokens.length;
    throw this.protocolError("the /tokenize answer has neither count nor tokens");
  }

  dispose(): Promise<void> {
    this.disposed = true;
    for (const control of this.inFlight) control.close(new EngineError("disposed", "the engine was disposed"));
    this.inFlight.clear();
    return Promise.resolve();
  }

  /** The server's origin, for endpoints outside `/v1` (`/infill`, `/tokenize`). */
  private get rootUrl(): string {
    return this.baseUrl.replace(/\/v1$/, "");
  }

  private get serverName(): string {
    return `the ${this.preset.name} server at ${this.baseUrl}`;
  }

  private get streaming(): boolean {
    return this.options.stream ?? true;
  }

  private assertUsable(): void {
    if (this.disposed) throw new EngineError("disposed", "the remote engine was disposed");
  }

  private protocolError(what: string): RemoteEngineError {
    return new RemoteEngineError("protocol", `${this.serverName} answered in an unexpected format: ${what}.`);
  }

  private headers(request?: GenerationOptions): Record<string, string> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: this.streaming ? "text/event-stream, application/json" : "application/json",
      ...this.options.headers,
    };
    if (this.apiKey !== undefined) headers["authorization"] = `Bearer ${this.apiKey}`;
    // Bora's own server schedules by priority; other servers get no header they would not know.
    if (request?.priority !== undefined && this.preset.name === "bora") headers["x-bora-priority"] = request.priority;
    return headers;
  }

  /** The facts of a refused key; the host words where the key goes for its front end. */
  private apiKeyFacts(): ApiKeyFacts {
    return {
      sent: this.apiKey !== undefined && this.apiKey !== this.preset.placeholderApiKey,
      env: this.preset.apiKeyEnv,
    };
  }

  private sampling(request: GenerationOptions, seedField: "seed" | "random_seed"): Record<string, unknown> {
    const body: Record<string, unknown> = { temperature: request.temperature ?? 0 };
    if (request.maxTokens !== undefined) body["max_tokens"] = request.maxTokens;
    if (request.seed !== undefined) body[seedField] = request.seed;
    if (request.stop !== undefined && request.stop.length > 0) body["stop"] = request.stop;
    return body;
  }

  private chatBody(messages: ChatMessage[], request: ChatRequest | EditRequest): Record<string, unknown> {
    const mistral = this.preset.mistralMessageRules;
    const body: Record<string, unknown> = {
      model: this.options.model,
      messages: toWireMessages(messages, { mistralMessageRules: mistral }),
      ...this.sampling(request, mistral ? "random_seed" : "seed"),
      stream: this.streaming,
    };
    // Mistral reports usage in its last chunk unasked and refuses unknown fields.
    if (this.streaming && !mistral) body["stream_options"] = { include_usage: true };
    const tools = "tools" in request ? (request.tools ?? []) : [];
    if (tools.length > 0) {
      body["tools"] = toWireTools(tools);
      const choice = (request as ChatRequest).toolChoice ?? "auto";
      // Mistral spells "a tool call is required" as `any`.
      body["tool_choice"] = mistral && choice === "required" ? "any" : choice;
      const parallel = (request as ChatRequest).parallelToolCalls;
      // Sent only when the caller said so: the servers' defaults allow several, as ours does.
      if (parallel !== undefined) body["parallel_tool_calls"] = parallel;
    }
    return body;
  }

  private completionBody(request: CompletionRequest): Record<string, unknown> {
    const body: Record<string, unknown> = {
      model:
        this.options.fimModel !== undefined && request.suffix !== undefined
          ? this.options.fimModel
          : this.options.model,
      prompt: request.prompt,
      ...this.sampling(request, "seed"),
      stream: this.streaming,
    };
    if (request.suffix !== undefined) body["suffix"] = request.suffix;
    if (this.streaming) body["stream_options"] = { include_usage: true };
    return body;
  }

  private mistralFimBody(request: CompletionRequest): Record<string, unknown> {
    return {
      model: this.options.fimModel ?? this.options.model,
      prompt: request.prompt,
      suffix: request.suffix,
      ...this.sampling(request, "random_seed"),
      stream: this.streaming,
    };
  }

  private infillBody(request: CompletionRequest): Record<string, unknown> {
    const body: Record<string, unknown> = {
      input_prefix: request.prompt,
      input_suffix: request.suffix,
      temperature: request.temperature ?? 0,
      stream: this.streaming,
    };
    if (request.maxTokens !== undefined) body["n_predict"] = request.maxTokens;
    if (request.seed !== undefined) body["seed"] = request.seed;
    if (request.stop !== undefined && request.stop.length > 0) body["stop"] = request.stop;
    return body;
  }

  private url(endpoint: Endpoint): string {
    switch (endpoint) {
      case "chat":
        return `${this.baseUrl}/chat/completions`;
      case "completions":
        return `${this.baseUrl}/completions`;
      case "mistralFim":
        return `${this.baseUrl}/fim/completions`;
      case "llamacppInfill":
        return `${this.rootUrl}/infill`;
    }
  }

  /** A plain JSON request (model list, tokenize) through the same fetch, idle timeout and error mapping. */
  private async requestJson(method: "GET" | "POST", url: string, body: string | undefined, signal?: AbortSignal) {
    this.assertUsable();
    const controller = this.track(signal);
    try {
      const open = await this.send({ url, method, headers: this.headers(), body }, controller.signal);
      const text = await readText(open, this.readOptions(controller.signal));
      if (!open.response.ok) throw this.statusError(open.response.status, text);
      return text;
    } catch (error) {
      if (error instanceof RequestAborted) throw new EngineError("aborted", "the request was aborted");
      throw error;
    } finally {
      this.untrack(controller);
    }
  }

  private send(spec: Parameters<typeof send>[0], signal: AbortSignal): Promise<OpenResponse> {
    return send(spec, { signal, fetch: this.options.fetch, server: this.serverName });
  }

  private readOptions(signal: AbortSignal) {
    return { idleTimeoutMs: this.options.idleTimeoutMs ?? 60000, signal, server: this.serverName };
  }

  private statusError(status: number, body: string): RemoteEngineError {
    return errorForStatus(status, body, {
      server: this.serverName,
      model: this.options.model,
      apiKeyFacts: this.apiKeyFacts(),
    });
  }

  /** The control of one request: stopped by the caller's signal, its deadline and `dispose()`. */
  private track(signal: AbortSignal | undefined, deadlineMs?: number): RequestControl {
    const control = new RequestControl(signal, deadlineMs);
    this.inFlight.add(control);
    return control;
  }

  private untrack(control: RequestControl): void {
    control.dispose();
    this.inFlight.delete(control);
  }

  private async *run(
    endpoint: Endpoint,
    request: GenerationOptions,
    body: Record<string, unknown>,
    tools: readonly ToolDefinition[],
  ): AsyncGenerator<StreamEvent> {
    this.assertUsable();
    const started = performance.now();
    const controller = this.track(request.signal, request.deadlineMs);
    let firstTokenAt: number | undefined;
    let lastTokenAt: number | undefined;
    let finish: string | null | undefined;
    let usage: WireUsage | undefined;
    let streamedChunks = 0;
    const assembler = new ToolCallAssembler(tools, this.options.validator, {
      indexReuse: this.preset.toolCallIndexReuse,
    });
    const done = (reason: FinishReason): StreamEvent => {
      const completionTokens = usage?.completion_tokens ?? streamedChunks;
      const out: Usage = { promptTokens: usage?.prompt_tokens ?? 0, completionTokens };
      const cached = usage?.prompt_tokens_details?.cached_tokens;
      if (cached !== undefined) out.cachedPromptTokens = cached;
      const accepted = usage?.completion_tokens_details?.accepted_prediction_tokens;
      if (accepted !== undefined) out.acceptedPredictionTokens = accepted;
      return {
        type: "done",
        finishReason: reason,
        usage: out,
        timing: timingOf({
          startedMs: started,
          firstTokenMs: firstTokenAt,
          lastTokenMs: lastTokenAt,
          endMs: performance.now(),
          completionTokens,
        }),
      };
    };
    /** Takes one parsed chunk (or whole response) and returns the text it adds. */
    const absorb = (chunk: Chunk): string => {
      if (chunk.error !== undefined && chunk.error !== null) {
        const message =
          typeof chunk.error === "string"
            ? chunk.error
            : ((chunk.error as { message?: string }).message ?? JSON.stringify(chunk.error));
        throw new RemoteEngineError("serverError", `${this.serverName} failed in the middle of a response: ${message}`);
      }
      if (chunk.usage) usage = chunk.usage;
      let text = "";
      if (endpoint === "llamacppInfill") {
        text = chunk.content ?? "";
        if (chunk.stop === true) finish = chunk.stopped_limit === true ? "length" : "stop";
        if (chunk.tokens_predicted !== undefined)
          usage = { prompt_tokens: chunk.tokens_evaluated ?? 0, completion_tokens: chunk.tokens_predicted };
        return text;
      }
      for (const choice of chunk.choices ?? []) {
        const part = choice.delta ?? choice.message;
        text += part?.content ?? choice.text ?? "";
        for (const fragment of part?.tool_calls ?? []) assembler.add(fragment);
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      return text;
    };
    try {
      const open = await this.send(
        { url: this.url(endpoint), method: "POST", headers: this.headers(request), body: JSON.stringify(body) },
        controller.signal,
      );
      const readOptions = this.readOptions(controller.signal);
      const contentType = open.response.headers.get("content-type") ?? "";
      if (!open.response.ok) throw this.statusError(open.response.status, await readText(open, readOptions));
      if (contentType.includes("text/event-stream")) {
        let sawDone = false;
        for await (const event of parseSse(readBody(open, readOptions))) {
          if (event.data === "[DONE]") {
            sawDone = true;
            break;
          }
          if (event.event === "error") throw this.midStreamError(event.data);
          const text = absorb(parseJson(event.data, this.serverName) as Chunk);
          if (text !== "") {
            streamedChunks++;
            firstTokenAt ??= performance.now();
            lastTokenAt = performance.now();
            yield { type: "text", text };
          }
          if (endpoint === "llamacppInfill" && finish !== undefined) sawDone = true;
        }
        if (!sawDone && finish === undefined) {
          throw new RemoteEngineError(
            "network",
            `the stream from ${this.serverName} ended before the answer was complete (no finish reason, no [DONE]).`,
          );
        }
      } else {
        const text = absorb(parseJson(await readText(open, readOptions), this.serverName) as Chunk);
        firstTokenAt = lastTokenAt = performance.now();
        if (text !== "") {
          streamedChunks++;
          yield { type: "text", text };
        }
      }
      const calls = assembler.finish();
      for (const call of calls) yield call;
      yield done(finish === "length" ? "length" : finish === "tool_calls" || calls.length > 0 ? "toolCalls" : "stop");
    } catch (error) {
      controller.throwIfPastDeadline();
      if (this.disposed) throw new EngineError("disposed", "the remote engine was disposed during the request");
      if (error instanceof RequestAborted || controller.cause === "aborted") {
        yield done("aborted");
        return;
      }
      throw error;
    } finally {
      // Also reached when the consumer stops iterating early: closing the request closes the HTTP stream.
      controller.close(new RequestAborted("closed"));
      this.untrack(controller);
    }
  }

  private midStreamError(data: string): RemoteEngineError {
    return new RemoteEngineError("serverError", `${this.serverName} failed in the middle of a response: ${data}`);
  }
}

function parseJson(text: string, server: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RemoteEngineError(
      "protocol",
      `${server} answered in an unexpected format: not JSON (${JSON.stringify(text.slice(0, 120))}).`,
    );
  }
}

// eslint-disable-next-line require-yield
async function* failing(error: Error): AsyncGenerator<StreamEvent> {
  throw error;
}
