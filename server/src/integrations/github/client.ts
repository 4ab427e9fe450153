/**
 * The GitHub calls of the issue-to-PR flow, on @octokit/rest. Every list is paginated; every error
 * becomes an IntegrationError that names the thing it was about.
 */
import type { RestEndpointMethodTypes } from "@octokit/rest";
import type { HttpPolicy } from "../../http/policy.js";
import { IntegrationError } from "../../http/errors.js";
import { hasMarker, withMarker } from "../markers.js";
import { mapGitHubError } from "./errors.js";
import type { IssueRef, RepoRef } from "./keys.js";
import { createOctokit, type BoraOctokit, type GitHubConnection } from "./octokit.js";

type Data<
  M extends keyof RestEndpointMethodTypes,
  O extends keyof RestEndpointMethodTypes[M],
> = RestEndpointMethodTypes[M][O] extends { response: { data: infer D } } ? D : never;

export type GitHubIssue = Data<"issues", "get">;
export type GitHubComment = Data<"issues", "getComment">;
export type GitHubRepo = Data<"repos", "get">;
export type GitHubPull = Data<"pulls", "get">;
export type GitHubPullSummary = Data<"pulls", "list">[number];
export type GitHubReviewComment = Data<"pulls", "listReviewComments">[number];
export type GitHubCheckRun = Data<"checks", "listForRef">["check_runs"][number];
export type GitHubSearchItem = Data<"search", "issuesAndPullRequests">["items"][number];

export interface ListIssuesOptions {
  /** Only issues assigned to the token's user. Defaults to false. */
  assignedToMe?: boolean;
  /** Only issues with all of these labels. Defaults to none. */
  labels?: string[];
  /** Defaults to `open`. */
  state?: "open" | "closed" | "all";
  /** The most issues to return. Defaults to 100. */
  limit?: number;
}

export interface CreatePullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  /** The issue the PR resolves; the body gets `Fixes #n` so GitHub links and closes it. Defaults to none. */
  fixes?: IssueRef;
  /** Defaults to false. */
  draft?: boolean;
}

export interface OpenOrUpdatePullRequest extends CreatePullRequest {
  /**
   * Writes `<!-- bora:<taskId>:<step> -->` into the body, so the PR can be told apart as Bora's.
   * The head branch, not the marker, is what finds the open PR again. Defaults to none.
   */
  marker?: { taskId: string; step: string };
}

/** An idempotent comment: the comment, and whether this call made it (false: it was there already). */
export interface WrittenComment {
  comment: GitHubComment;
  created: boolean;
}
/** An idempotent pull request: the PR, and whether this call opened it (false: it updated the open one). */
export interface WrittenPull {
  pr: GitHubPull;
  created: boolean;
}

const PER_PAGE = 100;

function repoName(r: RepoRef): string {
  return `${r.owner}/${r.repo}`;
}

/** The `Fixes` line for a PR body: `Fixes #3` in the same repository, `Fixes owner/repo#3` across. */
export function fixesLine(pr: RepoRef, issue: IssueRef): string {
  const sameRepo =
    pr.owner.toLowerCase() === issue.owner.toLowerCase() && pr.repo.toLowerCase() === issue.repo.toLowerCase();
  return `Fixes ${sameRepo ? "" : repoName(issue)}#${issue.number}`;
}

/** A PR body with the `Fixes` line added when it names an issue and lacks the line. */
function pullBody(r: RepoRef, pr: CreatePullRequest): string {
  if (!pr.fixes) return pr.body;
  const line = fixesLine(r, pr.fixes);
  if (pr.body.includes(line)) return pr.body;
  return pr.body.trim() === "" ? line : `${pr.body.trimEnd()}\n\n${line}`;
}

export class GitHubClient {
  readonly octokit: BoraOctokit;
  private readonly policy: HttpPolicy;
  private login: string | undefined;

  constructor(connection: GitHubConnection, policy: HttpPolicy) {
    this.octokit = createOctokit(connection, policy);
    this.policy = policy;
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw mapGitHubError(error, what, this.policy.now());
    }
  }

  /** The login of the token's user. */
  async currentUser(): Promise<string> {
    this.login ??= await this.call(
      "the authenticated user",
      async () => (await this.octokit.rest.users.getAuthenticated()).data.login,
    );
    return this.login;
  }

  /**
   * The token's user and, for a classic token, its scopes (GitHub's `X-OAuth-Scopes`; a fine-grained
   * token has none to report, its permissions are per repository).
   */
  async whoAmI(): Promise<{ login: string; scopes?: string[] }> {
    return this.call("the authenticated user", async () => {
      const response = await this.octokit.rest.users.getAuthenticated();
      const header = response.headers["x-oauth-scopes"];
      return {
        login: response.data.login,
        ...(typeof header === "string" && {
          scopes: header
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
        }),
      };
    });
  }

  async getRepo(r: RepoRef): Promise<GitHubRepo> {
    return this.call(`repository ${repoName(r)}`, async () => (await this.octokit.rest.repos.get({ ...r })).data);
  }

  async defaultBranch(r: RepoRef): Promise<string> {
    return (await this.getRepo(r)).default_branch;
  }

  /** Issues of a repository (pull requests left out), newest first. */
  async listIssues(r: RepoRef, options: ListIssuesOptions = {}): Promise<GitHubIssue[]> {
    const limit = options.limit ?? 100;
    const assignee = options.assignedToMe ? await this.currentUser() : undefined;
    return this.call(`issues of ${repoName(r)}`, async () => {
      const out: GitHubIssue[] = [];
      const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listForRepo, {
        ...r,
        state: options.state ?? "open",
        per_page: Math.min(PER_PAGE, limit),
        ...(assignee ? { assignee } : {}),
        ...(options.labels?.length ? { labels: options.labels.join(",") } : {}),
      });
      for await (const page of pages) {
        for (const issue of page.data) if (!issue.pull_request && out.length < limit) out.push(issue as GitHubIssue);
        if (out.length >= limit) break;
      }
      return out;
    });
  }

  /** Issue search (`q` in GitHub's search syntax); Bora adds `is:issue` when the query names no type. */
  async searchIssues(q: string, limit = 100): Promise<GitHubSearchItem[]> {
    const query = /\bis:(issue|pr|pull-request)\b|\btype:(issue|pr)\b/.test(q) ? q : `${q} is:issue`;
    return this.call(`issue search '${q}'`, async () => {
      const out: GitHubSearchItem[] = [];
      const pages = this.octokit.paginate.iterator(this.octokit.rest.search.issuesAndPullRequests, {
        q: query,
        per_page: Math.min(PER_PAGE, limit),
      });
      for await (const page of pages) {
        out.push(...page.data.slice(0, limit - out.length));
        if (out.length >= limit) break;
      }
      return out;
    });
  }

  async getIssue(i: IssueRef): Promise<GitHubIssue> {
    return this.call(
      `issue ${repoName(i)}#${i.number}`,
      async () => (await this.octokit.rest.issues.get({ owner: i.owner, repo: i.repo, issue_number: i.number })).data,
    );
  }

  async listComments(i: IssueRef): Promise<GitHubComment[]> {
    return this.call(`comments of ${repoName(i)}#${i.number}`, () =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, {
        owner: i.owner,
        repo: i.repo,
        issue_number: i.number,
        per_page: PER_PAGE,
      }),
    );
  }

  /** Comments on an issue or pull request. */
  async comment(i: IssueRef, body: string): Promise<GitHubComment> {
    return this.call(
      `a comment on ${repoName(i)}#${i.number}`,
      async () =>
        (await this.octokit.rest.issues.createComment({ owner: i.owner, repo: i.repo, issue_number: i.number, body }))
          .data,
    );
  }

  /** The open pull request whose head is `branch` in the repository itself, if any. */
  async findOpenPullRequest(r: RepoRef, branch: string): Promise<GitHubPullSummary | undefined> {
    return this.call(`open pull requests of ${repoName(r)} for ${branch}`, async () => {
      const pulls = await this.octokit.paginate(this.octokit.rest.pulls.list, {
        ...r,
        head: `${r.owner}:${branch}`,
        state: "open",
        per_page: PER_PAGE,
      });
      return pulls[0];
    });
  }

  async createPullRequest(r: RepoRef, pr: CreatePullRequest): Promise<GitHubPull> {
    const body = pullBody(r, pr);
    return this.call(
      `a pull request from ${pr.head} into ${repoName(r)}:${pr.base}`,
      async () =>
        (
          await this.octokit.rest.pulls.create({
            ...r,
            head: pr.head,
            base: pr.base,
            title: pr.title,
            body,
            draft: pr.draft ?? false,
          })
        ).data,
    );
  }

  /**
   * Comments on an issue or PR exactly once for (`taskId`, `step`), however often it is called: the
   * body carries the step's hidden marker, and every page of comments is searched for it first. A
   * step that crashed after GitHub created the comment finds it on the re-run and creates nothing.
   */
  async commentOnce(i: IssueRef, taskId: string, step: string, body: string): Promise<WrittenComment> {
    const existing = (await this.listComments(i)).find((c) => hasMarker(c.body, taskId, step));
    if (existing) return { comment: existing, created: false };
    return { comment: await this.comment(i, withMarker(body, taskId, step)), created: true };
  }

  /**
   * Opens the pull request for `head`, or, when one is already open for that head (a re-run after a
   * crash, or a task run again), updates its title and body instead of opening a second one.
   * `draft` applies only on creation: the REST API cannot flip it (GitHub's GraphQL does).
   */
  async openOrUpdatePullRequest(r: RepoRef, pr: OpenOrUpdatePullRequest): Promise<WrittenPull> {
    const body = pr.marker ? withMarker(pullBody(r, pr), pr.marker.taskId, pr.marker.step) : pullBody(r, pr);
    const update = async (number: number): Promise<WrittenPull> => ({
      pr: await this.updatePullRequest(r, number, { title: pr.title, body }),
      created: false,
    });
    const open = await this.findOpenPullRequest(r, pr.head);
    if (open) return update(open.number);
    try {
      return { pr: await this.createPullRequest(r, { ...pr, body, fixes: undefined }), created: true };
    } catch (error) {
      // Another run opened it between our look-up and the create: GitHub says 422 "already exists".
      if (!(error instanceof IntegrationError) || error.status !== 422 || !/already exists/i.test(error.message))
        throw error;
      const raced = await this.findOpenPullRequest(r, pr.head);
      if (!raced) throw error;
      return update(raced.number);
    }
  }

  async updatePullRequest(
    r: RepoRef,
    number: number,
    changes: { title?: string; body?: string; state?: "open" | "closed"; base?: string },
  ): Promise<GitHubPull> {
    return this.call(
      `pull request ${repoName(r)}#${number}`,
      async () => (await this.octokit.rest.pulls.update({ ...r, pull_number: number, ...changes })).data,
    );
  }

  async requestReviewers(
    r: RepoRef,
    number: number,
    reviewers: string[],
    teamReviewers: string[] = [],
  ): Promise<GitHubPull> {
    return this.call(
      `reviewers of ${repoName(r)}#${number}`,
      async () =>
        (
          await this.octokit.rest.pulls.requestReviewers({
            ...r,
            pull_number: number,
            reviewers,
            team_reviewers: teamReviewers,
          })
        ).data as GitHubPull,
    );
  }

  async listReviewComments(r: RepoRef, number: number): Promise<GitHubReviewComment[]> {
    return this.call(`review comments of ${repoName(r)}#${number}`, () =>
      this.octokit.paginate(this.octokit.rest.pulls.listReviewComments, {
        ...r,
        pull_number: number,
        per_page: PER_PAGE,
      }),
    );
  }

  async listCheckRuns(r: RepoRef, ref: string): Promise<GitHubCheckRun[]> {
    return this.call(`check runs of ${repoName(r)}@${ref}`, () =>
      this.octokit.paginate(this.octokit.rest.checks.listForRef, { ...r, ref, per_page: PER_PAGE }),
    );
  }
}
