/**
 * The request transport jira-client gets instead of postman-request. jira-client rejects with the
 * response *body* and then turns whatever it caught into `new Error(JSON.stringify(caught))`, so
 * the status code and headers would be lost. This transport throws a plain object that survives
 * that round trip: `{status, retryAfter, body}` for an HTTP error, `{policy: ...}` when the shared
 * HTTP policy gave up (rate limit over the cap, network, timeout). `parseJiraFailure` reads it back.
 */
import { IntegrationError, type IntegrationErrorKind } from "../../http/errors.js";
import type { FetchFunction } from "../../http/policy.js";

/** What jira-client passes its transport (postman-request's options). */
export interface JiraRequestOptions {
  method?: string;
  uri: string;
  json?: boolean;
  body?: unknown;
  qs?: Record<string, unknown>;
  auth?: { user?: string; pass?: string; bearer?: string; sendImmediately?: boolean };
  timeout?: number;
  headers?: Record<string, string>;
}

export interface JiraHttpFailure {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

export interface JiraPolicyFailure {
  policy: { kind: IntegrationErrorKind; message: string; status?: number; retryAt?: number };
}

export function jiraTransport(fetch: FetchFunction): (options: JiraRequestOptions) => Promise<unknown> {
  return async (options) => {
    const url = new URL(options.uri);
    for (const [k, v] of Object.entries(options.qs ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.auth?.bearer) headers.authorization = `Bearer ${options.auth.bearer}`;
    else if (options.auth?.user !== undefined && options.auth.pass !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${options.auth.user}:${options.auth.pass}`).toString("base64")}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method: options.method ?? "GET",
        headers,
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      if (error instanceof IntegrationError) {
        const failure: JiraPolicyFailure = {
          policy: {
            kind: error.kind,
            message: error.message,
            ...(error.status === undefined ? {} : { status: error.status }),
            ...(error.retryAt === undefined ? {} : { retryAt: error.retryAt }),
          },
        };
        throw failure;
      }
      throw {
        policy: { kind: "network", message: `Jira request failed: ${String(error)}` },
      } satisfies JiraPolicyFailure;
    }
    const text = await response.text();
    let parsed: unknown = text;
    if (text !== "" && /json/.test(response.headers.get("content-type") ?? "")) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) {
      throw {
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        body: parsed,
      } satisfies JiraHttpFailure;
    }
    return text === "" ? undefined : parsed;
  };
}

/** The failure the transport threw, read back out of jira-client's `Error(JSON.stringify(...))`. */
export function parseJiraFailure(error: unknown): JiraHttpFailure | JiraPolicyFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  try {
    const value = JSON.parse(error.message) as Partial<JiraHttpFailure & JiraPolicyFailure>;
    if (value && typeof value === "object" && (typeof value.status === "number" || typeof value.policy === "object"))
      return value as JiraHttpFailure | JiraPolicyFailure;
  } catch {
    // jira-client's own messages (a 2xx body with errorMessages) are not JSON.
  }
  return undefined;
}
