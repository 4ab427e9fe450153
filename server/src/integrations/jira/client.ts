/**
 * Jira through jira-client, for Cloud (email + API token, REST v3 with ADF bodies) and Data Center
 * (personal access token, REST v2 with wiki markup). Search goes to the current endpoints:
 * jira-client's `searchJira` posts to `/rest/api/2/search`, which Cloud removed (410).
 */
import jiraModule from "jira-client";
import { IntegrationError, describeWait, kindOfStatus } from "../../http/errors.js";
import type { HttpPolicy } from "../../http/policy.js";
import { markdownToAdf } from "./adf.js";
import { jiraTransport, parseJiraFailure } from "./transport.js";
import type {
  JiraComment,
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
  addCommentAdvanced(key: string, comment: { body: unknown }): Promise<unknown>;
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

/** The fields Bora reads; without `fields`, /search/jql returns only ids. */
export const JIRA_FIELDS = ["summary", "description", "status", "labels", "assignee", "comment", "issuelinks"];

export class JiraClient {
  readonly cloud: boolean;
  readonly site: URL;
  private readonly api: JiraApiCalls;
  private readonly policy: HttpPolicy;

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
