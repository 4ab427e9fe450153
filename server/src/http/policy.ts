/**
 * The one HTTP policy of the host: every outbound request (integrations, model downloads, remote
 * engines, crash reports) goes through a fetch made here. A timeout per attempt (or, for streams
 * and downloads, for the response headers only), bounded exponential retries on 5xx and network
 * errors, waits on rate limits taken from the service's headers but capped (a task never sleeps
 * for an hour without saying so: a longer wait fails with the time to come back), and an audit
 * line per attempt. GitHub's Octokit plugins get their numbers from the same object. This is the
 * only module of the product that may call the global `fetch` (an ESLint rule says so).
 */
import type { FetchFunction } from "@bora/inference";
import { IntegrationError, SERVICE_LABEL, describeWait, type ServiceName } from "./errors.js";
import { auditPath, type AuditLog } from "./audit.js";

export type { FetchFunction };

export interface WaitNotice {
  service: ServiceName;
  /** How long the policy is about to wait, in the service's terms (before `timeScale`). */
  ms: number;
  reason: "rateLimit" | "retry";
  /** The status or error code that caused the wait. */
  cause: number | string;
}

export interface HttpPolicyOptions {
  /**
   * Time one attempt may take, response headers and body included (a fetch with `timeout:
   * "headers"` gives it to the headers only). Defaults to 30 000 ms.
   */
  timeoutMs?: number;
  /**
   * Retries after the first attempt: for 5xx and network errors of idempotent requests, refused
   * connections and short rate limits of any. Defaults to 3.
   */
  maxRetries?: number;
  /** The first retry's delay; each further retry doubles it, plus up to 20 % jitter. Defaults to 500 ms. */
  baseDelayMs?: number;
  /** The longest delay between retries of a failed request. Defaults to 8 000 ms. */
  maxDelayMs?: number;
  /**
   * The longest rate-limit wait the policy sleeps through. A longer one fails at once with an error
   * that says when the limit resets. Defaults to 60 000 ms.
   */
  maxRateLimitWaitMs?: number;
  /**
   * Multiplies every wait that is actually slept (not the decisions or messages): tests use 0.001 so
   * "wait 2 s" takes 2 ms. Defaults to 1.
   */
  timeScale?: number;
  /** Where each attempt is recorded. Defaults to no audit (tests and the CLI always pass one). */
  audit?: AuditLog;
  /** Told before every wait, so waits are never silent. Defaults to nothing. */
  onWait?: (notice: WaitNotice) => void;
  /** The fetch underneath. Defaults to `globalThis.fetch`. */
  fetch?: FetchFunction;
  /** Defaults to `Date.now`. */
  now?: () => number;
  /** Defaults to `Math.random`. */
  random?: () => number;
}

/** What one caller's fetch needs that others do not; the policy's numbers stay the same for all. */
export interface PolicyFetchOptions {
  /**
   * Whether this fetch retries and waits itself. Octokit's retry and throttling plugins do that for
   * GitHub (configured from this policy), so its fetch only times out and audits. Defaults to true.
   */
  retry?: boolean;
  /**
   * What the timeout bounds. `attempt`: the whole attempt, headers and body, right for JSON APIs.
   * `headers`: only the wait for the response headers; the body is then the caller's to time with
   * its own idle timeout, so an SSE chat completion or a multi-GB download that keeps arriving is
   * never cut. Defaults to `attempt`.
   */
  timeout?: "attempt" | "headers";
  /** This fetch's timeout in ms (a long prompt on a busy engine takes a while to answer). Defaults to the policy's `timeoutMs`. */
  timeoutMs?: number;
  /**
   * Whether every request of this fetch may be sent twice, whatever its method. A chat completion
   * POST changes nothing on the server, so a 5xx or a dropped connection retries it as it retries a
   * GET. Defaults to false: POST and PATCH retry only on refused connections and rate limits.
   */
  idempotent?: boolean;
}

/**
 * Methods that may be sent twice. A POST or PATCH that failed with a 5xx or a dropped connection
 * may have been done anyway, so it is not retried (workflows look up before they create); it is
 * retried on a refused connection or a rate limit, where the service did nothing.
 */
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

const RETRYABLE_NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** The error code of a failed fetch (`ECONNRESET`, ...), looking through undici's `cause` chain. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export class HttpPolicy {
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRateLimitWaitMs: number;
  readonly timeScale: number;
  readonly audit: AuditLog | undefined;
  private readonly onWait: ((notice: WaitNotice) => void) | undefined;
  private readonly baseFetch: FetchFunction;
  readonly now: () => number;
  private readonly random: () => number;

  constructor(options: HttpPolicyOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 8_000;
    this.maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? 60_000;
    this.timeScale = options.timeScale ?? 1;
    this.audit = options.audit;
    this.onWait = options.onWait;
    // The one use of the global fetch in the product (read at call time, so test guards see it).
    this.baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The delay before retry number `retry` (1-based) of a failed request. */
  backoffMs(retry: number): number {
    const exponential = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return Math.round(exponential * (1 + 0.2 * this.random()));
  }

  /** Sleeps `ms` of service time (scaled by `timeScale`), or rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
    const real = Math.max(0, ms * this.timeScale);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, real);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Decides whether a rate-limit wait the service asked for is short enough to sleep through, and
   * says so before it happens. Used by the fetch below and by Octokit's throttling callbacks.
   */
  allowRateLimitWait(service: ServiceName, waitMs: number, retryCount: number, cause: number | string): boolean {
    if (retryCount >= this.maxRetries || waitMs > this.maxRateLimitWaitMs) return false;
    this.onWait?.({ service, ms: waitMs, reason: "rateLimit", cause });
    return true;
  }

  /** The error for a rate limit longer than the cap: what happened, and when to try again. */
  rateLimitError(service: ServiceName, status: number, waitMs: number): IntegrationError {
    const label = SERVICE_LABEL[service];
    const at = new Date(this.now() + waitMs);
    return new IntegrationError(
      service,
      "rateLimited",
      `${label} rate limit reached (HTTP ${status}); it resets in ${describeWait(waitMs)} at ${at.toISOString()}. ` +
        `Bora waits at most ${describeWait(this.maxRateLimitWaitMs)}: retry the task after the reset.`,
      { status, retryAt: at.getTime() },
    );
  }

  /** A fetch for one service that applies this policy, with that caller's options. */
  fetchFor(service: ServiceName, options: PolicyFetchOptions = {}): FetchFunction {
    const retrying = options.retry ?? true;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const headersOnly = options.timeout === "headers";
    return async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      // The body is read once, so that a retry can send it again.
      const body = request.body === null ? undefined : await request.arrayBuffer();
      const idempotent = options.idempotent === true || IDEMPOTENT.has(request.method);
      for (let attempt = 1; ; attempt++) {
        const started = this.now();
        const timer = attemptTimer(timeoutMs, headersOnly);
        const signal = init?.signal ? AbortSignal.any([init.signal, timer.signal]) : timer.signal;
        const record = (status: number | string): void =>
          this.audit?.record({
            time: new Date(started).toISOString(),
            service,
            method: request.method,
            host: url.host,
            path: auditPath(url.pathname),
            status,
            durationMs: this.now() - started,
            attempt,
          });
        let response: Response;
        try {
          response = await this.baseFetch(url, {
            method: request.method,
            headers: request.headers,
            body,
            signal,
            redirect: request.redirect,
          });
        } catch (error) {
          if (init?.signal?.aborted) {
            record("aborted");
            throw error;
          }
          const timedOut = timer.signal.aborted;
          const code = timedOut ? "timeout" : (networkCode(error) ?? "network");
          record(code);
          const retryable =
            code === "ECONNREFUSED" || (idempotent && (timedOut || RETRYABLE_NETWORK.has(code) || code === "network"));
          if (retrying && retryable && attempt <= this.maxRetries) {
            const wait = this.backoffMs(attempt);
            this.onWait?.({ service, ms: wait, reason: "retry", cause: code });
            await this.sleep(wait, init?.signal);
            continue;
          }
          throw this.networkError(service, url, code, timedOut ? timeoutMs : undefined, attempt, error);
        } finally {
          // With a headers-only timeout the body is the caller's from here on.
          if (headersOnly) timer.clear();
        }
        record(response.status);
        if (!retrying || response.ok) return response;
        const rateWait = await rateLimitWaitMs(response, this.now());
        if (rateWait !== undefined) {
          if (this.allowRateLimitWait(service, rateWait, attempt - 1, response.status)) {
            await response.body?.cancel();
            await this.sleep(rateWait, init?.signal);
            continue;
          }
          if (rateWait > this.maxRateLimitWaitMs) {
            await response.body?.cancel();
            throw this.rateLimitError(service, response.status, rateWait);
          }
          return response;
        }
        if (response.status >= 500 && idempotent && attempt <= this.maxRetries) {
          await response.body?.cancel();
          const wait = this.backoffMs(attempt);
          this.onWait?.({ service, ms: wait, reason: "retry", cause: response.status });
          await this.sleep(wait, init?.signal);
          continue;
        }
        return response;
      }
    };
  }

  private networkError(
    service: ServiceName,
    url: URL,
    code: string,
    timeoutMs: number | undefined,
    tries: number,
    cause: unknown,
  ): IntegrationError {
    const label = SERVICE_LABEL[service];
    const times = tries === 1 ? "1 try" : `${tries} tries`;
    if (timeoutMs !== undefined)
      return new IntegrationError(
        service,
        "timeout",
        `${label} at ${url.host} did not answer within ${describeWait(timeoutMs)} (${times}). Check the URL and your connection.`,
        { timeoutMs, cause },
      );
    return new IntegrationError(
      service,
      "network",
      `Could not reach ${label} at ${url.host} (${code}, ${times}). Check the URL setting, your network or proxy.`,
      { ...(code !== "network" ? { networkCode: code } : {}), cause },
    );
  }
}

/**
 * The timer of one attempt. For a whole-attempt timeout it is `AbortSignal.timeout`, which also
 * bounds the body and never keeps the process alive; a headers-only one is cleared once they arrive.
 */
function attemptTimer(ms: number, headersOnly: boolean): { signal: AbortSignal; clear(): void } {
  if (!headersOnly) return { signal: AbortSignal.timeout(ms), clear: () => undefined };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("no response headers in time", "TimeoutError")), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * How long a response asks the client to wait before trying again, or undefined when it is not a
 * rate limit. Reads `Retry-After` (seconds or HTTP date) first, then the reset headers of GitHub
 * (`x-ratelimit-reset`, epoch s, when remaining is 0), Sentry (`x-sentry-rate-limit-reset`, epoch s)
 * and Jira (`x-ratelimit-reset`, ISO 8601). A 429 without any of them waits one backoff step; a 403
 * counts only when its headers or body say it is a rate limit.
 */
export async function rateLimitWaitMs(response: Response, now: number): Promise<number | undefined> {
  const { status, headers } = response;
  if (status !== 429 && status !== 403 && status !== 503) return undefined;
  const retryAfter = headers.get("retry-after");
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  if (status === 503) return undefined;
  const reset = headers.get("x-sentry-rate-limit-reset") ?? headers.get("x-ratelimit-reset");
  const exhausted =
    headers.get("x-ratelimit-remaining") === "0" || headers.get("x-sentry-rate-limit-remaining") === "0";
  if (reset !== null && (exhausted || status === 429)) {
    const epoch = /^\d+(\.\d+)?$/.test(reset) ? Number(reset) * 1000 : Date.parse(reset);
    if (Number.isFinite(epoch)) return Math.max(0, epoch - now + 1000);
  }
  if (status === 429) return 1000;
  // A 403 is a rate limit only if the body says so (GitHub's secondary limit without retry-after).
  const text = await response
    .clone()
    .text()
    .catch(() => "");
  if (/secondary rate limit/i.test(text)) return 60_000;
  return undefined;
}
