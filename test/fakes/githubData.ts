/**
 * Builders of GitHub REST objects for the fake. Each is typed with `satisfies` against
 * @octokit/openapi-types (compile-time conformance), and the fake validates them at run time too.
 * URLs point at the fake's own origin (`api`), as GitHub's point at api.github.com.
 */
import type { components } from "@octokit/openapi-types";

type S = components["schemas"];
const T0 = "2026-01-05T10:00:00Z";

export function simpleUser(api: string, web: string, login: string, id: number): S["simple-user"] {
  const u = `${api}/users/${login}`;
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `${web}/avatars/${login}`,
    gravatar_id: "",
    url: u,
    html_url: `${web}/${login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type: "User",
    site_admin: false,
  } satisfies S["simple-user"];
}

export function privateUser(api: string, web: string, login: string, id: number): S["private-user"] {
  return {
    ...simpleUser(api, web, login, id),
    name: login,
    company: null,
    blog: null,
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 1,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: T0,
    updated_at: T0,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
  } satisfies S["private-user"];
}

function repoUrls(api: string, fullName: string) {
  const r = `${api}/repos/${fullName}`;
  return {
    url: r,
    archive_url: `${r}/{archive_format}{/ref}`,
    assignees_url: `${r}/assignees{/user}`,
    blobs_url: `${r}/git/blobs{/sha}`,
    branches_url: `${r}/branches{/branch}`,
    collaborators_url: `${r}/collaborators{/collaborator}`,
    comments_url: `${r}/comments{/number}`,
    commits_url: `${r}/commits{/sha}`,
    compare_url: `${r}/compare/{base}...{head}`,
    contents_url: `${r}/contents/{+path}`,
    contributors_url: `${r}/contributors`,
    deployments_url: `${r}/deployments`,
    downloads_url: `${r}/downloads`,
    events_url: `${r}/events`,
    forks_url: `${r}/forks`,
    git_commits_url: `${r}/git/commits{/sha}`,
    git_refs_url: `${r}/git/refs{/sha}`,
    git_tags_url: `${r}/git/tags{/sha}`,
    hooks_url: `${r}/hooks`,
    issue_comment_url: `${r}/issues/comments{/number}`,
    issue_events_url: `${r}/issues/events{/number}`,
    issues_url: `${r}/issues{/number}`,
    keys_url: `${r}/keys{/key_id}`,
    labels_url: `${r}/labels{/name}`,
    languages_url: `${r}/languages`,
    merges_url: `${r}/merges`,
    milestones_url: `${r}/milestones{/number}`,
    notifications_url: `${r}/notifications{?since,all,participating}`,
    pulls_url: `${r}/pulls{/number}`,
    releases_url: `${r}/releases{/id}`,
    stargazers_url: `${r}/stargazers`,
    statuses_url: `${r}/statuses/{sha}`,
    subscribers_url: `${r}/subscribers`,
    subscription_url: `${r}/subscription`,
    tags_url: `${r}/tags`,
    teams_url: `${r}/teams`,
    trees_url: `${r}/git/trees{/sha}`,
  };
}

export interface RepoSeed {
  id: number;
  owner: S["simple-user"];
  name: string;
  defaultBranch: string;
  private: boolean;
  openIssues: number;
}

export function repository(api: string, web: string, seed: RepoSeed): S["repository"] {
  const fullName = `${seed.owner.login}/${seed.name}`;
  return {
    ...repoUrls(api, fullName),
    id: seed.id,
    node_id: `R_${seed.id}`,
    name: seed.name,
    full_name: fullName,
    owner: seed.owner,
    private: seed.private,
    html_url: `${web}/${fullName}`,
    description: null,
    fork: false,
    clone_url: `${web}/${fullName}.git`,
    git_url: `${web.replace(/^http/, "git")}/${fullName}.git`,
    ssh_url: `git@fake.invalid:${fullName}.git`,
    svn_url: `${web}/${fullName}`,
    mirror_url: null,
    homepage: null,
    language: "TypeScript",
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 10,
    default_branch: seed.defaultBranch,
    open_issues: seed.openIssues,
    open_issues_count: seed.openIssues,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: false,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: T0,
    created_at: T0,
    updated_at: T0,
  } satisfies S["repository"];
}

export function fullRepository(api: string, web: string, seed: RepoSeed): S["full-repository"] {
  const { has_downloads: _d, ...base } = repository(api, web, seed);
  return {
    ...base,
    pushed_at: T0,
    created_at: T0,
    updated_at: T0,
    has_discussions: false,
    network_count: 0,
    subscribers_count: 0,
  } satisfies S["full-repository"];
}

export interface IssueSeed {
  id: number;
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
  user: S["simple-user"];
  assignee: S["simple-user"] | null;
  comments: number;
  createdAt: string;
  /** Set when the issue is a pull request. */
  pullRequest?: boolean;
}

function labelObject(
  api: string,
  fullName: string,
  name: string,
  id: number,
): S["issue-search-result-item"]["labels"][number] {
  return {
    id,
    node_id: `LA_${id}`,
    url: `${api}/repos/${fullName}/labels/${encodeURIComponent(name)}`,
    name,
    description: null,
    color: "ededed",
    default: false,
  };
}

export function issue(api: string, web: string, fullName: string, seed: IssueSeed): S["issue"] {
  const u = `${api}/repos/${fullName}/issues/${seed.number}`;
  return {
    id: seed.id,
    node_id: `I_${seed.id}`,
    url: u,
    repository_url: `${api}/repos/${fullName}`,
    labels_url: `${u}/labels{/name}`,
    comments_url: `${u}/comments`,
    events_url: `${u}/events`,
    html_url: `${web}/${fullName}/${seed.pullRequest ? "pull" : "issues"}/${seed.number}`,
    number: seed.number,
    state: seed.state,
    title: seed.title,
    body: seed.body,
    user: seed.user,
    labels: seed.labels.map((name, i) => labelObject(api, fullName, name, seed.id * 100 + i)),
    assignee: seed.assignee,
    assignees: seed.assignee ? [seed.assignee] : [],
    milestone: null,
    locked: false,
    comments: seed.comments,
    closed_at: null,
    created_at: seed.createdAt,
    updated_at: seed.createdAt,
    author_association: "OWNER",
    ...(seed.pullRequest
      ? {
          pull_request: {
            url: `${api}/repos/${fullName}/pulls/${seed.number}`,
            html_url: `${web}/${fullName}/pull/${seed.number}`,
            diff_url: `${web}/${fullName}/pull/${seed.number}.diff`,
            patch_url: `${web}/${fullName}/pull/${seed.number}.patch`,
            merged_at: null,
          },
        }
      : {}),
  } satisfies S["issue"];
}

export function searchItem(api: string, web: string, fullName: string, seed: IssueSeed): S["issue-search-result-item"] {
  const { author_association, ...rest } = issue(api, web, fullName, seed);
  return {
    ...rest,
    labels: seed.labels.map((name, i) => labelObject(api, fullName, name, seed.id * 100 + i)),
    body: seed.body,
    author_association: author_association ?? "OWNER",
    score: 1,
  } satisfies S["issue-search-result-item"];
}

export function issueComment(
  api: string,
  web: string,
  fullName: string,
  number: number,
  c: { id: number; body: string; user: S["simple-user"]; createdAt: string },
): S["issue-comment"] {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${api}/repos/${fullName}/issues/comments/${c.id}`,
    html_url: `${web}/${fullName}/issues/${number}#issuecomment-${c.id}`,
    issue_url: `${api}/repos/${fullName}/issues/${number}`,
    body: c.body,
    user: c.user,
    created_at: c.createdAt,
    updated_at: c.createdAt,
    author_association: "OWNER",
  } satisfies S["issue-comment"];
}

export interface PullSeed {
  id: number;
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  head: string;
  base: string;
  headSha: string;
  draft: boolean;
  user: S["simple-user"];
  requestedReviewers: S["simple-user"][];
  createdAt: string;
  updatedAt: string;
}

function pullParts(api: string, web: string, repo: S["repository"], seed: PullSeed) {
  const fullName = repo.full_name;
  const u = `${api}/repos/${fullName}/pulls/${seed.number}`;
  const issueUrl = `${api}/repos/${fullName}/issues/${seed.number}`;
  const html = `${web}/${fullName}/pull/${seed.number}`;
  const branch = (ref: string, sha: string) => ({
    label: `${repo.owner.login}:${ref}`,
    ref,
    sha,
    user: repo.owner,
    repo,
  });
  return {
    url: u,
    id: seed.id,
    node_id: `PR_${seed.id}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${u}/commits`,
    review_comments_url: `${u}/comments`,
    review_comment_url: `${api}/repos/${fullName}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: `${api}/repos/${fullName}/statuses/${seed.headSha}`,
    number: seed.number,
    state: seed.state,
    locked: false,
    title: seed.title,
    user: seed.user,
    body: seed.body,
    labels: [],
    milestone: null,
    created_at: seed.createdAt,
    updated_at: seed.updatedAt,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: seed.requestedReviewers,
    requested_teams: [],
    head: branch(seed.head, seed.headSha),
    base: branch(seed.base, "0".repeat(40)),
    _links: {
      self: { href: u },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${u}/comments` },
      review_comment: { href: `${api}/repos/${fullName}/pulls/comments{/number}` },
      commits: { href: `${u}/commits` },
      statuses: { href: `${api}/repos/${fullName}/statuses/${seed.headSha}` },
    },
    author_association: "OWNER" as const,
    auto_merge: null,
    draft: seed.draft,
  };
}

export function pullRequestSimple(
  api: string,
  web: string,
  repo: S["repository"],
  seed: PullSeed,
): S["pull-request-simple"] {
  return pullParts(api, web, repo, seed) satisfies S["pull-request-simple"];
}

export function pullRequest(api: string, web: string, repo: S["repository"], seed: PullSeed): S["pull-request"] {
  const simple = pullParts(api, web, repo, seed);
  return {
    ...simple,
    state: seed.state,
    user: seed.user,
    merged: false,
    mergeable: null,
    mergeable_state: "unknown",
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 1,
    deletions: 0,
    changed_files: 1,
  } satisfies S["pull-request"];
}

export function reviewComment(
  api: string,
  web: string,
  fullName: string,
  pull: number,
  c: { id: number; body: string; path: string; line: number; user: S["simple-user"]; sha: string },
): S["pull-request-review-comment"] {
  const u = `${api}/repos/${fullName}/pulls/comments/${c.id}`;
  const html = `${web}/${fullName}/pull/${pull}#discussion_r${c.id}`;
  return {
    url: u,
    id: c.id,
    node_id: `PRRC_${c.id}`,
    pull_request_review_id: c.id,
    diff_hunk: "@@ -1,3 +1,3 @@",
    path: c.path,
    line: c.line,
    commit_id: c.sha,
    original_commit_id: c.sha,
    user: c.user,
    body: c.body,
    created_at: T0,
    updated_at: T0,
    html_url: html,
    pull_request_url: `${api}/repos/${fullName}/pulls/${pull}`,
    author_association: "MEMBER",
    _links: {
      self: { href: u },
      html: { href: html },
      pull_request: { href: `${api}/repos/${fullName}/pulls/${pull}` },
    },
  } satisfies S["pull-request-review-comment"];
}

export function checkRun(
  api: string,
  web: string,
  fullName: string,
  c: {
    id: number;
    name: string;
    sha: string;
    status: "queued" | "in_progress" | "completed";
    conclusion: S["check-run"]["conclusion"];
  },
): S["check-run"] {
  return {
    id: c.id,
    node_id: `CR_${c.id}`,
    head_sha: c.sha,
    external_id: null,
    url: `${api}/repos/${fullName}/check-runs/${c.id}`,
    html_url: `${web}/${fullName}/runs/${c.id}`,
    details_url: null,
    status: c.status,
    conclusion: c.conclusion,
    started_at: T0,
    completed_at: c.status === "completed" ? T0 : null,
    output: {
      title: c.name,
      summary: `${c.name} ${c.conclusion ?? c.status}`,
      text: null,
      annotations_count: 0,
      annotations_url: `${api}/repos/${fullName}/check-runs/${c.id}/annotations`,
    },
    name: c.name,
    check_suite: { id: c.id },
    app: null,
    pull_requests: [],
  } satisfies S["check-run"];
}
