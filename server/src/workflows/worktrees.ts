/**
 * The git side of a durable task: its own worktree and branch (so tasks on one repository never
 * share a working directory), the commit of what the agent did, and where the pull request goes.
 * Each function is idempotent, because a workflow step may run again after a crash.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { git, GitError } from "../workspace/git.js";
import type { Spawner } from "../workspace/spawner.js";
import type { RepoRef } from "../integrations/github/keys.js";
import { parseRepo } from "../integrations/github/keys.js";

export interface TaskWorktree {
  dir: string;
  branch: string;
  baseBranch: string;
  /** The commit the branch started from. */
  baseCommit: string;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The repository's top level; a clear error when `dir` is not in a git repository. */
export async function repositoryRoot(dir: string, spawner: Spawner): Promise<string> {
  try {
    return (await git(["rev-parse", "--show-toplevel"], { cwd: dir, spawner })).trim();
  } catch (error) {
    if (error instanceof GitError)
      throw new Error(`${dir} is not a git repository (git: ${error.stderr.trim() || error.message})`);
    throw error;
  }
}

/** The branch checked out in `repo`, the default base of a task. */
export async function currentBranch(repo: string, spawner: Spawner): Promise<string> {
  const name = (
    await git(["symbolic-ref", "--quiet", "--short", "HEAD"], { cwd: repo, spawner }).catch(() => "")
  ).trim();
  if (name === "") throw new Error(`${repo} has no branch checked out (detached HEAD): pass --base BRANCH`);
  return name;
}

/**
 * The task's worktree at `dir` on `branch`, created from `base` the first time; a later call (a step
 * run again after a crash) finds it and returns it as it is. Tasks on one repository create theirs
 * at the same time, so nothing here writes the repository's shared config (its lock would make all
 * but one fail).
 */
export async function ensureWorktree(
  repo: string,
  dir: string,
  branch: string,
  base: string,
  spawner: Spawner,
): Promise<TaskWorktree> {
  const run = (args: string[], cwd = repo): Promise<string> => git(args, { cwd, spawner });
  let baseCommit: string;
  try {
    baseCommit = (await run(["rev-parse", "--verify", "--quiet", `${base}^{commit}`])).trim();
  } catch {
    throw new Error(`the base branch '${base}' does not exist in ${repo}: pass --base BRANCH`);
  }
  if (await exists(path.join(dir, ".git"))) {
    const on = (await run(["symbolic-ref", "--quiet", "--short", "HEAD"], dir).catch(() => "")).trim();
    if (on !== branch)
      throw new Error(`${dir} exists but is on '${on || "a detached HEAD"}', not the task's branch ${branch}`);
    // The step that made it was not recorded, so nothing has been committed on the branch since.
    return { dir, branch, baseBranch: base, baseCommit: (await run(["rev-parse", "HEAD"], dir)).trim() };
  }
  const branchExists = await run(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).then(
    () => true,
    () => false,
  );
  const add = (): Promise<string> =>
    run(["worktree", "add", ...(branchExists ? [dir, branch] : ["-b", branch, dir, baseCommit])]);
  try {
    await add();
  } catch (error) {
    // A crash between `worktree add` registering the worktree and writing it leaves a registration
    // whose folder is missing; prune it (only then: pruning while another task adds is a race) and try once more.
    if (!(error instanceof GitError) || !/already registered|missing but|is a missing/i.test(error.stderr)) throw error;
    await run(["worktree", "prune"]);
    await add();
  }
  return {
    dir,
    branch,
    baseBranch: base,
    baseCommit: branchExists ? (await run(["rev-parse", "HEAD"], dir)).trim() : baseCommit,
  };
}

/** Files the worktree has changed, added or deleted against its branch head (untracked included). */
export async function uncommittedFiles(dir: string, spawner: Spawner): Promise<string[]> {
  const out = await git(["status", "--porcelain=v1", "-z", "--untracked-files=all"], { cwd: dir, spawner });
  return out
    .split("\0")
    .filter((f) => f.length > 3)
    .map((f) => f.slice(3));
}

/**
 * Commits everything in the worktree with `message` (author and committer from the repository's
 * git config, hooks off). Nothing to commit returns the head as it is: the commit of an earlier run of
 * this step. Returns the head commit and whether the branch has any change against `baseCommit`.
 */
export async function commitAll(
  dir: string,
  message: string,
  baseCommit: string,
  spawner: Spawner,
): Promise<{ commit: string; changed: boolean }> {
  const run = (args: string[], input?: string): Promise<string> => git(args, { cwd: dir, spawner, input });
  if ((await uncommittedFiles(dir, spawner)).length > 0) {
    await run(["add", "-A", "--", "."]);
    await run(["commit", "--no-verify", "--quiet", "-F", "-"], message);
  }
  const commit = (await run(["rev-parse", "HEAD"])).trim();
  return { commit, changed: commit !== baseCommit };
}

/** The URL of the repository's `origin` remote. */
export async function originUrl(repo: string, spawner: Spawner): Promise<string> {
  const url = (await git(["remote", "get-url", "origin"], { cwd: repo, spawner }).catch(() => "")).trim();
  if (url === "") throw new Error(`${repo} has no 'origin' remote to push the work branch to`);
  return url;
}

/**
 * The GitHub repository an origin URL names: the last two path parts of an https or ssh URL
 * (`https://github.com/OWNER/NAME.git`, `git@github.com:OWNER/NAME.git`, an Enterprise host).
 */
export function repoOfRemote(url: string): RepoRef {
  const scp = /^[^@/]+@[^:]+:(.+)$/.exec(url);
  const pathPart = scp ? scp[1]! : new URL(url).pathname;
  const parts = pathPart
    .replace(/\/+$/, "")
    .split("/")
    .filter((p) => p !== "");
  if (parts.length < 2) throw new Error(`cannot tell the GitHub repository from the remote URL ${url}`);
  return parseRepo(`${parts.at(-2)}/${parts.at(-1)}`);
}
