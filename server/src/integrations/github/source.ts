/** GitHub issues as work items. */
import type { PostedComment, WorkItem, WorkItemComment, WorkItemQuery, WorkItemSource } from "../workItem.js";
import type { GitHubClient, GitHubComment, GitHubIssue, GitHubSearchItem } from "./client.js";
import { formatIssueKey, parseIssueRef, type RepoRef } from "./keys.js";

export interface GitHubQuery extends WorkItemQuery {
  /** Only issues assigned to the token's user. Defaults to false. */
  assignedToMe?: boolean;
  /** Only issues with all of these labels. Defaults to none. */
  labels?: string[];
}

function labelsOf(issue: { labels: GitHubIssue["labels"] }): string[] {
  return issue.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))).filter((l) => l !== "");
}

function repoOfUrl(repositoryUrl: string): RepoRef {
  const [repo, owner] = repositoryUrl.split("/").reverse();
  return { owner: owner ?? "", repo: repo ?? "" };
}

export function issueToWorkItem(issue: GitHubIssue | GitHubSearchItem, comments: GitHubComment[] = []): WorkItem {
  const repo = repoOfUrl(issue.repository_url);
  const mapped: WorkItemComment[] = comments.map((c) => ({
    id: String(c.id),
    author: c.user?.login ?? "ghost",
    body: c.body ?? "",
    createdAt: c.created_at,
    url: c.html_url,
  }));
  const item: WorkItem = {
    source: "github",
    key: formatIssueKey({ ...repo, number: issue.number }),
    url: issue.html_url,
    title: issue.title,
    body: issue.body ?? "",
    status: issue.state,
    labels: labelsOf(issue),
    ...(issue.updated_at && { updatedAt: issue.updated_at }),
    comments: mapped,
    links: issue.pull_request?.html_url
      ? [{ title: "Pull request", url: issue.pull_request.html_url, kind: "pullRequest" }]
      : [],
    stackTraces: [],
  };
  if (issue.assignee?.login) item.assignee = issue.assignee.login;
  return item;
}

export class GitHubWorkItemSource implements WorkItemSource {
  readonly name = "github" as const;

  /**
   * @param repo the repository `list` reads and bare `#N` keys refer to. Defaults to none, and then
   *   `list` needs a search query and keys must name their repository.
   */
  constructor(
    readonly client: GitHubClient,
    readonly repo?: RepoRef,
  ) {}

  /** Open issues of the repository, or the results of `query.text` as a GitHub issue search. */
  async list(query: GitHubQuery = {}): Promise<WorkItem[]> {
    const limit = query.limit ?? 50;
    if (query.text !== undefined && query.text.trim() !== "") {
      const scoped =
        this.repo && !/\brepo:/.test(query.text)
          ? `repo:${this.repo.owner}/${this.repo.repo} ${query.text}`
          : query.text;
      return (await this.client.searchIssues(scoped, limit)).map((i) => issueToWorkItem(i));
    }
    if (!this.repo) throw new Error("GitHub: name a repository (--repo OWNER/NAME) or give a search query (--query)");
    const issues = await this.client.listIssues(this.repo, {
      limit,
      ...(query.assignedToMe ? { assignedToMe: true } : {}),
      ...(query.labels ? { labels: query.labels } : {}),
    });
    return issues.map((i) => issueToWorkItem(i));
  }

  async get(key: string): Promise<WorkItem> {
    const ref = parseIssueRef(key, this.repo);
    const [issue, comments] = await Promise.all([this.client.getIssue(ref), this.client.listComments(ref)]);
    return issueToWorkItem(issue, comments);
  }

  async comment(key: string, body: string): Promise<PostedComment> {
    const posted = await this.client.comment(parseIssueRef(key, this.repo), body);
    return { id: String(posted.id), url: posted.html_url };
  }
}
