/**
 * Jira through jira-client, for Cloud (email + API token, REST v3 with ADF bodies) and Data Center
 * (personal access token, REST v2 with wiki markup). Search goes to the current endpoints:
 * jira-client's `searchJira` posts to `/rest/api/2/search`, which Cloud removed (410).
 */
import jiraModule from "jira-client";
import { IntegrationError, describeWait, kindOfStatus } from "../../http/errors.js";
import type { HttpPolicy } from "../../http/policy.js";
import { writeMarker } from "../markers.js";
import { markdownToAdf } from "./adf.js";
import { jiraTransport, parseJiraFailure } from "./transport.js";
import type {
  JiraComment,
  JiraCommentPage,
  JiraEntityProperty,
  JiraErrorCollection,
  JiraIssue,
  JiraRemoteLinkRequest,
  JiraRemoteLinkResponse,
  JiraSearchJqlResponse,
  JiraSearchResponse,
  JiraTransition,
  JiraTransitions,
} from "./types.js";

// jira-client is CommonJS with `exports.default`; Node's ESM import gives the exports object.
const JiraApi = ((jiraModule as unknown as { default?: typeof jiraModule }).default ?? jiraModule) as typeof jiraModule;

/**
 * The jira-client methods Bora calls. @types/jira-client declares the helpers (`doRequest`,
 * `makeUri`, `makeRequestHeader`) private and types every result `any`, so we name them here.
 */
interface JiraApiCalls {
  findIssue(key: string, expand?: string, fields?: string): Promise<unknown>;
  addComment(key: string, body: string): Promise<unknown>;
  addCommentAdvanced(key: string, comment: { body: unknown; properties?: JiraEntityProperty[] }): Promise<unknown>;
  getCurrentUser(): Promise<unknown>;
  listTransitions(key: string): Promise<unknown>;
  transitionIssue(key: string, transition: { transition: { id: string } }): Promise<unknown>;
  createRemoteLink(key: string, link: JiraRemoteLinkRequest): Promise<unknown>;
  doRequest(options: object): Promise<unknown>;
  makeUri(options: { pathname: string; query?: Record<string, string>; intermediatePath?: string }): string;
  makeRequestHeader(uri: string, options?: { method?: string; body?: unknown }): object;
}

export type JiraAuth =
  /** Jira Cloud: Basic auth with the account's email and an API token. */
  | { kind: "cloud"; email: string; apiToken: string }
  /** Jira Data Center / Server 8.14+: a personal access token sent as Bearer. */
  | { kind: "datacenter"; pat: string };

export interface JiraConnection {
  /** The site, e.g. `https://acme.atlassian.net` or `https://jira.acme.internal/jira`. */
  baseUrl: string;
  auth: JiraAuth;
}

/**
 * Where a Jira comment carries its write-back marker: a comment entity property, set in the same
 * POST that creates the comment (the `properties` field of Comment, documented on Cloud and Data
 * Center), so a comment never exists without its marker. Jira renders no HTML comments: v2 wiki
 * markup shows `<!-- … -->` as text and ADF has no hidden node, so the body cannot hide it. Cloud's
 * "get comments" documents only `expand=renderedBody` (properties come back only from the Cloud-only
 * `POST /comment/list`), so the look-up reads the property of each of the account's own comments
 * with GET /comment/{id}/properties/{key}, which both Cloud and Data Center serve.
 */
export const JIRA_MARKER_PROPERTY = "bora.marker";

/** Comments a page of the issue's comments holds (Jira's own cap for this endpoint is 5000; 100 keeps pages small). */
const COMMENT_PAGE = 100;

/** The fields Bora reads; without `fields`, /search/jql returns only ids. */
export const JIRA_FIELDS = [
  "summary",
  "description",
  "status",
  "labels",
  "assignee",
  "updated",
  "comment",
  "issuelinks",
];

export class JiraClient {
  readonly cloud: boolean;
  readonly site: URL;
  private readonly api: JiraApiCalls;
  private readonly policy: HttpPolicy;
  private me: { accountId?: string; name?: string; key?: string } | undefined;

  constructor(connection: JiraConnection, policy: HttpPolicy) {
    this.site = new URL(connection.baseUrl);
    this.cloud = connection.auth.kind === "cloud";
    this.policy = policy;
    const auth = connection.auth;
    this.api = new JiraApi({
      protocol: this.site.protocol.replace(":", ""),
      host: this.site.hostname,
      ...(this.site.port ? { port: this.site.port } : {}),
      base: this.site.pathname.replace(/\/+$/, ""),
      apiVersion: this.cloud ? "3" : "2",
      strictSSL: true,
      request: jiraTransport(policy.fetchFor("jira")),
      ...(auth.kind === "cloud" ? { username: auth.email, password: auth.apiToken } : { bearer: auth.pat }),
    }) as unknown as JiraApiCalls;
  }

  /** The web page of an issue. */
  browseUrl(key: string): string {
    return `${this.site.origin}${this.site.pathname.replace(/\/+$/, "")}/browse/${key}`;
  }

  private async call<T>(what: string, run: () => Promise<unknown>): Promise<T> {
    try {
      return (await run()) as T;
    } catch (error) {
      throw this.mapError(error, what);
    }
  }

  mapError(error: unknown, what: string): IntegrationError {
    if (error instanceof IntegrationError) return error;
    const failure = parseJiraFailure(error);
    if (failure && "policy" in failure) {
      const p = failure.policy;
      return new IntegrationError("jira", p.kind, p.message, {
        ...(p.status === undefined ? {} : { status: p.status }),
        ...(p.retryAt === undefined ? {} : { retryAt: p.retryAt }),
      });
    }
    if (!failure) {
      const message =
        error instanceof Error && error.message !== "{}" ? error.message : "Jira returned an error without a message";
      return new IntegrationError("jira", "invalid", `Jira refused ${what}: ${message}`, { cause: error });
    }
    const { status, body } = failure;
    const collection = typeof body === "object" && body !== null ? (body as Partial<JiraErrorCollection>) : undefined;
    const detail = [
      ...(collection?.errorMessages ?? []),
      ...Object.entries(collection?.errors ?? {}).map(([k, v]) => `${k}: ${v}`),
    ].join("; ");
    const kind = kindOfStatus(status);
    const site = this.site.host;
    const text = (() => {
      switch (kind) {
        case "auth":
          return this.cloud
            ? `Jira at ${site} rejected the credentials (401). Check JIRA_EMAIL and JIRA_API_TOKEN (an API token from id.atlassian.com, not the password).`
            : `Jira at ${site} rejected the personal access token (401). Check JIRA_PAT, and that it has not expired.`;
        case "forbidden":
          return `Jira at ${site} refused ${what} (403${detail ? ` ${detail}` : ""}): the account lacks the permission.`;
        case "notFound":
          return `Jira ${what} not found (404${detail ? ` ${detail}` : ""}). Check the key, and that the account can browse the project.`;
        case "gone":
          return `Jira removed the API used for ${what} (410${detail ? ` ${detail}` : ""}). Update Bora.`;
        case "rateLimited": {
          const seconds = Number(failure.retryAfter);
          return `Jira rate limit reached for ${what} (429)${Number.isFinite(seconds) ? `; retry in ${describeWait(seconds * 1000)}` : ""}.`;
        }
        case "unavailable":
          return `Jira at ${site} failed on ${what} (${status}) after retries. Try again later.`;
        default:
          return `Jira refused ${what} (${status}${detail ? ` ${detail}` : ""}).`;
      }
    })();
    const retryAfter = Number(failure.retryAfter);
    return new IntegrationError("jira", kind, text, {
      status,
      ...(Number.isFinite(retryAfter) && failure.retryAfter !== null
        ? { retryAt: this.policy.now() + retryAfter * 1000 }
        : {}),
    });
  }

  /** Keys go into URL paths unescaped by jira-client, so only real keys and ids pass. */
  private checkKey(key: string): string {
    if (!/^([A-Z][A-Z0-9_]*-\d+|\d+)$/.test(key))
      throw new IntegrationError("jira", "invalid", `'${key}' is not a Jira issue key (ABC-12) or id`);
    return key;
  }

  async getIssue(key: string): Promise<JiraIssue> {
    this.checkKey(key);
    return this.call(`issue ${key}`, () => this.api.findIssue(key, "", JIRA_FIELDS.join(",")));
  }

  /**
   * Issues matching `jql`, following pages. Cloud: POST /rest/api/3/search/jql (token paging);
   * Data Center: POST /rest/api/2/search (offset paging), which Data Center still serves.
   */
  async search(jql: string, limit = 100): Promise<JiraIssue[]> {
    if (jql.trim() === "")
      throw new IntegrationError(
        "jira",
        "invalid",
        "Jira search needs a JQL query, e.g. 'assignee = currentUser() AND statusCategory != Done'",
      );
    const pageSize = Math.min(100, limit);
    const out: JiraIssue[] = [];
    if (this.cloud) {
      let nextPageToken: string | undefined;
      do {
        const body = { jql, fields: JIRA_FIELDS, maxResults: pageSize, ...(nextPageToken ? { nextPageToken } : {}) };
        const page = await this.call<JiraSearchJqlResponse>(`search '${jql}'`, () =>
          this.api.doRequest(
            this.api.makeRequestHeader(this.api.makeUri({ pathname: "/search/jql" }), { method: "POST", body }),
          ),
        );
        out.push(...page.issues.slice(0, limit - out.length));
        nextPageToken =
          page.isLast === false || (page.isLast === undefined && page.nextPageToken) ? page.nextPageToken : undefined;
      } while (nextPageToken && out.length < limit);
      return out;
    }
    for (let startAt = 0; out.length < limit;) {
      const body = { jql, fields: JIRA_FIELDS, maxResults: pageSize, startAt };
      const page = await this.call<JiraSearchResponse>(`search '${jql}'`, () =>
        this.api.doRequest(
          this.api.makeRequestHeader(this.api.makeUri({ pathname: "/search" }), { method: "POST", body }),
        ),
      );
      out.push(...page.issues.slice(0, limit - out.length));
      startAt += page.issues.length;
      if (page.issues.length === 0 || startAt >= page.total) break;
    }
    return out;
  }

  /** Adds a comment; Markdown is sent as ADF on Cloud and as text on Data Center. */
  async addComment(key: string, markdown: string): Promise<JiraComment> {
    this.checkKey(key);
    return this.call(`a comment on ${key}`, () =>
      this.cloud
        ? this.api.addCommentAdvanced(key, { body: markdownToAdf(markdown) })
        : this.api.addComment(key, markdown),
    );
  }

  /** Every comment of an issue, oldest first, following `startAt` pages. */
  async listComments(key: string): Promise<JiraComment[]> {
    this.checkKey(key);
    const out: JiraComment[] = [];
    for (;;) {
      const query = { startAt: String(out.length), maxResults: String(COMMENT_PAGE), orderBy: "created" };
      const page = await this.call<JiraCommentPage>(`comments of ${key}`, () =>
        this.api.doRequest(this.api.makeRequestHeader(this.api.makeUri({ pathname: `/issue/${key}/comment`, query }))),
      );
      out.push(...page.comments);
      if (page.comments.length === 0 || out.length >= page.total) return out;
    }
  }

  /** The account the credentials belong to (Cloud: `accountId`; Data Center: `name` and `key`). */
  /** Who the credentials sign in as: the account's display name (or its name on Data Center). */
  async whoAmI(): Promise<string> {
    const me = await this.call<{ displayName?: string; name?: string; emailAddress?: string }>("the current user", () =>
      this.api.getCurrentUser(),
    );
    return me.displayName ?? me.name ?? me.emailAddress ?? "an unnamed account";
  }

  private async currentUser(): Promise<{ accountId?: string; name?: string; key?: string }> {
    const me =
      this.me ??
      (await this.call<{ accountId?: string; name?: string; key?: string }>("the current user", () =>
        this.api.getCurrentUser(),
      ));
    this.me = me;
    return me;
  }

  /** The value of a comment's entity property, or undefined when the comment has none by that key. */
  private async commentProperty(commentId: string, property: string): Promise<unknown> {
    try {
      const found = await this.call<{ key: string; value: unknown }>(
        `property ${property} of comment ${commentId}`,
        () =>
          this.api.doRequest(
            this.api.makeRequestHeader(
              this.api.makeUri({
                pathname: `/comment/${encodeURIComponent(commentId)}/properties/${encodeURIComponent(property)}`,
              }),
            ),
          ),
      );
      return found.value;
    } catch (error) {
      if (error instanceof IntegrationError && error.kind === "notFound") return undefined;
      throw error;
    }
  }

  /**
   * Comments on the issue exactly once for (`taskId`, `step`): the comment carries the marker in
   * its `bora.marker` property (see JIRA_MARKER_PROPERTY for why there), and the account's own
   * comments are searched for it, newest first, before anything is created.
   */
  async commentOnce(
    key: string,
    taskId: string,
    step: string,
    markdown: string,
  ): Promise<{ comment: JiraComment; created: boolean }> {
    const marker = writeMarker(taskId, step);
    const me = await this.currentUser();
    const mine = (c: JiraComment): boolean =>
      c.author !== undefined &&
      (me.accountId !== undefined
        ? c.author.accountId === me.accountId
        : c.author.name === me.name || (me.key !== undefined && c.author.key === me.key));
    for (const c of (await this.listComments(key)).filter(mine).reverse()) {
      const value = await this.commentProperty(c.id, JIRA_MARKER_PROPERTY);
      if ((value as { marker?: unknown } | undefined)?.marker === marker) return { comment: c, created: false };
    }
    const properties: JiraEntityProperty[] = [{ key: JIRA_MARKER_PROPERTY, value: { marker } }];
    const comment = await this.call<JiraComment>(`a comment on ${key}`, () =>
      this.api.addCommentAdvanced(key, {
        body: this.cloud ? markdownToAdf(markdown) : markdown,
        properties,
      }),
    );
    return { comment, created: true };
  }

  async listTransitions(key: string): Promise<JiraTransition[]> {
    this.checkKey(key);
    return (await this.call<JiraTransitions>(`transitions of ${key}`, () => this.api.listTransitions(key))).transitions;
  }

  /**
   * Moves the issue through the transition named `name` ("In Review"), matched without case, or
   * by the name of the status it leads to. Returns the transition taken.
   */
  async transitionByName(key: string, name: string): Promise<JiraTransition> {
    const transitions = await this.listTransitions(key);
    const wanted = name.trim().toLowerCase();
    const match =
      transitions.find((t) => t.name.toLowerCase() === wanted) ??
      transitions.find((t) => t.to.name.toLowerCase() === wanted);
    if (!match) {
      const names = transitions.map((t) => `'${t.name}'`).join(", ") || "none";
      throw new IntegrationError(
        "jira",
        "invalid",
        `Jira issue ${key} has no transition '${name}' from its current status; available: ${names}.`,
      );
    }
    await this.call(`transition '${match.name}' of ${key}`, () =>
      this.api.transitionIssue(key, { transition: { id: match.id } }),
    );
    return match;
  }

  /**
   * Links the issue to a web page (the pull request). The URL is the link's global id, so linking
   * the same PR again updates the link instead of adding a second one.
   */
  async addRemoteLink(key: string, url: string, title: string): Promise<JiraRemoteLinkResponse> {
    this.checkKey(key);
    const link: JiraRemoteLinkRequest = {
      globalId: url,
      application: { name: "Bora" },
      relationship: "mentioned in",
      object: { url, title },
    };
    return this.call(`a remote link on ${key}`, () => this.api.createRemoteLink(key, link));
  }
}
