/**
 * A stateful Jira REST fake in one of two modes. `cloud`: REST v3 with ADF bodies, Basic auth with
 * email + API token, `/search` removed (410, as on Cloud since 2025) and `/search/jql` with token
 * paging. `datacenter`: REST v2 with wiki markup, Bearer personal access tokens, offset-paged
 * `/search`. Issues, comments, transitions and remote links live in memory; a bad credential gets
 * the HTML 401 a proxy or SSO page gives; responses are typed against the shapes Bora's client reads.
 */
import type {
  AdfDoc,
  JiraComment,
  JiraCommentPage,
  JiraErrorCollection,
  JiraIssue,
  JiraRemoteLinkRequest,
  JiraSearchJqlResponse,
  JiraSearchResponse,
  JiraStatus,
  JiraTransitions,
  JiraUser,
} from "../../server/src/integrations/jira/types.js";
import { HttpFake, bodyOf, type FakeRequest, type FakeResponse } from "./httpFake.js";
import { validateJiraResponse, type JiraResponseKind } from "./jiraSchemas.js";

export type JiraMode = "cloud" | "datacenter";

interface IssueState {
  id: string;
  key: string;
  summary: string;
  /** The description as stored: ADF in cloud mode, wiki markup in datacenter mode. */
  description: AdfDoc | string | null;
  status: JiraStatus;
  labels: string[];
  assignee: JiraUser | null;
  comments: JiraComment[];
  /** Entity properties of each comment, by comment id: Jira returns them only from the properties endpoints. */
  commentProperties: Map<string, Map<string, unknown>>;
  remoteLinks: { id: number; request: JiraRemoteLinkRequest }[];
}

const STATUSES: Record<string, JiraStatus> = {
  "To Do": { id: "10000", name: "To Do", statusCategory: { id: 2, key: "new", name: "To Do" } },
  "In Progress": { id: "3", name: "In Progress", statusCategory: { id: 4, key: "indeterminate", name: "In Progress" } },
  "In Review": { id: "10001", name: "In Review", statusCategory: { id: 4, key: "indeterminate", name: "In Progress" } },
  Done: { id: "10002", name: "Done", statusCategory: { id: 3, key: "done", name: "Done" } },
};

/** The workflow: from each status, the transitions (id, name, target). */
const WORKFLOW: Record<string, { id: string; name: string; to: string }[]> = {
  "To Do": [
    { id: "11", name: "Start Progress", to: "In Progress" },
    { id: "31", name: "Done", to: "Done" },
  ],
  "In Progress": [
    { id: "21", name: "Send to Review", to: "In Review" },
    { id: "41", name: "Stop Progress", to: "To Do" },
  ],
  "In Review": [
    { id: "31", name: "Done", to: "Done" },
    { id: "51", name: "Back to Progress", to: "In Progress" },
  ],
  Done: [{ id: "61", name: "Reopen", to: "To Do" }],
};

function errors(status: number, errorMessages: string[], fieldErrors: Record<string, string> = {}): FakeResponse {
  return { status, body: { errorMessages, errors: fieldErrors } satisfies JiraErrorCollection };
}

const HTML_401 =
  "<html><head><title>Unauthorized (401)</title></head><body><h1>Unauthorized</h1><p>Log in to continue.</p></body></html>";

/** Which response schema each route's success body follows. */
const ROUTE_KINDS: Record<string, JiraResponseKind> = {
  "GET /rest/api/{version}/myself": "user",
  "GET /rest/api/{version}/issue/{key}": "issue",
  "POST /rest/api/{version}/search": "search",
  "GET /rest/api/{version}/search": "search",
  "POST /rest/api/{version}/search/jql": "searchJql",
  "GET /rest/api/{version}/search/jql": "searchJql",
  "POST /rest/api/{version}/issue/{key}/comment": "comment",
  "GET /rest/api/{version}/issue/{key}/comment": "commentPage",
  "GET /rest/api/{version}/comment/{commentId}/properties/{propertyKey}": "entityProperty",
  "GET /rest/api/{version}/issue/{key}/transitions": "transitions",
  "POST /rest/api/{version}/issue/{key}/remotelink": "remoteLink",
};

export class JiraFake extends HttpFake {
  /** Schema-gate failures; tests assert it stays empty. */
  readonly violations: string[] = [];
  readonly mode: JiraMode;
  private readonly issues = new Map<string, IssueState>();
  private readonly credentials: { basic?: string; bearer?: string };
  private readonly me: JiraUser;
  private nextId = 10_100;

  constructor(mode: JiraMode, credentials: { email: string; apiToken: string } | { pat: string }) {
    super();
    this.mode = mode;
    this.credentials =
      "pat" in credentials
        ? { bearer: credentials.pat }
        : { basic: Buffer.from(`${credentials.email}:${credentials.apiToken}`).toString("base64") };
    this.me = { accountId: "5b10ac8d82e05b22cc7d4ef5", name: "bora", displayName: "Bora Bot", active: true };
    this.defineRoutes();
  }

  private get v(): string {
    return this.mode === "cloud" ? "3" : "2";
  }

  /** Adds an issue. `description` is ADF in cloud mode and wiki markup in datacenter mode. */
  addIssue(
    key: string,
    fields: {
      summary: string;
      description?: AdfDoc | string | null;
      status?: string;
      labels?: string[];
      assignedToMe?: boolean;
    },
  ): IssueState {
    const state: IssueState = {
      id: String(this.nextId++),
      key,
      summary: fields.summary,
      description: fields.description ?? null,
      status: STATUSES[fields.status ?? "To Do"] as JiraStatus,
      labels: fields.labels ?? [],
      assignee: fields.assignedToMe ? this.me : null,
      comments: [],
      commentProperties: new Map(),
      remoteLinks: [],
    };
    this.issues.set(key, state);
    return state;
  }

  issue(key: string): IssueState {
    const i = this.issues.get(key);
    if (!i) throw new Error(`fake: no Jira issue ${key}`);
    return i;
  }

  /** The next `times` requests get a 429 with `Retry-After` seconds, as Jira Cloud's burst limit sends. */
  rateLimit(retryAfterSeconds: number, times = 1): this {
    return this.fail({
      times,
      status: 429,
      headers: {
        "retry-after": String(retryAfterSeconds),
        "x-ratelimit-limit": "100",
        "x-ratelimit-remaining": "0",
        "ratelimit-reason": "jira-burst-based",
      },
      body: { errorMessages: ["Rate limit exceeded."], errors: {} } satisfies JiraErrorCollection,
    });
  }

  protected override authenticate(request: FakeRequest): FakeResponse | undefined {
    const header = String(request.headers.authorization ?? "");
    const ok = this.credentials.bearer
      ? header === `Bearer ${this.credentials.bearer}`
      : header === `Basic ${this.credentials.basic}`;
    return ok
      ? undefined
      : {
          status: 401,
          body: HTML_401,
          headers: { "content-type": "text/html;charset=UTF-8", "www-authenticate": 'Basic realm="protected-area"' },
        };
  }

  protected override check(
    route: { method: string; template: string } | undefined,
    response: FakeResponse,
  ): FakeResponse {
    if (typeof response.body !== "object" || response.body === null) return response;
    const kind: JiraResponseKind | undefined =
      response.status >= 400 ? "errorCollection" : route ? ROUTE_KINDS[`${route.method} ${route.template}`] : undefined;
    const errors = kind
      ? validateJiraResponse(kind, response.body)
      : [`no schema for ${route?.method} ${route?.template}`];
    if (errors.length === 0) return response;
    this.violations.push(...errors);
    return { status: 500, body: `fake Jira schema violation:\n${errors.join("\n")}` };
  }

  protected override notFound(request: FakeRequest): FakeResponse {
    return errors(404, [`No route for ${request.method} ${request.path}`]);
  }

  private issueJson(i: IssueState): JiraIssue {
    return {
      id: i.id,
      key: i.key,
      self: `${this.url}/rest/api/${this.v}/issue/${i.id}`,
      fields: {
        summary: i.summary,
        description: i.description,
        status: i.status,
        labels: i.labels,
        assignee: i.assignee,
        updated: "2026-01-06T10:00:00.000+0000",
        comment: { comments: i.comments, maxResults: i.comments.length, total: i.comments.length, startAt: 0 },
        issuelinks: [],
      },
    } satisfies JiraIssue;
  }

  /** A tiny JQL evaluator: `AND`-joined clauses on project, key, status, statusCategory, assignee, labels and text. */
  private matcher(jql: string): ((i: IssueState) => boolean) | string {
    const where = jql.replace(/\s+ORDER\s+BY\s+.*$/i, "").trim();
    if (where === "")
      return "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.";
    const tests: ((i: IssueState) => boolean)[] = [];
    for (const clause of where.split(/\s+AND\s+/i)) {
      const m = /^(\w+)\s*(=|!=|~)\s*(.+)$/.exec(clause.trim());
      if (!m) return `Error in the JQL Query: Expecting operator but got '${clause}'.`;
      const [, field, op, raw] = m as unknown as [string, string, string, string];
      const value = raw.trim().replace(/^"(.*)"$/, "$1");
      const eq = (a: string | undefined): boolean => (op === "!=" ? a !== value : a === value);
      switch (field.toLowerCase()) {
        case "project":
          tests.push((i) => eq(i.key.split("-")[0]));
          break;
        case "key":
          tests.push((i) => eq(i.key));
          break;
        case "status":
          tests.push((i) => eq(i.status.name));
          break;
        case "statuscategory":
          tests.push((i) => eq(i.status.statusCategory?.name));
          break;
        case "assignee":
          tests.push((i) =>
            value === "currentUser()"
              ? op === "!="
                ? i.assignee === null
                : i.assignee !== null
              : eq(i.assignee?.displayName),
          );
          break;
        case "labels":
          tests.push((i) => (op === "!=" ? !i.labels.includes(value) : i.labels.includes(value)));
          break;
        case "text":
        case "summary":
          tests.push((i) =>
            `${i.summary} ${JSON.stringify(i.description)}`.toLowerCase().includes(value.toLowerCase()),
          );
          break;
        default:
          return `Field '${field}' does not exist or you do not have permission to view it.`;
      }
    }
    return (i) => tests.every((t) => t(i));
  }

  private defineRoutes(): void {
    const base = "/rest/api/{version}";
    const wrongVersion = (req: FakeRequest): FakeResponse | undefined =>
      req.params.version === this.v
        ? undefined
        : errors(404, [`This fake serves REST v${this.v} (${this.mode}); got v${req.params.version}`]);

    this.route("GET", `${base}/myself`, (req) => wrongVersion(req) ?? { status: 200, body: this.me });

    this.route("GET", `${base}/issue/{key}`, (req) => {
      const i = this.issues.get(req.params.key ?? "");
      return (
        wrongVersion(req) ??
        (i
          ? { status: 200, body: this.issueJson(i) }
          : errors(404, ["Issue does not exist or you do not have permission to see it."]))
      );
    });

    const removedSearch = (req: FakeRequest): FakeResponse => {
      const bad = wrongVersion(req);
      if (bad) return bad;
      if (this.mode === "cloud")
        return errors(410, [
          "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046",
        ]);
      const b = bodyOf(req) as { jql?: string; startAt?: number; maxResults?: number };
      const match = this.matcher(b.jql ?? "");
      if (typeof match === "string") return errors(400, [match]);
      const all = [...this.issues.values()].filter(match);
      const startAt = b.startAt ?? 0;
      const max = Math.min(100, b.maxResults ?? 50);
      const body: JiraSearchResponse = {
        startAt,
        maxResults: max,
        total: all.length,
        issues: all.slice(startAt, startAt + max).map((i) => this.issueJson(i)),
      };
      return { status: 200, body };
    };
    this.route("POST", `${base}/search`, removedSearch);
    this.route("GET", `${base}/search`, removedSearch);

    const searchJql = (req: FakeRequest): FakeResponse => {
      const bad = wrongVersion(req);
      if (bad) return bad;
      if (this.mode === "datacenter") return errors(404, ["null for uri: /rest/api/2/search/jql"]);
      const b =
        req.method === "POST"
          ? (bodyOf(req) as { jql?: string; maxResults?: number; nextPageToken?: string; fields?: string[] })
          : {
              jql: req.query.get("jql") ?? "",
              maxResults: Number(req.query.get("maxResults") ?? 50),
              nextPageToken: req.query.get("nextPageToken") ?? undefined,
            };
      const match = this.matcher(b.jql ?? "");
      if (typeof match === "string") return errors(400, [match]);
      const all = [...this.issues.values()].filter(match);
      const start = b.nextPageToken
        ? Number(
            Buffer.from(b.nextPageToken, "base64url")
              .toString("utf8")
              .replace(/^offset:/, ""),
          )
        : 0;
      if (!Number.isInteger(start)) return errors(400, ["Invalid nextPageToken."]);
      const max = Math.min(100, b.maxResults ?? 50);
      const end = start + max;
      const page = all.slice(start, end).map((i) => this.issueJson(i));
      const isLast = end >= all.length;
      const body: JiraSearchJqlResponse = {
        issues: page,
        isLast,
        ...(isLast ? {} : { nextPageToken: Buffer.from(`offset:${end}`).toString("base64url") }),
      };
      return { status: 200, body };
    };
    this.route("POST", `${base}/search/jql`, searchJql);
    this.route("GET", `${base}/search/jql`, searchJql);

    this.route("POST", `${base}/issue/{key}/comment`, (req) => {
      const bad = wrongVersion(req);
      if (bad) return bad;
      const i = this.issues.get(req.params.key ?? "");
      if (!i) return errors(404, ["Issue does not exist or you do not have permission to see it."]);
      const { body } = bodyOf(req);
      if (
        this.mode === "cloud" &&
        (typeof body !== "object" || body === null || (body as { type?: string }).type !== "doc")
      )
        return errors(400, [], {
          comment:
            "Comment body is not valid! Operation value must be an Atlassian Document (see the Atlassian Document Format).",
        });
      if (this.mode === "datacenter" && typeof body !== "string")
        return errors(400, [], { comment: "Comment body can not be empty!" });
      const properties = (bodyOf(req) as { properties?: unknown }).properties;
      if (
        properties !== undefined &&
        (!Array.isArray(properties) ||
          properties.some(
            (p) =>
              typeof p !== "object" ||
              p === null ||
              typeof (p as { key?: unknown }).key !== "string" ||
              (p as { key: string }).key === "" ||
              (p as { key: string }).key.length > 255 ||
              !("value" in p),
          ))
      )
        return errors(400, [], { properties: "Each property needs a key (1 to 255 characters) and a value." });
      const now = new Date().toISOString().replace("Z", "+0000");
      const id = String(this.nextId++);
      if (Array.isArray(properties))
        i.commentProperties.set(
          id,
          new Map((properties as { key: string; value: unknown }[]).map((p) => [p.key, p.value])),
        );
      const comment: JiraComment = {
        id,
        self: `${this.url}/rest/api/${this.v}/issue/${i.id}/comment/${id}`,
        author: this.me,
        body: body as AdfDoc | string,
        created: now,
        updated: now,
      };
      i.comments.push(comment);
      return { status: 201, body: comment };
    });

    this.route("GET", `${base}/issue/{key}/comment`, (req) => {
      const i = this.issues.get(req.params.key ?? "");
      if (!i)
        return wrongVersion(req) ?? errors(404, ["Issue does not exist or you do not have permission to see it."]);
      const startAt = Math.max(0, Number(req.query.get("startAt") ?? 0) || 0);
      // Jira caps maxResults for comments at 5000; the fake pages at most 50 so tests see several pages.
      const maxResults = Math.min(50, Math.max(1, Number(req.query.get("maxResults") ?? 50) || 50));
      const order = req.query.get("orderBy");
      const all = order === "-created" ? [...i.comments].reverse() : i.comments;
      const body: JiraCommentPage = {
        startAt,
        maxResults,
        total: all.length,
        comments: all.slice(startAt, startAt + maxResults),
      };
      return wrongVersion(req) ?? { status: 200, body };
    });

    this.route("GET", `${base}/comment/{commentId}/properties/{propertyKey}`, (req) => {
      const bad = wrongVersion(req);
      if (bad) return bad;
      const id = req.params.commentId ?? "";
      const issue = [...this.issues.values()].find((x) => x.comments.some((c) => c.id === id));
      if (!issue) return errors(404, ["Can not find a comment for the id: " + id + "."]);
      const key = req.params.propertyKey ?? "";
      const props = issue.commentProperties.get(id);
      if (!props?.has(key)) return errors(404, [`The property with key '${key}' does not exist.`]);
      return { status: 200, body: { key, value: props.get(key) } };
    });

    this.route("GET", `${base}/issue/{key}/transitions`, (req) => {
      const i = this.issues.get(req.params.key ?? "");
      if (!i)
        return wrongVersion(req) ?? errors(404, ["Issue does not exist or you do not have permission to see it."]);
      const body: JiraTransitions = {
        transitions: (WORKFLOW[i.status.name] ?? []).map((t) => ({
          id: t.id,
          name: t.name,
          to: STATUSES[t.to] as JiraStatus,
          hasScreen: false,
        })),
      };
      return wrongVersion(req) ?? { status: 200, body };
    });

    this.route("POST", `${base}/issue/{key}/transitions`, (req) => {
      const i = this.issues.get(req.params.key ?? "");
      if (!i)
        return wrongVersion(req) ?? errors(404, ["Issue does not exist or you do not have permission to see it."]);
      const id = (bodyOf(req) as { transition?: { id?: string } }).transition?.id;
      const t = (WORKFLOW[i.status.name] ?? []).find((x) => x.id === id);
      if (!t) return errors(400, [`Transition id '${id}' is not valid for this issue.`]);
      i.status = STATUSES[t.to] as JiraStatus;
      return wrongVersion(req) ?? { status: 204 };
    });

    this.route("POST", `${base}/issue/{key}/remotelink`, (req) => {
      const i = this.issues.get(req.params.key ?? "");
      if (!i)
        return wrongVersion(req) ?? errors(404, ["Issue does not exist or you do not have permission to see it."]);
      const link = bodyOf(req) as unknown as JiraRemoteLinkRequest;
      if (!link.object?.url || !link.object.title)
        return errors(400, [], { title: "'title' is required.", url: "'url' is required." });
      const existing = link.globalId ? i.remoteLinks.find((l) => l.request.globalId === link.globalId) : undefined;
      if (existing) {
        existing.request = link;
        return {
          status: 200,
          body: { id: existing.id, self: `${this.url}/rest/api/${this.v}/issue/${i.key}/remotelink/${existing.id}` },
        };
      }
      const id = this.nextId++;
      i.remoteLinks.push({ id, request: link });
      return { status: 201, body: { id, self: `${this.url}/rest/api/${this.v}/issue/${i.key}/remotelink/${id}` } };
    });
  }
}

/** The ADF a Cloud reporter's description might hold: heading, marks, lists, code, a mention, a table. */
export function sampleAdfDescription(): AdfDoc {
  return {
    type: "doc",
    version: 1,
    content: [
      { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "Steps" }] },
      {
        type: "orderedList",
        attrs: { order: 1 },
        content: [
          {
            type: "listItem",
            content: [
              {
                type: "paragraph",
                content: [
                  { type: "text", text: "Open " },
                  { type: "text", text: "settings.json", marks: [{ type: "code" }] },
                ],
              },
            ],
          },
          {
            type: "listItem",
            content: [
              {
                type: "paragraph",
                content: [
                  { type: "text", text: "Press " },
                  { type: "text", text: "Save", marks: [{ type: "strong" }] },
                ],
              },
            ],
          },
        ],
      },
      {
        type: "paragraph",
        content: [
          { type: "mention", attrs: { id: "5b10", text: "@Ana" } },
          { type: "text", text: " see " },
          {
            type: "text",
            text: "the log",
            marks: [{ type: "link", attrs: { href: "https://logs.example.invalid/1" } }],
          },
        ],
      },
      { type: "codeBlock", attrs: { language: "ts" }, content: [{ type: "text", text: "save(null);\n// throws" }] },
    ],
  };
}
