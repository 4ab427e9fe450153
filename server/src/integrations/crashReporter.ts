/**
 * Crash reports of Bora itself through @sentry/node, off unless Bora's own DSN setting is given.
 * The user's `SENTRY_DSN` belongs to *their* app, so it is never read: no global `Sentry.init`,
 * a manual client with no default integrations (no source context, modules, host name, console,
 * http breadcrumbs or global handlers), and a `beforeSend` that keeps only what locates a bug in
 * Bora: exception types, scrubbed messages, and function/line/column of frames in Bora's own files.
 */
import path from "node:path";
import type { ErrorEvent, EventHint } from "@sentry/node";
import type { FetchFunction } from "../http/policy.js";

export interface CrashReporterOptions {
  /** Bora's own crash-report DSN setting. Empty or undefined turns reporting off. Defaults to off. */
  dsn?: string;
  /** Bora's version, sent as the release. */
  release: string;
  /** Folders holding Bora's own code; frames elsewhere (user code, dependencies) lose their file name. */
  ownRoots: string[];
  /** Secrets to remove from messages in addition to the token patterns. Defaults to none. */
  secrets?: string[];
  /**
   * How reports are sent: the host's policy fetch (`crashReportFetch`), so each upload is timed out
   * and audited like every other request of the host.
   */
  fetch: FetchFunction;
}

export interface CrashReporter {
  readonly enabled: boolean;
  /** Reports an error; never throws. */
  capture(error: unknown): void;
  /** Waits until queued reports are sent; false on timeout. */
  flush(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

const DISABLED: CrashReporter = {
  enabled: false,
  capture: () => {},
  flush: () => Promise.resolve(true),
  close: () => Promise.resolve(),
};

/** Token shapes of the services Bora talks to, and generic credentials. */
const TOKEN_PATTERNS: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{8,}\b/g,
  /\bsntry[us]_[A-Za-z0-9+/=_-]{16,}\b/g,
  /\bATATT[A-Za-z0-9_=-]{16,}\b/g,
  /\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /https:\/\/hooks\.slack\.com\/services\/\S+/g,
  /\b[A-Fa-f0-9]{32,}\b/g,
  /\b[A-Za-z0-9+/]{40,}={0,2}/g,
];

/**
 * Removes from free text what must not leave the machine: secrets, absolute paths (they name the
 * user and their projects), URLs (hosts of private services), e-mail addresses and code in quotes.
 */
export function scrubText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[secret]");
  for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, "[secret]");
  out = out.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`)]+/gi, "[url]");
  out = out.replace(/(?:[A-Za-z]:\\|\\\\)[^\s'"`:]+/g, "[path]");
  out = out.replace(/(?:^|(?<=[\s('"`=]))\/(?:[^\s'"`:/]+\/)+[^\s'"`:]*/g, "[path]");
  out = out.replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, "[email]");
  if (out.length > 500) out = `${out.slice(0, 500)}…`;
  return out;
}

/** The `beforeSend` hook: exported so its effect can be checked on a hand-made event too. */
export function scrubEvent(event: ErrorEvent, options: Pick<CrashReporterOptions, "ownRoots" | "secrets">): ErrorEvent {
  const roots = options.ownRoots.map((r) => path.resolve(r));
  const secrets = options.secrets ?? [];
  for (const value of event.exception?.values ?? []) {
    if (value.value) value.value = scrubText(value.value, secrets);
    for (const frame of value.stacktrace?.frames ?? []) {
      const file = frame.abs_path ?? frame.filename ?? "";
      const local = file.startsWith("file://") ? file.slice(7) : file;
      const root = roots.find((r) => local === r || local.startsWith(r + path.sep));
      frame.filename = root ? `bora/${path.relative(root, local).split(path.sep).join("/")}` : "<redacted>";
      delete frame.abs_path;
      delete frame.pre_context;
      delete frame.context_line;
      delete frame.post_context;
      delete frame.vars;
      delete frame.module;
      if (!root) frame.in_app = false;
    }
  }
  if (event.message) event.message = scrubText(event.message, secrets);
  if (event.logentry?.message) event.logentry.message = scrubText(event.logentry.message, secrets);
  delete event.logentry?.params;
  event.server_name = "redacted";
  delete event.contexts;
  delete event.modules;
  delete event.request;
  delete event.user;
  delete event.extra;
  delete event.breadcrumbs;
  delete event.debug_meta;
  delete event.tags;
  return event;
}

/**
 * Starts crash reporting when `options.dsn` is set; otherwise returns a reporter that does nothing
 * and loads no Sentry code at all.
 */
export async function createCrashReporter(options: CrashReporterOptions): Promise<CrashReporter> {
  const dsn = options.dsn?.trim();
  if (!dsn) return DISABLED;
  const Sentry = await import("@sentry/node");
  const client = new Sentry.NodeClient({
    dsn,
    release: options.release,
    // The SDK's own transport would open its own connections; this one sends through the policy.
    transport: (transportOptions) =>
      Sentry.createTransport(transportOptions, async (request) => {
        const response = await options.fetch(transportOptions.url, {
          method: "POST",
          body: request.body,
          ...(transportOptions.headers !== undefined ? { headers: transportOptions.headers } : {}),
        });
        await response.body?.cancel();
        return {
          statusCode: response.status,
          headers: {
            "x-sentry-rate-limits": response.headers.get("x-sentry-rate-limits"),
            "retry-after": response.headers.get("retry-after"),
          },
        };
      }),
    stackParser: Sentry.defaultStackParser,
    integrations: [],
    maxBreadcrumbs: 0,
    serverName: "redacted",
    beforeSend: (event: ErrorEvent, _hint: EventHint) => scrubEvent(event, options),
  });
  client.init();
  const scope = new Sentry.Scope();
  scope.setClient(client);
  return {
    enabled: true,
    capture(error) {
      try {
        scope.captureException(error);
      } catch {
        // A failing crash reporter must never take the host down.
      }
    },
    flush: async (timeoutMs = 2000) => client.flush(timeoutMs),
    close: async () => {
      await client.close(2000);
    },
  };
}
