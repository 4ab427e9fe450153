/**
 * The repository a task names, on the machine that runs it. A local task uses its path. A team task
 * (one that records its `origin` URL) runs in the worker's own bare clone of the origin, in the
 * worker's state folder, on this machine or another: a worker never shares a repository with the
 * developer who queued the task or with another worker, so a branch is checked out in one worktree
 * per repository only, and pushes go to the same origin.
 *
 * A team task's work branch is pushed after every tool call (`issueToPr.ts`), so a worker that takes
 * over a task whose worktree another worker made (on this machine or another), or a task handed off
 * by a developer's host, rebuilds the worktree from the pushed branch (`rebuildWorktree`).
 */
import { createHash } from "node:crypto";
import { access, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { git, repoTopLevel } from "../workspace/git.js";
import { realpath } from "node:fs/promises";
import { redactToken, tokenConfig } from "../workspace/gitPush.js";
import type { Spawner } from "../workspace/spawner.js";
import { ensureWorktree, type TaskWorktree } from "./worktrees.js";

/** A clone can be large and the remote far away; this bounds a hung transfer, not a slow one. */
const CLONE_TIMEOUT_MS = 30 * 60 * 1000;

export interface LocalRepositoryOptions {
  /** The path the task names. */
  repo: string;
  /** Its `origin` URL, recorded when it was queued for the team; none for a local task. */
  origin?: string;
  /** The branch the task starts from: brought up to date in a clone. */
  base: string;
  stateDir: string;
  /** For an HTTP origin: sent per call, as for a push; never written to the clone's config. */
  token?: string;
  spawner: Spawner;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The folder a worker keeps its clone of `origin` in (one per origin URL). */
export function cloneDir(stateDir: string, origin: string): string {
  return path.join(stateDir, "repos", createHash("sha256").update(origin).digest("hex").slice(0, 16));
}

/** `repo` for a local task; for a team task, this worker's clone of `origin`, made or brought up to date. */
export async function localRepository(options: LocalRepositoryOptions): Promise<string> {
  const { repo, origin, spawner } = options;
  if (origin === undefined) {
    if ((await repoTopLevel(repo, { spawner })) !== undefined) return repo;
    throw new Error(`${repo} is not a git repository on this machine, and the task names no origin to clone`);
  }
  const dir = cloneDir(options.stateDir, origin);
  const env = tokenConfig(options.token);
  const run = (args: string[], cwd: string): Promise<string> =>
    git(args, { cwd, spawner, env, timeoutMs: CLONE_TIMEOUT_MS }).catch((error: Error) => {
      throw new Error(redactToken(`could not clone ${origin}: ${error.message}`, options.token));
    });
  if (!(await exists(path.join(dir, "HEAD")))) {
    // Cloned aside and renamed into place: a clone a crash cut short is never mistaken for one.
    const aside = `${dir}.partial`;
    await mkdir(path.dirname(dir), { recursive: true });
    await rm(aside, { recursive: true, force: true });
    await run(["clone", "--quiet", "--bare", origin, aside], path.dirname(dir));
    await rename(aside, dir);
  } else {
    // The base may have moved since the clone; the task starts from the origin's current one.
    await run(["fetch", "--quiet", "origin", `+refs/heads/${options.base}:refs/heads/${options.base}`], dir);
  }
  return dir;
}

/**
 * The task's worktree at `dir` (in this host's state folder), on the work branch as the origin holds
 * it: the worktree another host made and pushed. Found as it is when this host made it already (it
 * took the task over, then restarted). The base commit stays the recorded one.
 */
export async function rebuildWorktree(
  options: LocalRepositoryOptions & { recorded: TaskWorktree; dir: string },
): Promise<TaskWorktree> {
  const { recorded, dir, spawner } = options;
  const repo = await localRepository(options);
  if (!(await exists(path.join(dir, ".git")))) {
    const env = tokenConfig(options.token);
    const run = (args: string[]): Promise<string> =>
      git(args, { cwd: repo, spawner, env, timeoutMs: CLONE_TIMEOUT_MS }).catch((error: Error) => {
        throw new Error(
          redactToken(
            `could not fetch the work branch ${recorded.branch} from ${options.origin}: ${error.message}`,
            options.token,
          ),
        );
      });
    // A registration left by a worktree folder that is gone would block the fetch into its branch.
    await run(["worktree", "prune"]);
    await run(["fetch", "--quiet", "origin", `+refs/heads/${recorded.branch}:refs/heads/${recorded.branch}`]);
  }
  const made = await ensureWorktree(repo, dir, recorded.branch, recorded.baseBranch, spawner);
  return { ...recorded, branch: made.branch, dir: await realpath(made.dir) };
}
