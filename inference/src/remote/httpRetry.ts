/**
 * One HTTP request to a remote engine with the failure handling every call shares: a timeout for
 * the response headers, bounded retries with exponential backoff on 429 and 5xx (and on a refused
 * or reset connection), honouring `Retry-After`, and an `AbortSignal` that stops all of it.
 */
import { RemoteEngineError } from "./remoteErrors.js";

export interface RetryPolicy {
  /** Retries after the first attempt. Defaults to 3. */
  maxRetries: number;
  /** First backoff delay in ms; doubled each retry, with jitter. Defaults to 500. */
  baseDelayMs: number;
  /** Longest wait between attempts, whether from backoff or `Retry-After`. Defaults to 20000. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ maxRetries: 3, baseDelayMs: 500, maxDelayMs: 20000 });

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP date), or undefined when
 * absent or unreadable.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The delay before retry number `attempt` (0-based): Retry-After when the server gave one, else jittered backoff. */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfter: number | undefined,
  random = Math.random,
): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxDelayMs);
  const exponential = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  // Half fixed, half random: clients that failed together do not retry together.
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

export interface RequestSpec {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

export interface SendOptions {
  /** The caller's cancellation; aborting it also closes a response stream already open. */
  signal?: AbortSignal;
  policy: RetryPolicy;
  /** Milliseconds to wait for response headers on each attempt. */
  headersTimeoutMs: number;
  fetch: typeof fetch;
  /** Server name used in error messages. */
  server: string;
  /** Called before each retry with the delay and why; for logs. Defaults to nothing. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
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

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RequestAborted("aborted"));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new RequestAborted("aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Sends the request, retrying as the policy allows. Resolves with the first response that is not
 * retryable (which may be an error status the caller maps); rejects with `RequestAborted`, or a
 * `RemoteEngineError` for timeouts, network failures and retries that ran out.
 */
export async function sendWithRetry(spec: RequestSpec, options: SendOptions): Promise<OpenResponse> {
  const { signal, policy } = options;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new RequestAborted("aborted");
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(new RequestAborted("aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    const release = (): void => signal?.removeEventListener("abort", onAbort);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error("headers timeout"));
    }, options.headersTimeoutMs);
    let response: Response | undefined;
    let failure: RemoteEngineError | undefined;
    try {
      response = await options.fetch(spec.url, {
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        signal: controller.signal,
      });
    } catch (error) {
      if (signal?.aborted) {
        release();
        throw new RequestAborted("aborted");
      }
      failure = timedOut
        ? new RemoteEngineError(
            "timeout",
            `${options.server} sent no response within ${options.headersTimeoutMs} ms. Is it overloaded, or is the base URL wrong?`,
            undefined,
            { cause: error },
          )
        : new RemoteEngineError(
            "network",
            `could not reach ${options.server} (${describeNetworkError(error)}). Check that it is running and the base URL is right.`,
            undefined,
            { cause: error },
          );
    } finally {
      clearTimeout(timer);
    }
    if (response !== undefined && !RETRYABLE_STATUS.has(response.status)) {
      return { response, abort: (reason) => controller.abort(reason), release };
    }
    release();
    const retryAfter = response ? retryAfterMs(response.headers.get("retry-after")) : undefined;
    if (attempt >= policy.maxRetries || (retryAfter !== undefined && retryAfter > policy.maxDelayMs)) {
      if (response !== undefined) return { response, abort: (reason) => controller.abort(reason), release };
      throw failure!;
    }
    // Drain the body of a response we retry, so its connection can be reused.
    if (response) await response.arrayBuffer().catch(() => undefined);
    const delayMs = backoffDelayMs(attempt, policy, retryAfter);
    options.onRetry?.({
      attempt: attempt + 1,
      delayMs,
      reason: response ? `HTTP ${response.status}` : (failure?.message ?? "network error"),
    });
    await sleep(delayMs, signal);
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
