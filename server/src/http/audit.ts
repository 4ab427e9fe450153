/**
 * The audit log: one line per outbound HTTP request of the host, so a user can see everything Bora
 * sent and where. Only time, service, method, host, path and outcome are kept: never a query string,
 * a header or a body, because those carry tokens and user content.
 */

export interface AuditEntry {
  /** ISO 8601 time the request started. */
  time: string;
  service: string;
  method: string;
  host: string;
  /** The URL path with secret-bearing parts masked (a Slack webhook's path is its secret). */
  path: string;
  /** The HTTP status, or the error code when no response came (`ECONNRESET`, `timeout`). */
  status: number | string;
  durationMs: number;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
}

export interface AuditLog {
  record(entry: AuditEntry): void;
}

export function formatAuditEntry(e: AuditEntry): string {
  const retry = e.attempt > 1 ? ` (attempt ${e.attempt})` : "";
  return `audit ${e.time} ${e.service} ${e.method} ${e.host}${e.path} ${e.status} ${e.durationMs}ms${retry}`;
}

/** An audit log that writes each entry as one line to a line sink (the host logger's `info`). */
export function lineAuditLog(write: (line: string) => void): AuditLog {
  return { record: (entry) => write(formatAuditEntry(entry)) };
}

/** An audit log that keeps entries in memory, for `bora items --audit` and tests. */
export class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  record(entry: AuditEntry): void {
    this.entries.push(entry);
  }
}

/**
 * Masks path segments that are secrets by construction. Slack incoming-webhook URLs
 * (`/services/T…/B…/<secret>`) authenticate by their path alone.
 */
export function auditPath(pathname: string): string {
  if (/^\/services\/[^/]+\/[^/]+\/[^/]+/.test(pathname)) return "/services/[redacted]";
  return pathname;
}
