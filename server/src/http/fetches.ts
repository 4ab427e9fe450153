/**
 * The fetch each kind of caller gets from the host's one `HttpPolicy`, so that the LSP host and
 * every CLI command give the model store and the remote engines the same options, and a policy
 * whose audit lines and waits go to where that front end shows them.
 */
import type { FetchFunction } from "@bora/inference";
import { lineAuditLog } from "./audit.js";
import { SERVICE_LABEL, describeWait } from "./errors.js";
import { HttpPolicy, type WaitNotice } from "./policy.js";

/**
 * How long a remote engine may take to send its response headers: a long prompt on a busy server
 * is prefilled before the first byte.
 */
export const REMOTE_ENGINE_HEADERS_TIMEOUT_MS = 120_000;

/**
 * The model store's fetch: the response headers are timed out, the body never (a multi-GB download
 * takes as long as it takes; the downloader drops a body that goes quiet and resumes it).
 */
export function modelDownloadFetch(policy: HttpPolicy): FetchFunction {
  return policy.fetchFor("models", { timeout: "headers" });
}

/**
 * A remote engine's fetch: the headers are timed out generously and the streamed body is left to
 * the engine's idle timeout; a chat completion has no side effect on the server, so a 5xx or a
 * dropped connection is retried like a GET.
 */
export function remoteEngineFetch(policy: HttpPolicy): FetchFunction {
  return policy.fetchFor("engine", {
    timeout: "headers",
    timeoutMs: REMOTE_ENGINE_HEADERS_TIMEOUT_MS,
    idempotent: true,
  });
}

/**
 * The crash reporter's fetch: timed out and audited, but not retried or held on rate limits, since
 * the Sentry SDK reads the ingest's rate-limit headers and drops reports itself.
 */
export function crashReportFetch(policy: HttpPolicy): FetchFunction {
  return policy.fetchFor("crashReports", { retry: false });
}

/** A wait before a retry, in a line for a log or a terminal. */
export function formatWaitNotice(w: WaitNotice): string {
  return `${SERVICE_LABEL[w.service]} ${w.reason === "rateLimit" ? "rate limit" : `error ${w.cause}`}: waiting ${describeWait(w.ms)} before retrying`;
}

/**
 * A policy that writes one audit line per request with `audit` (none when it is undefined) and
 * says every wait with `warn`: the LSP host gives its logger, a CLI command its stderr.
 */
export function reportingHttpPolicy(
  audit: ((line: string) => void) | undefined,
  warn: (line: string) => void,
): HttpPolicy {
  return new HttpPolicy({
    ...(audit !== undefined ? { audit: lineAuditLog(audit) } : {}),
    onWait: (w) => warn(formatWaitNotice(w)),
  });
}
