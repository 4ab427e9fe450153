/**
 * A stateful Sentry REST fake: one organization with projects, issues, their latest events (with
 * exception frames you choose), notes and resolution. Bearer tokens only; cursor pagination with
 * Sentry's `Link` header (a `previous` link on page 1, `results="false"` on the last `next`);
 * `X-Sentry-Rate-Limit-*` headers; `{detail}` error bodies. Every JSON body is validated against the
 * hand-written schema (schemas/sentry.schema.json) before it is sent.
 */
import type {
  SentryEvent,
  SentryFrame,
  SentryIssue,
  SentryNote,
  SentryShortIdResolution,
} from "../../server/src/integrations/sentry/types.js";
import { HttpFake, bodyOf, type FakeRequest, type FakeResponse } from "./httpFake.js";
import { validateSentryResponse } from "./sentrySchemas.js";

interface IssueState {
  issue: SentryIssue;
  frames: SentryFrame[];
  exception: { type: string; value: string };
  notes: SentryNote[];
  projectSlug: string;
}

export interface FrameSeed {
  absPath: string;
  function?: string;
  lineNo?: number;
  colNo?: number;
  inApp?: boolean;
  context?: [number, string][];
}

const P = "/api/0";

export class SentryFake extends HttpFake {
  readonly violations: string[] = [];
  /** Issues a page of the issue list holds. Sentry uses 100; tests lower it to page with fewer issues. */
  pageSize = 100;
  private readonly projects = new Map<string, { id: string; name: string; slug: string }>();
  private readonly issues = new Map<string, IssueState>();
  private nextId = 4_000_000;
  private readonly shortCounters = new Map<string, number>();

  constructor(
    readonly org: string,
    private readonly token: string,
  ) {
    super();
    this.defineRoutes();
  }

  addProject(slug: string): void {
    this.projects.set(slug, { id: String(this.nextId++), name: slug, slug });
  }

  addIssue(
    projectSlug: string,
    fields: {
      title: string;
      type?: string;
      value?: string;
      level?: string;
      count?: number;
      users?: number;
      frames?: FrameSeed[];
      status?: "unresolved" | "resolved" | "ignored";
    },
  ): SentryIssue {
    const project = this.projects.get(projectSlug);
    if (!project) throw new Error(`fake: no Sentry project ${projectSlug}`);
    const id = String(this.nextId++);
    const n = (this.shortCounters.get(projectSlug) ?? 0) + 1;
    this.shortCounters.set(projectSlug, n);
    const type = fields.type ?? fields.title.split(":")[0] ?? "Error";
    const value = fields.value ?? fields.title;
    const frames: SentryFrame[] = (fields.frames ?? []).map((f) => ({
      filename: f.absPath.split("/").slice(-2).join("/"),
      absPath: f.absPath,
      module: null,
      function: f.function ?? null,
      lineNo: f.lineNo ?? null,
      colNo: f.colNo ?? null,
      inApp: f.inApp ?? !f.absPath.includes("node_modules"),
      context: f.context ?? [],
    }));
    const last = frames[frames.length - 1];
    const issue: SentryIssue & {
      isPublic: boolean;
      hasSeen: boolean;
      numComments: number;
      type: string;
      logger: string | null;
    } = {
      id,
      shortId: `${projectSlug.toUpperCase()}-${n.toString(36).toUpperCase()}`,
      title: fields.title,
      culprit: last ? `${last.function ?? "?"}(${last.filename ?? "?"})` : "",
      permalink: `${this.url}/organizations/${this.org}/issues/${id}/`,
      status: fields.status ?? "unresolved",
      level: fields.level ?? "error",
      count: String(fields.count ?? 1),
      userCount: fields.users ?? 1,
      firstSeen: "2026-01-05T10:00:00.000000Z",
      lastSeen: "2026-01-06T10:00:00.000000Z",
      project,
      metadata: { type, value, filename: last?.filename ?? "" },
      statusDetails: {},
      isPublic: false,
      hasSeen: false,
      numComments: 0,
      type: "error",
      logger: null,
    };
    this.issues.set(id, { issue, frames, exception: { type, value }, notes: [], projectSlug });
    return issue;
  }

  issueState(id: string): IssueState {
    const s = this.issues.get(id);
    if (!s) throw new Error(`fake: no Sentry issue ${id}`);
    return s;
  }

  /** The next `times` requests get Sentry's 429 with the rate-limit headers, resetting in `resetInSeconds`. */
  rateLimit(resetInSeconds: number, times = 1): this {
    return this.fail({
      times,
      status: 429,
      body: { detail: "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds" },
      headers: {
        "x-sentry-rate-limit-limit": "40",
        "x-sentry-rate-limit-remaining": "0",
        "x-sentry-rate-limit-reset": String(Math.ceil(Date.now() / 1000) + resetInSeconds),
        "x-sentry-rate-limit-concurrentlimit": "25",
        "x-sentry-rate-limit-concurrentremaining": "24",
      },
    });
  }

  protected override authenticate(request: FakeRequest): FakeResponse | undefined {
    if (request.headers.authorization === `Bearer ${this.token}`) return undefined;
    return {
      status: 401,
      body: {
        detail: request.headers.authorization ? "Invalid token" : "Authentication credentials were not provided.",
      },
    };
  }

  protected override notFound(): FakeResponse {
    return { status: 404, body: { detail: "The requested resource does not exist" } };
  }

  protected override check(
    route: { method: string; template: string } | undefined,
    response: FakeResponse,
  ): FakeResponse {
    if (route && typeof response.body === "object") {
      const errors = validateSentryResponse(`${route.method} ${route.template}`, response.status, response.body);
      if (errors.length > 0) {
        this.violations.push(...errors);
        return { status: 500, body: `fake Sentry schema violation:\n${errors.join("\n")}` };
      }
    }
    return response;
  }

  private event(s: IssueState): SentryEvent & { tags: { key: string; value: string }[]; size: number } {
    const eventId = (Number(s.issue.id) * 7919).toString(16).padStart(32, "0").slice(-32);
    return {
      id: eventId,
      eventID: eventId,
      groupID: s.issue.id,
      dateCreated: "2026-01-06T10:00:00Z",
      title: s.issue.title,
      message: null,
      platform: "node",
      entries: [
        {
          type: "exception",
          data: {
            values: [
              {
                type: s.exception.type,
                value: s.exception.value,
                mechanism: { type: "onuncaughtexception", handled: false },
                stacktrace: { frames: s.frames, framesOmitted: null, hasSystemFrames: true },
              },
            ],
            hasSystemFrames: true,
          },
        },
        { type: "breadcrumbs", data: { values: [] } },
      ],
      tags: [{ key: "level", value: s.issue.level }],
      size: 2048,
    };
  }

  /** A page of `all` with Sentry's cursor `Link` header: `previous` always present, `results` saying whether it leads anywhere. */
  private paged(req: FakeRequest, all: unknown[], headers: Record<string, string> = {}): FakeResponse {
    const offset = Number((req.query.get("cursor") ?? "0:0:0").split(":")[1] ?? 0);
    const page = all.slice(offset, offset + this.pageSize);
    const link = (cursor: string, rel: string, results: boolean): string => {
      const q = new URLSearchParams(req.query);
      q.set("cursor", cursor);
      return `<${this.url}${req.path}?${q.toString()}>; rel="${rel}"; results="${results}"; cursor="${cursor}"`;
    };
    const prevOffset = Math.max(0, offset - this.pageSize);
    const nextOffset = offset + this.pageSize;
    const header = [
      link(`0:${prevOffset}:1`, "previous", offset > 0),
      link(`0:${nextOffset}:0`, "next", nextOffset < all.length),
    ].join(", ");
    return { status: 200, body: page, headers: { link: header, ...headers } };
  }

  private orgOk(req: FakeRequest): FakeResponse | undefined {
    return req.params.organization_id_or_slug === this.org
      ? undefined
      : { status: 404, body: { detail: "The requested resource does not exist" } };
  }

  private defineRoutes(): void {
    const ORG = `${P}/organizations/{organization_id_or_slug}`;
    this.route("GET", `${P}/projects/{organization_id_or_slug}/{project_id_or_slug}/issues/`, (req) => {
      const bad = this.orgOk(req);
      if (bad) return bad;
      const slug = req.params.project_id_or_slug ?? "";
      if (!this.projects.has(slug)) return { status: 404, body: { detail: "The requested resource does not exist" } };
      const query = req.query.get("query") ?? "";
      const words = query.split(/\s+/).filter((w) => w && !w.includes(":"));
      const wantStatus = /is:(unresolved|resolved|ignored)/.exec(query)?.[1];
      const all = [...this.issues.values()]
        .filter((s) => s.projectSlug === slug)
        .filter((s) => !wantStatus || s.issue.status === wantStatus)
        .filter((s) => words.every((w) => s.issue.title.toLowerCase().includes(w.toLowerCase())))
        .map((s) => s.issue);
      return this.paged(req, all, { "x-hits": String(all.length) });
    });

    this.route("GET", `${ORG}/issues/{issue_id}/`, (req) => {
      const s = this.issues.get(req.params.issue_id ?? "");
      return (
        this.orgOk(req) ??
        (s
          ? { status: 200, body: s.issue }
          : { status: 404, body: { detail: "The requested resource does not exist" } })
      );
    });

    this.route("PUT", `${ORG}/issues/{issue_id}/`, (req) => {
      const s = this.issues.get(req.params.issue_id ?? "");
      if (!s) return this.orgOk(req) ?? { status: 404, body: { detail: "The requested resource does not exist" } };
      const b = bodyOf(req) as { status?: string; statusDetails?: Record<string, unknown> };
      if (b.status === "resolvedInNextRelease" || b.statusDetails?.inNextRelease === true) {
        s.issue.status = "resolved";
        s.issue.statusDetails = { inNextRelease: true };
      } else if (b.status === "resolved" || b.status === "unresolved" || b.status === "ignored") {
        s.issue.status = b.status;
        s.issue.statusDetails = b.statusDetails ?? {};
      } else return { status: 400, body: { detail: `Invalid status '${String(b.status)}'` } };
      return this.orgOk(req) ?? { status: 200, body: s.issue };
    });

    this.route("GET", `${ORG}/issues/{issue_id}/events/{event_id}/`, (req) => {
      const s = this.issues.get(req.params.issue_id ?? "");
      if (!s || !["latest", "oldest", "recommended"].includes(req.params.event_id ?? ""))
        return this.orgOk(req) ?? { status: 404, body: { detail: "Event not found" } };
      return this.orgOk(req) ?? { status: 200, body: this.event(s) };
    });

    this.route("GET", `${ORG}/shortids/{issue_id}/`, (req) => {
      const s = [...this.issues.values()].find((x) => x.issue.shortId === req.params.issue_id);
      if (!s) return this.orgOk(req) ?? { status: 404, body: { detail: "Short ID not found" } };
      const body: SentryShortIdResolution = {
        organizationSlug: this.org,
        projectSlug: s.projectSlug,
        groupId: s.issue.id,
        shortId: s.issue.shortId,
        group: s.issue,
      };
      return this.orgOk(req) ?? { status: 200, body };
    });

    // Sentry's group notes endpoint (the one its web UI reads): notes newest first, cursor-paged.
    this.route("GET", `${ORG}/issues/{issue_id}/comments/`, (req) => {
      const s = this.issues.get(req.params.issue_id ?? "");
      if (!s) return this.orgOk(req) ?? { status: 404, body: { detail: "The requested resource does not exist" } };
      return this.orgOk(req) ?? this.paged(req, [...s.notes].reverse());
    });

    this.route("POST", `${ORG}/issues/{issue_id}/comments/`, (req) => {
      const s = this.issues.get(req.params.issue_id ?? "");
      if (!s) return this.orgOk(req) ?? { status: 404, body: { detail: "The requested resource does not exist" } };
      const { text } = bodyOf(req) as { text?: unknown };
      if (typeof text !== "string" || text.trim() === "")
        return { status: 400, body: { detail: "text: This field is required." } };
      const note: SentryNote = {
        id: String(this.nextId++),
        type: "note",
        data: { text },
        dateCreated: "2026-01-06T11:00:00Z",
      };
      s.notes.push(note);
      (s.issue as SentryIssue & { numComments: number }).numComments = s.notes.length;
      return this.orgOk(req) ?? { status: 201, body: note };
    });
  }
}
