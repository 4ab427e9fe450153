/**
 * How `inference/` talks HTTP: never through the global `fetch`, always through a `FetchFunction`
 * its caller passes in. The host passes the fetch of its one HTTP policy, which times out, retries,
 * waits out rate limits and writes an audit line per request; `inference/` keeps only what is
 * specific to it (mapping statuses to its errors, idle timeouts on a body, resuming a download).
 */

/** The `fetch` signature. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Why a `FetchFunction` gave up, as far as a caller needs to word it. The host's policy rejects
 * with an error that carries `kind` (`timeout`, `network`, `rateLimited`) and the facts below; a
 * plain `fetch` rejects with a `TypeError` whose `cause` has the code, which counts as `network`.
 */
export interface FetchFailure {
  kind: "timeout" | "network" | "rateLimited";
  /** The connection's error code (`ECONNREFUSED`, `ECONNRESET`, ...), when there was one. */
  networkCode?: string;
  /** For `timeout`: how long the fetch waited, in ms, when it said. */
  timeoutMs?: number;
  /** For `rateLimited`: when the server said to come back, as epoch ms, when it said. */
  retryAt?: number;
  /** The status of a rate limit, when there was one. */
  status?: number;
  /** The fetch's own words, for logs and the `cause` of the caller's error. */
  message: string;
}

const KINDS = new Set<FetchFailure["kind"]>(["timeout", "network", "rateLimited"]);

function field<T>(value: unknown, key: string, type: "string" | "number"): T | undefined {
  const v = (value as Record<string, unknown>)[key];
  return typeof v === type ? (v as T) : undefined;
}

/** The error code of a failed connection, looking through the `cause` chain (undici nests it). */
function codeInChain(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === "object"; depth++) {
    const code = field<string>(current, "code", "string");
    if (code !== undefined && code !== "") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Reads a `FetchFunction`'s rejection. Call it only after checking the caller's own signal: an
 * abort the caller asked for is not a failure. Unknown errors count as `network`.
 */
export function fetchFailure(error: unknown): FetchFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error !== null && typeof error === "object") {
    const kind = field<string>(error, "kind", "string");
    if (kind !== undefined && KINDS.has(kind as FetchFailure["kind"])) {
      const failure: FetchFailure = { kind: kind as FetchFailure["kind"], message };
      const networkCode = field<string>(error, "networkCode", "string") ?? codeInChain(error);
      const timeoutMs = field<number>(error, "timeoutMs", "number");
      const retryAt = field<number>(error, "retryAt", "number");
      const status = field<number>(error, "status", "number");
      if (networkCode !== undefined && kind === "network") failure.networkCode = networkCode;
      if (timeoutMs !== undefined) failure.timeoutMs = timeoutMs;
      if (retryAt !== undefined) failure.retryAt = retryAt;
      if (status !== undefined) failure.status = status;
      return failure;
    }
    if ((error as { name?: unknown }).name === "TimeoutError") return { kind: "timeout", message };
  }
  const networkCode = codeInChain(error);
  return networkCode === undefined ? { kind: "network", message } : { kind: "network", networkCode, message };
}
