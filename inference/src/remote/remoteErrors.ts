/**
 * Errors from a remote engine. They are `EngineError`s (code `remote`, or `modelNotFound` when the
 * server does not serve the configured model) with the HTTP status and a `reason` to branch on,
 * a message that states what happened, and for a refused key the facts a front end needs to say
 * where the key goes (the engine does not know whether an editor or a terminal runs it).
 */
import { EngineError } from "../errors.js";

export type RemoteFailure =
  /** 401/403: the key is missing, wrong or lacks access. */
  | "unauthorized"
  /** 404 on the endpoint itself: wrong base URL or the server lacks the API. */
  | "notFound"
  /** The server does not serve the configured model. */
  | "modelNotFound"
  /** 429 after every retry. */
  | "rateLimited"
  /** 5xx after every retry. */
  | "serverError"
  /** 400/422: the server refused the request (e.g. tools without a tool-call parser on vLLM). */
  | "badRequest"
  /** No response headers, or no stream data, within the timeout. */
  | "timeout"
  /** Connection refused, reset or dropped. */
  | "network"
  /** The server answered something that is not the OpenAI format. */
  | "protocol";

/** What the engine knew about the API key when a server refused it. */
export interface ApiKeyFacts {
  /** Whether a key went with the request (a preset's placeholder key does not count). */
  sent: boolean;
  /** The environment variables the engine reads a key from when none is given, in order. */
  env: readonly string[];
}

export class RemoteEngineError extends EngineError {
  /** For `unauthorized`: what the engine knew about the key (never the key itself). Defaults to none. */
  readonly apiKeyFacts: ApiKeyFacts | undefined;

  constructor(
    readonly reason: RemoteFailure,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown; apiKeyFacts?: ApiKeyFacts },
  ) {
    super(reason === "modelNotFound" ? "modelNotFound" : "remote", message, options);
    this.apiKeyFacts = options?.apiKeyFacts;
  }
}

export function isRemoteEngineError(error: unknown, reason?: RemoteFailure): error is RemoteEngineError {
  return error instanceof RemoteEngineError && (reason === undefined || error.reason === reason);
}

/** Reads the message out of the error bodies servers send: `{error: {message}}`, `{error: "..."}`, `{message}`, `{detail}`. */
export function errorBodyMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const error = parsed["error"];
    if (typeof error === "string") return error;
    if (typeof error === "object" && error !== null) {
      const message = (error as Record<string, unknown>)["message"];
      if (typeof message === "string") return message;
    }
    for (const key of ["message", "detail"]) {
      const value = parsed[key];
      if (typeof value === "string") return value;
      if (Array.isArray(value)) return JSON.stringify(value);
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  const text = body.trim();
  return text === "" ? undefined : text.slice(0, 300);
}

function errorBodyCode(body: string): string | undefined {
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; type?: unknown } }).error;
    const code = error?.code ?? error?.type;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Maps a failed HTTP answer to an error whose message names the server, the model and, where it can, the fix. */
export function errorForStatus(
  status: number,
  body: string,
  context: { server: string; model: string; apiKeyFacts: ApiKeyFacts },
): RemoteEngineError {
  const said = errorBodyMessage(body);
  const detail = said === undefined ? "" : `: ${said}`;
  const code = errorBodyCode(body) ?? "";
  if (status === 401 || status === 403) {
    return new RemoteEngineError(
      "unauthorized",
      context.apiKeyFacts.sent
        ? `${context.server} refused the API key (HTTP ${status})${detail}.`
        : `${context.server} refused the request without an API key (HTTP ${status})${detail}.`,
      status,
      { apiKeyFacts: context.apiKeyFacts },
    );
  }
  const aboutModel =
    code === "model_not_found" || /\bmodel\b.*\b(not found|does not exist|not exist|unknown)\b/i.test(said ?? "");
  if ((status === 404 || status === 400) && aboutModel) {
    return new RemoteEngineError(
      "modelNotFound",
      `${context.server} does not serve the model '${context.model}'${detail}. Check the model name (its /v1/models lists what it serves).`,
      status,
    );
  }
  if (status === 404) {
    return new RemoteEngineError(
      "notFound",
      `${context.server} has no such endpoint (HTTP 404)${detail}. Check the base URL; it usually ends in /v1.`,
      status,
    );
  }
  if (status === 429) {
    return new RemoteEngineError(
      "rateLimited",
      `${context.server} is rate limiting requests (HTTP 429)${detail}. Try again later or lower the number of parallel agents.`,
      status,
    );
  }
  if (status >= 500) {
    return new RemoteEngineError("serverError", `${context.server} failed (HTTP ${status})${detail}.`, status);
  }
  return new RemoteEngineError(
    "badRequest",
    `${context.server} refused the request (HTTP ${status})${detail}.`,
    status,
  );
}
