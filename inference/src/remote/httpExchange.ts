/**
 * One HTTP exchange with a remote engine: sends the request through the fetch the engine was given
 * (the host's policy, which times out the response headers, retries 429/5xx and dropped
 * connections with backoff, honours `Retry-After` and audits), ties it to the caller's
 * `AbortSignal`, and turns a fetch that gave up into a `RemoteEngineError`. What stays here is what
 * only the engine knows: its server's name in messages, and the idle timeout on a response body.
 */
import { fetchFailure, type FetchFunction } from "../fetchFunction.js";
import { RemoteEngineError } from "./remoteErrors.js";

export interface RequestSpec {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

export interface SendOptions {
  /** The caller's cancellation; aborting it also closes a response stream already open. */
  signal?: AbortSignal;
  fetch: FetchFunction;
  /** Server name used in error messages. */
  server: string;
}

export interface OpenResponse {
  response: Response;
  /** Aborts this response's connection (used for stream idle timeouts and when the consumer stops early). */
  abort(reason?: unknown): void;
  /** Stops listening to the caller's signal; call once the body has been read. */
  release(): void;
}

/** Thrown inside the request machinery when the caller aborted; the engine turns it into `finishReason: "aborted"`. */
export class RequestAborted extends Error {
  override readonly name = "RequestAborted";
}

/**
 * Sends the request. Resolves with the response, whatever its status (the caller maps error
 * statuses, which the fetch hands back once its retries ran out); rejects with `RequestAborted`,
 * or a `RemoteEngineError` for a server that gave no answer (timeout, network, a rate limit longer
 * than the fetch waits).
 */
export async function send(spec: RequestSpec, options: SendOptions): Promise<OpenResponse> {
  const { signal } = options;
  if (signal?.aborted) throw new RequestAborted("aborted");
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(new RequestAborted("aborted"));
  signal?.addEventListener("abort", onAbort, { once: true });
  const release = (): void => signal?.removeEventListener("abort", onAbort);
  try {
    const response = await options.fetch(spec.url, {
      method: spec.method,
      headers: spec.headers,
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      signal: controller.signal,
    });
    return { response, abort: (reason) => controller.abort(reason), release };
  } catch (error) {
    release();
    if (signal?.aborted) throw new RequestAborted("aborted");
    throw fetchError(error, options.server);
  }
}

/** The engine's error for a fetch that gave up, in words that say what to check. */
function fetchError(error: unknown, server: string): RemoteEngineError {
  const failure = fetchFailure(error);
  switch (failure.kind) {
    case "timeout": {
      const within = failure.timeoutMs !== undefined ? ` within ${failure.timeoutMs} ms` : " in time";
      return new RemoteEngineError(
        "timeout",
        `${server} sent no response${within}. Is it overloaded, or is the base URL wrong?`,
        undefined,
        { cause: error },
      );
    }
    case "rateLimited": {
      const until = failure.retryAt !== undefined ? ` until ${new Date(failure.retryAt).toISOString()}` : "";
      return new RemoteEngineError(
        "rateLimited",
        `${server} is rate limiting requests${until}, longer than Bora waits. Try again later or lower the number of parallel agents.`,
        failure.status,
        { cause: error },
      );
    }
    case "network":
      return new RemoteEngineError(
        "network",
        `could not reach ${server} (${failure.networkCode ?? failure.message}). Check that it is running and the base URL is right.`,
        undefined,
        { cause: error },
      );
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/**
 * The body of a streaming response, chunk by chunk, failing with a `timeout` error when the server
 * goes quiet for longer than `idleTimeoutMs`, and with `RequestAborted` when the caller aborts.
 */
export async function* readBody(
  open: OpenResponse,
  options: { idleTimeoutMs: number; signal?: AbortSignal; server: string },
): AsyncGenerator<Uint8Array> {
  const body = open.response.body;
  if (body === null) return;
  const reader = body.getReader();
  let idle = false;
  try {
    for (;;) {
      const timer = setTimeout(() => {
        idle = true;
        open.abort(new Error("idle timeout"));
      }, options.idleTimeoutMs);
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        // The idle timer aborts through the same controller as the caller, so check it first.
        if (idle) {
          throw new RemoteEngineError(
            "timeout",
            `${options.server} sent nothing for ${options.idleTimeoutMs} ms in the middle of a response.`,
            undefined,
            { cause: error },
          );
        }
        if (options.signal?.aborted) throw new RequestAborted("aborted");
        throw new RemoteEngineError(
          "network",
          `the connection to ${options.server} broke in the middle of a response (${describeNetworkError(error)}).`,
          undefined,
          { cause: error },
        );
      } finally {
        clearTimeout(timer);
      }
      if (result.done) return;
      yield result.value;
    }
  } finally {
    // Reached on normal end, on error and when the consumer stops early: in every case the
    // connection must close, so that the server stops generating.
    open.abort(new RequestAborted("closed"));
    reader.releaseLock();
    open.release();
  }
}

/** Reads a whole (non-streaming) body as text under the idle timeout. */
export async function readText(
  open: OpenResponse,
  options: { idleTimeoutMs: number; signal?: AbortSignal; server: string },
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of readBody(open, options)) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
