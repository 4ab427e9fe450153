/**
 * The one error the HTTP policy and every integration throw: which service, what went wrong in words
 * a user can act on, and the HTTP status when there was one. Integration sources map their client
 * library's errors into this. It keeps its first users' name; for the services outside
 * `integrations/` (model downloads, remote engines) `inference/` reads it by its `kind` (the
 * `FetchFailure` contract of `inference/src/fetchFunction.ts`) and words it itself.
 */
import { CodedError } from "@bora/inference";

/** Every service the host talks HTTP to; each names its requests in the audit log. */
export type ServiceName = "github" | "jira" | "sentry" | "slack" | "models" | "engine" | "crashReports";

export const SERVICE_LABEL: Record<ServiceName, string> = {
  github: "GitHub",
  jira: "Jira",
  sentry: "Sentry",
  slack: "Slack",
  models: "Model server",
  engine: "Remote engine",
  crashReports: "Crash-report server",
};

export type IntegrationErrorKind =
  | "auth" // 401: the credential is missing, wrong or expired
  | "forbidden" // 403 without a rate limit: the credential lacks a scope or permission
  | "notFound" // 404
  | "gone" // 410: removed, or an archived channel
  | "invalid" // 400/409/422: the request was refused as it stands
  | "rateLimited" // 403/429 with a wait longer than the policy allows
  | "unavailable" // 5xx after the retries ran out
  | "network" // connection refused or reset, DNS, TLS
  | "timeout"
  | "config"; // Bora is not configured for this call

export class IntegrationError extends CodedError<IntegrationErrorKind> {
  override readonly name = "IntegrationError";
  readonly service: ServiceName;
  readonly kind: IntegrationErrorKind;
  readonly status: number | undefined;
  /** For `rateLimited`: when the service said to come back, as epoch milliseconds. */
  readonly retryAt: number | undefined;
  /** For `timeout`: how long the policy waited, in ms. */
  readonly timeoutMs: number | undefined;
  /** For `network`: the error code of the failed connection (`ECONNREFUSED`, ...), when there was one. */
  readonly networkCode: string | undefined;

  constructor(
    service: ServiceName,
    kind: IntegrationErrorKind,
    message: string,
    details: { status?: number; retryAt?: number; timeoutMs?: number; networkCode?: string; cause?: unknown } = {},
  ) {
    super(kind, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.service = service;
    this.kind = kind;
    this.status = details.status;
    this.retryAt = details.retryAt;
    this.timeoutMs = details.timeoutMs;
    this.networkCode = details.networkCode;
  }
}

/** The kind an HTTP status stands for, before a source adds what it knows (rate-limit headers, bodies). */
export function kindOfStatus(status: number): IntegrationErrorKind {
  if (status === 401) return "auth";
  if (status === 403) return "forbidden";
  if (status === 404) return "notFound";
  if (status === 410) return "gone";
  if (status === 429) return "rateLimited";
  if (status >= 500) return "unavailable";
  return "invalid";
}

/** Formats a wait for a message: "250 ms", "42 s", "3 min", "1 h 5 min". */
export function describeWait(ms: number): string {
  // Under a second only in tests and tight timeouts, where "1 s" would misstate the figure.
  if (ms > 0 && ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 120) return `${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}
