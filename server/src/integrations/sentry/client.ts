/**
 * Sentry's REST API over the shared HTTP policy: the token only ever travels in the Authorization
 * header (never a URL), cursor pagination follows `Link` and honours its `results` flag (Sentry
 * sends a `previous` link even on the first page and a `next` link on the last one).
 */
import { IntegrationError, describeWait, kindOfStatus } from "../../http/errors.js";
import type { FetchFunction, HttpPolicy } from "../../http/policy.js";
import { hasMarker, withMarker } from "../markers.js";
import type { SentryEvent, SentryIssue, SentryNote, SentryShortIdResolution } from "./types.js";

export interface SentryConnection {
  /** The Sentry site, `https://sentry.io` or a self-hosted one; `/api/0/` is added. Defaults to `https://sentry.io`. */
  baseUrl?: string;
  /** An auth token (user `sntryu_…`, org or internal integration) with project:read and event:read, and a write scope to resolve. */
  token: string;
  /** The organization slug. */
  org: string;
}

/** The `next` cursor of a Sentry Link header, or undefined when Sentry says there are no more results. */
export function nextCursor(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    if (!/rel="next"/.test(part)) continue;
    if (!/results="true"/.test(part)) return undefined;
    return /cursor="([^"]+)"/.exec(part)?.[1];
  }
  return undefined;
}

const SHORT_ID = /^[A-Z0-9][A-Z0-9_-]*-[A-Z0-9]+$/i;

export class SentryClient {
  readonly site: URL;
  readonly org: string;
  private readonly token: string;
  private readonly fetch: FetchFunction;
  private readonly policy: HttpPolicy;

  constructor(connection: SentryConnection, policy: HttpPolicy) {
    this.site = new URL(connection.baseUrl ?? "https://sentry.io");
    this.org = connection.org;
    this.token = connection.token;
    this.fetch = policy.fetchFor("sentry");
    this.policy = policy;
  }

  private url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(`${this.site.pathname.replace(/\/+$/, "")}/api/0${path}`, this.site);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  private async request<T>(
    what: string,
    method: string,
    url: URL,
    body?: unknown,
  ): Promise<{ data: T; link: string | null }> {
    const response = await this.fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!response.ok) throw this.error(what, response, parsed);
    return { data: parsed as T, link: response.headers.get("link") };
  }

  private error(what: string, response: Response, body: unknown): IntegrationError {
    const status = response.status;
    const detail =
      typeof body === "object" && body !== null && typeof (body as { detail?: unknown }).detail === "string"
        ? (body as { detail: string }).detail
        : "";
    const kind = kindOfStatus(status);
    const site = this.site.host;
    const text = (() => {
      switch (kind) {
        case "auth":
          return `Sentry at ${site} rejected the token (401${detail ? ` ${detail}` : ""}). Set SENTRY_AUTH_TOKEN to a valid auth token.`;
        case "forbidden":
          return `Sentry token may not access ${what} (403${detail ? ` ${detail}` : ""}). It needs the project:read and event:read scopes (and project:write to resolve).`;
        case "notFound":
          return `Sentry ${what} not found (404${detail ? ` ${detail}` : ""}). Check SENTRY_ORG, SENTRY_PROJECT and the issue id.`;
        case "rateLimited": {
          const reset = Number(response.headers.get("x-sentry-rate-limit-reset"));
          const wait = Number.isFinite(reset) && reset > 0 ? reset * 1000 - this.policy.now() : undefined;
          return `Sentry rate limit reached for ${what} (429)${wait !== undefined ? `; it resets in ${describeWait(wait)}` : ""}.`;
        }
        case "unavailable":
          return `Sentry at ${site} failed on ${what} (${status}) after retries. Try again later.`;
        default:
          return `Sentry refused ${what} (${status}${detail ? ` ${detail}` : ""}).`;
      }
    })();
    return new IntegrationError("sentry", kind, text, { status });
  }

  /** Unresolved issues of a project, newest first, following cursors up to `limit`. */
  async listUnresolvedIssues(
    project: string,
    options: { query?: string; limit?: number } = {},
  ): Promise<SentryIssue[]> {
    const limit = options.limit ?? 100;
    const query = ["is:unresolved", options.query ?? ""].join(" ").trim();
    const out: SentryIssue[] = [];
    let cursor: string | undefined;
    do {
      const url = this.url(`/projects/${encodeURIComponent(this.org)}/${encodeURIComponent(project)}/issues/`, {
        query,
        cursor,
      });
      const { data, link } = await this.request<SentryIssue[]>(`issues of project ${project}`, "GET", url);
      out.push(...data.slice(0, limit - out.length));
      cursor = nextCursor(link);
    } while (cursor && out.length < limit);
    return out;
  }

  /** An issue by numeric id or by short id (`APP-1A`), which Sentry resolves first. */
  async getIssue(idOrShortId: string): Promise<SentryIssue> {
    const id = idOrShortId.trim();
    if (!/^\d+$/.test(id)) {
      if (!SHORT_ID.test(id))
        throw new IntegrationError(
          "sentry",
          "invalid",
          `'${idOrShortId}' is not a Sentry issue id or short id (like APP-1A)`,
        );
      const url = this.url(
        `/organizations/${encodeURIComponent(this.org)}/shortids/${encodeURIComponent(id.toUpperCase())}/`,
      );
      return (await this.request<SentryShortIdResolution>(`issue ${id}`, "GET", url)).data.group;
    }
    const url = this.url(`/organizations/${encodeURIComponent(this.org)}/issues/${id}/`);
    return (await this.request<SentryIssue>(`issue ${id}`, "GET", url)).data;
  }

  async latestEvent(issueId: string): Promise<SentryEvent> {
    const url = this.url(
      `/organizations/${encodeURIComponent(this.org)}/issues/${encodeURIComponent(issueId)}/events/latest/`,
    );
    return (await this.request<SentryEvent>(`the latest event of issue ${issueId}`, "GET", url)).data;
  }

  /**
   * Adds a note (a comment in the issue's activity). This is the endpoint Sentry's web UI uses; the
   * published description has no comment endpoint.
   */
  async addNote(issueId: string, text: string): Promise<SentryNote> {
    const url = this.url(
      `/organizations/${encodeURIComponent(this.org)}/issues/${encodeURIComponent(issueId)}/comments/`,
    );
    return (await this.request<SentryNote>(`a note on issue ${issueId}`, "POST", url, { text })).data;
  }

  /** The notes of an issue, newest first (Sentry's order), following cursors. */
  async listNotes(issueId: string): Promise<SentryNote[]> {
    const out: SentryNote[] = [];
    let cursor: string | undefined;
    do {
      const url = this.url(
        `/organizations/${encodeURIComponent(this.org)}/issues/${encodeURIComponent(issueId)}/comments/`,
        { cursor },
      );
      const { data, link } = await this.request<SentryNote[]>(`the notes of issue ${issueId}`, "GET", url);
      out.push(...data);
      cursor = nextCursor(link);
    } while (cursor);
    return out;
  }

  /**
   * Adds a note exactly once for (`taskId`, `step`): the text ends with the step's hidden marker
   * (Sentry renders notes as Markdown, which hides an HTML comment), and the issue's notes are
   * searched for it before anything is posted.
   */
  async noteOnce(
    issueId: string,
    taskId: string,
    step: string,
    text: string,
  ): Promise<{ note: SentryNote; created: boolean }> {
    const existing = (await this.listNotes(issueId)).find((n) => hasMarker(n.data.text, taskId, step));
    if (existing) return { note: existing, created: false };
    return { note: await this.addNote(issueId, withMarker(text, taskId, step)), created: true };
  }

  /** Marks the issue resolved in the project's next release. */
  async resolveInNextRelease(issueId: string): Promise<SentryIssue> {
    const url = this.url(`/organizations/${encodeURIComponent(this.org)}/issues/${encodeURIComponent(issueId)}/`);
    return (
      await this.request<SentryIssue>(`issue ${issueId}`, "PUT", url, {
        status: "resolvedInNextRelease",
        statusDetails: { inNextRelease: true },
      })
    ).data;
  }
}
