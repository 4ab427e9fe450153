/**
 * Serves any `Engine` as an OpenAI-compatible HTTP API: `/v1/models`, `/v1/chat/completions`
 * (streaming and not, with tool calls), `/v1/completions` (with `suffix` for FIM) and `/tokenize`.
 * `bora engine serve` runs it over the local engine, so one GPU box can serve a team and any
 * OpenAI client can use it; tests run it over a scripted engine.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  isEngineError,
  type Engine,
  type FinishReason,
  type Priority,
  type StreamEvent,
  type Usage,
} from "@bora/inference";
import { bearerMatches } from "./bearerToken.js";
import { ApiError, parseChatBody, parseCompletionBody, type StreamFlags } from "./openaiRequests.js";

export interface EngineHttpServerOptions {
  engine: Engine;
  /** The model id clients name in requests and `/v1/models` lists. Defaults to `engine.info.model`. */
  modelId?: string;
  /** When set, every request except `/health` must carry `Authorization: Bearer <token>`. Defaults to none. */
  token?: string;
  /** Largest request body accepted, in bytes. Defaults to 16 MiB. */
  maxBodyBytes?: number;
  /** One line per request (method, path, status, ms); never headers or bodies. Defaults to nothing. */
  log?: (line: string) => void;
}

const PRIORITIES: readonly Priority[] = ["interactive", "chat", "background"];

type ToolEvent = Extract<StreamEvent, { type: "toolCall" | "toolCallError" }>;

function wireFinish(reason: FinishReason): string {
  return reason === "toolCalls" ? "tool_calls" : reason === "length" ? "length" : "stop";
}

function wireUsage(usage: Usage): Record<string, unknown> {
  const out: Record<string, unknown> = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
  if (usage.cachedPromptTokens !== undefined)
    out["prompt_tokens_details"] = { cached_tokens: usage.cachedPromptTokens };
  if (usage.acceptedPredictionTokens !== undefined)
    out["completion_tokens_details"] = { accepted_prediction_tokens: usage.acceptedPredictionTokens };
  return out;
}

function wireToolCall(event: ToolEvent): { id: string; name: string; arguments: string } {
  // A call the engine could not parse is passed on as the model wrote it, so the client sees (and reports) the same error.
  return event.type === "toolCall"
    ? { id: event.call.id, name: event.call.name, arguments: JSON.stringify(event.call.arguments) }
    : { id: event.id, name: event.name, arguments: event.rawArguments };
}

/** Maps engine failures to the HTTP status an OpenAI client expects. */
function apiErrorFor(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isEngineError(error)) {
    switch (error.code) {
      case "busy":
        return new ApiError(429, error.message, null, "busy", "rate_limit_error");
      case "contextOverflow":
        return new ApiError(400, error.message, "messages", "context_length_exceeded");
      case "noFim":
        return new ApiError(400, error.message, "suffix", "fim_not_supported");
      case "deadline":
        return new ApiError(504, error.message, null, "deadline");
      case "disposed":
        return new ApiError(503, error.message, null, "engine_stopped");
      default:
        return new ApiError(500, error.message, null, error.code);
    }
  }
  return new ApiError(500, `the engine failed: ${error instanceof Error ? error.message : String(error)}`);
}

function errorBody(error: ApiError): string {
  return JSON.stringify({ error: { message: error.message, type: error.type, param: error.param, code: error.code } });
}

export class EngineHttpServer {
  readonly server: http.Server;
  private readonly modelId: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly open = new Set<AbortController>();

  constructor(private readonly options: EngineHttpServerOptions) {
    this.modelId = options.modelId ?? options.engine.info.model;
    this.server = http.createServer((req, res) => void this.handle(req, res));
    // Streams can be long; Node's default request timeout (5 min) would cut a long generation.
    this.server.requestTimeout = 0;
  }

  /** Starts listening; resolves with the base URL (including `/v1`). Port 0 picks a free port. */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        const address = this.server.address() as AddressInfo;
        const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
        resolve(`http://${shown}:${address.port}/v1`);
      });
    });
  }

  /** Stops accepting, aborts running generations and waits for connections to close. */
  async close(): Promise<void> {
    for (const controller of this.open) controller.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    res.on("finish", () =>
      this.options.log?.(`${req.method} ${path} ${res.statusCode} ${Math.round(performance.now() - started)}ms`),
    );
    try {
      if (path === "/health") return this.json(res, 200, { status: "ok" });
      if (this.options.token !== undefined && !bearerMatches(req.headers.authorization, this.options.token)) {
        res.setHeader("www-authenticate", 'Bearer realm="bora"');
        throw new ApiError(
          401,
          "missing or wrong bearer token: send 'Authorization: Bearer <token>'",
          null,
          "invalid_api_key",
        );
      }
      const route = `${req.method} ${path}`;
      switch (route) {
        case "GET /v1/models":
          return this.json(res, 200, {
            object: "list",
            data: [
              {
                id: this.modelId,
                object: "model",
                created: this.created,
                owned_by: "bora",
                max_model_len: this.options.engine.info.contextSize,
              },
            ],
          });
        case "POST /v1/chat/completions":
          return await this.chat(req, res);
        case "POST /v1/completions":
          return await this.completion(req, res);
        case "POST /tokenize": {
          const body = (await this.body(req)) as { content?: unknown; prompt?: unknown };
          const text = typeof body.content === "string" ? body.content : body.prompt;
          if (typeof text !== "string") throw new ApiError(400, "content: expected a string", "content");
          return this.json(res, 200, { count: await this.options.engine.countTokens(text) });
        }
      }
      if (["/v1/models", "/v1/chat/completions", "/v1/completions", "/tokenize"].includes(path)) {
        throw new ApiError(405, `${req.method} is not allowed on ${path}`);
      }
      throw new ApiError(
        404,
        `there is no endpoint ${path} on this server (it serves /v1/chat/completions, /v1/completions, /v1/models)`,
      );
    } catch (error) {
      const apiError = apiErrorFor(error);
      if (res.headersSent) return;
      if (apiError.status === 429) res.setHeader("retry-after", "1");
      res.writeHead(apiError.status, { "content-type": "application/json" });
      res.end(errorBody(apiError));
    }
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  private async body(req: http.IncomingMessage): Promise<unknown> {
    const limit = this.options.maxBodyBytes ?? 16 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new ApiError(413, `the request body is larger than ${limit} bytes`);
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      throw new ApiError(400, "the request body is not valid JSON");
    }
  }

  private checkModel(body: unknown): void {
    const model = (body as { model?: unknown }).model;
    if (model !== undefined && model !== this.modelId) {
      throw new ApiError(
        404,
        `The model '${String(model)}' does not exist; this server serves '${this.modelId}'.`,
        "model",
        "model_not_found",
      );
    }
  }

  private priority(req: http.IncomingMessage): Priority | undefined {
    const header = req.headers["x-bora-priority"];
    return typeof header === "string" && (PRIORITIES as readonly string[]).includes(header)
      ? (header as Priority)
      : undefined;
  }

  /** An AbortController that fires when the client goes away before the answer is complete. */
  private abortOnDisconnect(res: http.ServerResponse): AbortController {
    const controller = new AbortController();
    this.open.add(controller);
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
      this.open.delete(controller);
    });
    return controller;
  }

  private async chat(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await this.body(req);
    this.checkModel(body);
    const parsed = parseChatBody(body);
    const controller = this.abortOnDisconnect(res);
    const priority = this.priority(req);
    const common = { signal: controller.signal, ...(priority ? { priority } : {}) };
    const stream =
      parsed.kind === "edit"
        ? this.options.engine.edit({ ...parsed.request, ...common })
        : this.options.engine.chat({ ...parsed.request, ...common });
    await this.answer(res, stream, parsed, "chat");
  }

  private async completion(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await this.body(req);
    this.checkModel(body);
    const parsed = parseCompletionBody(body);
    const controller = this.abortOnDisconnect(res);
    const priority = this.priority(req);
    const stream = this.options.engine.complete({
      ...parsed.request,
      signal: controller.signal,
      ...(priority ? { priority } : {}),
    });
    await this.answer(res, stream, parsed, "completion");
  }

  /** Writes an engine stream as SSE chunks, or collects it into one JSON answer. */
  private async answer(
    res: http.ServerResponse,
    stream: AsyncIterable<StreamEvent>,
    flags: StreamFlags,
    kind: "chat" | "completion",
  ): Promise<void> {
    const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "")}`;
    const base = {
      id,
      object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: this.modelId,
    };
    const iterator = stream[Symbol.asyncIterator]();
    // Pull the first event before any header goes out, so an engine that refuses (busy, bad
    // request) still gets a proper HTTP error status instead of an error inside a 200 stream.
    let first = await iterator.next();
    if (!flags.stream) {
      let text = "";
      const tools: ToolEvent[] = [];
      let finish: FinishReason = "stop";
      let usage: Usage = { promptTokens: 0, completionTokens: 0 };
      for (let step = first; !step.done; step = await iterator.next()) {
        const event = step.value;
        if (event.type === "text") text += event.text;
        else if (event.type === "done") ({ finishReason: finish, usage } = event);
        else tools.push(event);
      }
      if (res.destroyed) return;
      const choice =
        kind === "chat"
          ? {
              index: 0,
              message: {
                role: "assistant",
                content: text === "" && tools.length > 0 ? null : text,
                ...(tools.length > 0
                  ? {
                      tool_calls: tools.map((t) => {
                        const call = wireToolCall(t);
                        return {
                          id: call.id,
                          type: "function",
                          function: { name: call.name, arguments: call.arguments },
                        };
                      }),
                    }
                  : {}),
              },
              logprobs: null,
              finish_reason: wireFinish(finish),
            }
          : { index: 0, text, logprobs: null, finish_reason: wireFinish(finish) };
      return this.json(res, 200, {
        ...base,
        object: kind === "chat" ? "chat.completion" : "text_completion",
        choices: [choice],
        usage: wireUsage(usage),
      });
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const send = (payload: unknown): void => {
      if (!res.destroyed) res.write(`data: ${JSON.stringify(payload)}\n\n`);
    };
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): unknown =>
      kind === "chat"
        ? { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }
        : {
            ...base,
            choices: [
              { index: 0, text: (delta["content"] as string | undefined) ?? "", logprobs: null, finish_reason: finish },
            ],
          };
    if (kind === "chat") send(chunk({ role: "assistant", content: "" }));
    let toolIndex = 0;
    try {
      for (; !first.done; first = await iterator.next()) {
        const event = first.value;
        if (res.destroyed) break;
        switch (event.type) {
          case "text":
            send(chunk({ content: event.text }));
            break;
          case "toolCall":
          case "toolCallError": {
            const call = wireToolCall(event);
            const index = toolIndex++;
            // Name first, arguments after, the way real servers stream them.
            send(
              chunk({
                tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
              }),
            );
            send(chunk({ tool_calls: [{ index, function: { arguments: call.arguments } }] }));
            break;
          }
          case "done":
            send(chunk({}, wireFinish(event.finishReason)));
            if (flags.includeUsage) send({ ...base, choices: [], usage: wireUsage(event.usage) });
            break;
        }
      }
      if (!res.destroyed) res.end("data: [DONE]\n\n");
    } catch (error) {
      // Headers are gone; report the failure the way OpenAI-compatible servers do, inside the stream.
      const apiError = apiErrorFor(error);
      if (!res.destroyed) res.end(`data: ${errorBody(apiError)}\n\n`);
    } finally {
      await iterator.return?.();
    }
  }
}
