/**
 * A stateful GitHub REST fake: repositories, issues, comments, pull requests, review comments and
 * check runs in memory; token auth; Link-header pagination; rate-limit headers; and a schema gate
 * that validates every JSON body it sends against the operation's schema in the committed subset
 * of GitHub's OpenAPI description. A body that fails the gate is turned into a 500 that names the
 * violation, and recorded in `violations`, so no test can pass on data GitHub would never send.
 */
import type { components } from "@octokit/openapi-types";
import { HttpFake, bodyOf, pageOf, type FakeRequest, type FakeResponse } from "./httpFake.js";
import {
  checkRun,
  fullRepository,
  issue,
  issueComment,
  privateUser,
  pullRequest,
  pullRequestSimple,
  repository,
  reviewComment,
  searchItem,
  simpleUser,
  type IssueSeed,
  type PullSeed,
  type RepoSeed,
} from "./githubData.js";
import { validateGitHubResponse } from "./githubSchemas.js";

type S = components["schemas"];

interface CommentSeed {
  id: number;
  body: string;
  user: S["simple-user"];
  createdAt: string;
}

interface RepoState {
  seed: RepoSeed;
  issues: IssueSeed[];
  comments: Map<number, CommentSeed[]>;
  pulls: PullSeed[];
  reviewComments: Map<
    number,
    { id: number; body: string; path: string; line: number; user: S["simple-user"]; sha: string }[]
  >;
  checkRuns: {
    id: number;
    name: string;
    sha: string;
    status: "queued" | "in_progress" | "completed";
    conclusion: S["check-run"]["conclusion"];
  }[];
  /** Issues answer 410, as for a repository with issues turned off. */
  issuesDisabled: boolean;
}

const DOCS = "https://docs.github.com/rest";

function basicError(status: number, message: string, doc = DOCS): FakeResponse {
  return { status, body: { message, documentation_url: doc, status: String(status) } };
}

export class GitHubFake extends HttpFake {
  /** Schema-gate failures, as `METHOD template status: path message`. Tests assert it stays empty. */
  readonly violations: string[] = [];
  private readonly tokens = new Map<string, { login: string; id: number; scopes: string }>();
  private readonly repos = new Map<string, RepoState>();
  private nextId = 1000;
  private clock = Date.parse("2026-01-05T10:00:00Z");

  constructor() {
    super();
    this.defineRoutes();
  }

  private get api(): string {
    return this.url;
  }

  /** A token the fake accepts, for user `login`. `scopes` is what `x-oauth-scopes` reports. */
  addToken(token: string, login: string, scopes = "repo"): S["simple-user"] {
    const id = this.nextId++;
    this.tokens.set(token, { login, id, scopes });
    return simpleUser(this.api, this.url, login, id);
  }

  user(login: string): S["simple-user"] {
    for (const t of this.tokens.values()) if (t.login === login) return simpleUser(this.api, this.url, login, t.id);
    return simpleUser(this.api, this.url, login, 1);
  }

  addRepo(fullName: string, options: { defaultBranch?: string; private?: boolean } = {}): RepoState {
    const [owner, name] = fullName.split("/") as [string, string];
    const state: RepoState = {
      seed: {
        id: this.nextId++,
        owner: this.user(owner),
        name,
        defaultBranch: options.defaultBranch ?? "main",
        private: options.private ?? false,
        openIssues: 0,
      },
      issues: [],
      comments: new Map(),
      pulls: [],
      reviewComments: new Map(),
      checkRuns: [],
      issuesDisabled: false,
    };
    this.repos.set(fullName.toLowerCase(), state);
    return state;
  }

  addIssue(
    fullName: string,
    fields: {
      title: string;
      body?: string;
      labels?: string[];
      assignee?: string;
      author?: string;
      state?: "open" | "closed";
    },
  ): number {
    const repo = this.repoOrThrow(fullName);
    const number = repo.issues.length + repo.pulls.length + 1;
    this.clock += 60_000;
    repo.issues.push({
      id: this.nextId++,
      number,
      title: fields.title,
      body: fields.body ?? "",
      state: fields.state ?? "open",
      labels: fields.labels ?? [],
      user: this.user(fields.author ?? "reporter"),
      assignee: fields.assignee ? this.user(fields.assignee) : null,
      comments: 0,
      createdAt: new Date(this.clock).toISOString().replace(/\.\d+Z$/, "Z"),
    });
    return number;
  }

  addComment(fullName: string, number: number, body: string, author = "reporter"): CommentSeed {
    const repo = this.repoOrThrow(fullName);
    this.clock += 1000;
    const c = {
      id: this.nextId++,
      body,
      user: this.user(author),
      createdAt: new Date(this.clock).toISOString().replace(/\.\d+Z$/, "Z"),
    };
    const list = repo.comments.get(number) ?? [];
    list.push(c);
    repo.comments.set(number, list);
    const i = repo.issues.find((x) => x.number === number);
    if (i) i.comments = list.length;
    return c;
  }

  addCheckRun(
    fullName: string,
    sha: string,
    name: string,
    status: RepoState["checkRuns"][number]["status"],
    conclusion: S["check-run"]["conclusion"] = null,
  ): void {
    this.repoOrThrow(fullName).checkRuns.push({ id: this.nextId++, name, sha, status, conclusion });
  }

  addReviewComment(
    fullName: string,
    pull: number,
    c: { body: string; path: string; line: number; author?: string },
  ): void {
    const repo = this.repoOrThrow(fullName);
    const pr = repo.pulls.find((p) => p.number === pull);
    const list = repo.reviewComments.get(pull) ?? [];
    list.push({
      id: this.nextId++,
      body: c.body,
      path: c.path,
      line: c.line,
      user: this.user(c.author ?? "reviewer"),
      sha: pr?.headSha ?? "a".repeat(40),
    });
    repo.reviewComments.set(pull, list);
  }

  repoState(fullName: string): RepoState {
    return this.repoOrThrow(fullName);
  }

  /** The next `times` requests get GitHub's primary rate-limit answer (403, remaining 0, reset in `resetInSeconds`). */
  primaryRateLimit(resetInSeconds: number, times = 1): this {
    return this.fail({
      times,
      status: 403,
      body: {
        message: "API rate limit exceeded for user ID 1.",
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
      },
      headers: {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-used": "5000",
        "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + resetInSeconds),
        "x-ratelimit-resource": "core",
      },
    });
  }

  /** The next `times` requests get a secondary rate limit (403), with `retry-after` when given. */
  secondaryRateLimit(retryAfterSeconds?: number, times = 1): this {
    return this.fail({
      times,
      status: 403,
      body: {
        message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
      },
      headers: retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) },
    });
  }

  private repoOrThrow(fullName: string): RepoState {
    const repo = this.repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`fake: no repository ${fullName}`);
    return repo;
  }

  protected override authenticate(request: FakeRequest): FakeResponse | undefined {
    const header = String(request.headers.authorization ?? "");
    const m = /^(?:token|Bearer) (\S+)$/.exec(header);
    if (!m || !this.tokens.has(m[1] as string)) return basicError(401, "Bad credentials");
    return undefined;
  }

  private caller(request: FakeRequest): { login: string; id: number; scopes: string } {
    const m = /^(?:token|Bearer) (\S+)$/.exec(String(request.headers.authorization ?? ""));
    return this.tokens.get(m?.[1] ?? "") ?? { login: "ghost", id: 0, scopes: "" };
  }

  protected override check(
    route: { method: string; template: string } | undefined,
    response: FakeResponse,
  ): FakeResponse {
    const headers: Record<string, string> = {
      "x-github-media-type": "github.v3; format=json",
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 3600),
      "x-ratelimit-used": "1",
      "x-ratelimit-resource": "core",
      ...response.headers,
    };
    if (route && typeof response.body === "object") {
      const errors = validateGitHubResponse(`${route.method} ${route.template}`, response.status, response.body);
      if (errors.length > 0) {
        this.violations.push(...errors);
        return { status: 500, body: `fake GitHub schema violation:\n${errors.join("\n")}`, headers: {} };
      }
    }
    return { ...response, headers };
  }

  protected override notFound(): FakeResponse {
    return basicError(404, "Not Found");
  }

  /** A page of `items` with GitHub's Link header pointing at the fake's own origin. */
  private paged<T>(request: FakeRequest, items: T[], wrap?: (page: T[]) => unknown): FakeResponse {
    const perPage = Math.min(100, Number(request.query.get("per_page") ?? 30) || 30);
    const page = Math.max(1, Number(request.query.get("page") ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string): string => {
      const q = new URLSearchParams(request.query);
      q.set("page", String(p));
      q.set("per_page", String(perPage));
      return `<${this.url}${request.path}?${q.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, "prev"), link(1, "first"));
    if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
    const slice = pageOf(items, page, perPage);
    return { status: 200, body: wrap ? wrap(slice) : slice, headers: links.length ? { link: links.join(", ") } : {} };
  }

  private repoOf(request: FakeRequest): RepoState | undefined {
    return this.repos.get(`${request.params.owner}/${request.params.repo}`.toLowerCase());
  }

  private defineRoutes(): void {
    const R = "/repos/{owner}/{repo}";
    this.route("GET", "/user", (req) => {
      const c = this.caller(req);
      return {
        status: 200,
        body: privateUser(this.api, this.url, c.login, c.id),
        headers: { "x-oauth-scopes": c.scopes },
      };
    });

    this.route("GET", R, (req) => {
      const repo = this.repoOf(req);
      if (!repo) return basicError(404, "Not Found", `${DOCS}/repos/repos#get-a-repository`);
      repo.seed.openIssues = repo.issues.filter((i) => i.state === "open").length;
      return { status: 200, body: fullRepository(this.api, this.url, repo.seed) };
    });

    this.route("GET", `${R}/issues`, (req) => {
      const repo = this.repoOf(req);
      if (!repo) return basicError(404, "Not Found");
      if (repo.issuesDisabled) return basicError(410, "Issues are disabled for this repo");
      const state = req.query.get("state") ?? "open";
      const assignee = req.query.get("assignee");
      const labels = (req.query.get("labels") ?? "").split(",").filter(Boolean);
      const full = `${repo.seed.owner.login}/${repo.seed.name}`;
      const items = [...repo.issues]
        .filter((i) => state === "all" || i.state === state)
        .filter((i) => !assignee || i.assignee?.login === assignee)
        .filter((i) => labels.every((l) => i.labels.includes(l)))
        .reverse()
        .map((i) => issue(this.api, this.url, full, i));
      return this.paged(req, items);
    });

    this.route("GET", `${R}/issues/{issue_number}`, (req) => {
      const repo = this.repoOf(req);
      if (!repo) return basicError(404, "Not Found");
      if (repo.issuesDisabled) return basicError(410, "Issues are disabled for this repo");
      const n = Number(req.params.issue_number);
      const full = `${repo.seed.owner.login}/${repo.seed.name}`;
      const found = repo.issues.find((i) => i.number === n);
      if (found) return { status: 200, body: issue(this.api, this.url, full, found) };
      const pr = repo.pulls.find((p) => p.number === n);
      if (pr)
        return {
          status: 200,
          body: issue(this.api, this.url, full, {
            id: pr.id,
            number: n,
            title: pr.title,
            body: pr.body,
            state: pr.state,
            labels: [],
            user: pr.user,
            assignee: null,
            comments: 0,
            createdAt: pr.createdAt,
            pullRequest: true,
          }),
        };
      return basicError(404, "Not Found", `${DOCS}/issues/issues#get-an-issue`);
    });

    this.route("GET", `${R}/issues/{issue_number}/comments`, (req) => {
      const repo = this.repoOf(req);
      if (!repo) return basicError(404, "Not Found");
      if (repo.issuesDisabled) return basicError(410, "Issues are disabled for this repo");
      const n = Number(req.params.issue_number);
      const full = `${repo.seed.owner.login}/${repo.seed.name}`;
      return this.paged(
        req,
        (repo.comments.get(n) ?? []).map((c) => issueComment(this.api, this.url, full, n, c)),
      );
    });

    this.route("POST", `${R}/issues/{issue_number}/comments`, (req) => {
      const repo = this.repoOf(req);
      if (!repo) return basicError(404, "Not Found");
      if (repo.issuesDisabled) return basicError(410, "Issues are disabled for this repo");
      const n = Number(req.params.issue_number);
      if (!repo.issues.some((i) => i.number === n) && !repo.pulls.some((p) => p.number === n))
        return basicError(404, "Not Found");
      const { body } = bodyOf(req);
      if (typeof body !== "string" || body === "")
        return {
          status: 422,
          body: {
            message: "Validation Failed",
            documentation_url: DOCS,
            errors: [{ resource: "IssueComment", code: "missing_field", field: "body" }],
          },
        };
      const c = this.addComment(`${repo.seed.owner.login}/${repo.seed.name}`, n, body, this.caller(req).login);
      return {
        status: 201,
        body: issueComment(this.api, this.url, `${repo.seed.owner.login}/${repo.seed.name}`, n, c),
      };
    });

    this.route("GET", "/search/issues", (req) => {
      const q = req.query.get("q") ?? "";
      if (q.trim() === "")
        return {
          status: 422,
          body: {
            message: "Validation Failed",
            documentation_url: DOCS,
            errors: [{ resource: "Search", field: "q", code: "missing" }],
          },
        };
      const terms = q.split(/\s+/).filter(Boolean);
      const quals = terms.filter((t) => /^[a-z-]+:/.test(t));
      const words = terms.filter((t) => !/^[a-z-]+:/.test(t)).map((w) => w.toLowerCase());
      const results: { full: string; seed: IssueSeed }[] = [];
      for (const repo of this.repos.values()) {
        const full = `${repo.seed.owner.login}/${repo.seed.name}`;
        for (const i of repo.issues) {
          const ok = quals.every((qual) => {
            const [k, ...v] = qual.split(":");
            const value = v.join(":").replace(/^"|"$/g, "");
            if (k === "repo") return value.toLowerCase() === full.toLowerCase();
            if (k === "is") return value === "issue" || value === i.state;
            if (k === "state") return value === i.state;
            if (k === "label") return i.labels.includes(value);
            if (k === "assignee") return i.assignee?.login === (value === "@me" ? this.caller(req).login : value);
            return true;
          });
          const text = `${i.title} ${i.body}`.toLowerCase();
          if (ok && words.every((w) => text.includes(w))) results.push({ full, seed: i });
        }
      }
      const items = results.map((r) => searchItem(this.api, this.url, r.full, r.seed));
      return this.paged(req, items, (page) => ({
        total_count: items.length,
        incomplete_results: false,
        items: page,
        search_type: "lexical",
      }));
    });

    this.route("GET", `${R}/pulls`, (req) => {
      const repo = this.repoOf(req);
      if (!repo) return basicError(404, "Not Found");
      const state = req.query.get("state") ?? "open";
      const head = req.query.get("head");
      const repoObj = repository(this.api, this.url, repo.seed);
      const items = repo.pulls
        .filter((p) => state === "all" || p.state === state)
        .filter((p) => !head || `${repo.seed.owner.login}:${p.head}` === head)
        .map((p) => pullRequestSimple(this.api, this.url, repoObj, p));
      return this.paged(req, items);
    });

    this.route("POST", `${R}/pulls`, (req) => {
      const repo = this.repoOf(req);
      if (!repo) return basicError(404, "Not Found");
      const b = bodyOf(req) as { title?: string; head?: string; base?: string; body?: string; draft?: boolean };
      if (!b.title || !b.head || !b.base)
        return {
          status: 422,
          body: {
            message: "Validation Failed",
            documentation_url: `${DOCS}/pulls/pulls#create-a-pull-request`,
            errors: [
              { resource: "PullRequest", code: "missing_field", field: b.title ? (b.head ? "base" : "head") : "title" },
            ],
          },
        };
      if (repo.pulls.some((p) => p.state === "open" && p.head === b.head && p.base === b.base))
        return {
          status: 422,
          body: {
            message: "Validation Failed",
            documentation_url: `${DOCS}/pulls/pulls#create-a-pull-request`,
            errors: [
              {
                resource: "PullRequest",
                code: "custom",
                message: `A pull request already exists for ${repo.seed.owner.login}:${b.head}.`,
              },
            ],
          },
        };
      this.clock += 60_000;
      const at = new Date(this.clock).toISOString().replace(/\.\d+Z$/, "Z");
      const seed: PullSeed = {
        id: this.nextId++,
        number: repo.issues.length + repo.pulls.length + 1,
        title: b.title,
        body: b.body ?? "",
        state: "open",
        head: b.head,
        base: b.base,
        headSha: (this.nextId * 7919).toString(16).padStart(40, "0").slice(-40),
        draft: b.draft ?? false,
        user: this.user(this.caller(req).login),
        requestedReviewers: [],
        createdAt: at,
        updatedAt: at,
      };
      repo.pulls.push(seed);
      return { status: 201, body: pullRequest(this.api, this.url, repository(this.api, this.url, repo.seed), seed) };
    });

    this.route("PATCH", `${R}/pulls/{pull_number}`, (req) => {
      const repo = this.repoOf(req);
      const pr = repo?.pulls.find((p) => p.number === Number(req.params.pull_number));
      if (!repo || !pr) return basicError(404, "Not Found");
      const b = bodyOf(req) as { title?: string; body?: string; state?: "open" | "closed"; base?: string };
      if (b.state !== undefined && b.state !== "open" && b.state !== "closed")
        return {
          status: 422,
          body: {
            message: "Validation Failed",
            documentation_url: DOCS,
            errors: [{ resource: "PullRequest", code: "invalid", field: "state" }],
          },
        };
      Object.assign(pr, {
        ...(b.title !== undefined ? { title: b.title } : {}),
        ...(b.body !== undefined ? { body: b.body } : {}),
        ...(b.state ? { state: b.state } : {}),
        ...(b.base ? { base: b.base } : {}),
      });
      this.clock += 1000;
      pr.updatedAt = new Date(this.clock).toISOString().replace(/\.\d+Z$/, "Z");
      return { status: 200, body: pullRequest(this.api, this.url, repository(this.api, this.url, repo.seed), pr) };
    });

    this.route("POST", `${R}/pulls/{pull_number}/requested_reviewers`, (req) => {
      const repo = this.repoOf(req);
      const pr = repo?.pulls.find((p) => p.number === Number(req.params.pull_number));
      if (!repo || !pr) return basicError(404, "Not Found");
      const { reviewers = [] } = bodyOf(req) as { reviewers?: string[] };
      const author = pr.user.login;
      if (reviewers.includes(author))
        return {
          status: 422,
          body: { message: "Review cannot be requested from pull request author.", documentation_url: DOCS },
        };
      for (const r of reviewers)
        if (!pr.requestedReviewers.some((u) => u.login === r)) pr.requestedReviewers.push(this.user(r));
      return {
        status: 201,
        body: pullRequestSimple(this.api, this.url, repository(this.api, this.url, repo.seed), pr),
      };
    });

    this.route("GET", `${R}/pulls/{pull_number}/comments`, (req) => {
      const repo = this.repoOf(req);
      if (!repo) return basicError(404, "Not Found");
      const n = Number(req.params.pull_number);
      const full = `${repo.seed.owner.login}/${repo.seed.name}`;
      return this.paged(
        req,
        (repo.reviewComments.get(n) ?? []).map((c) => reviewComment(this.api, this.url, full, n, c)),
      );
    });

    this.route("GET", `${R}/commits/{ref}/check-runs`, (req) => {
      const repo = this.repoOf(req);
      if (!repo) return basicError(404, "Not Found");
      const ref = req.params.ref ?? "";
      const sha = repo.pulls.find((p) => p.head === ref.replace(/^heads\//, ""))?.headSha ?? ref;
      const full = `${repo.seed.owner.login}/${repo.seed.name}`;
      const runs = repo.checkRuns.filter((c) => c.sha === sha).map((c) => checkRun(this.api, this.url, full, c));
      return this.paged(req, runs, (page) => ({ total_count: runs.length, check_runs: page }));
    });
  }
}
