/**
 * The repository a task names, on the machine that runs it. A task records the repository by its
 * path on the machine that queued it; a team worker on that machine uses the path, and a worker on
 * another machine, where the path is no repository, clones the task's `origin` into its state folder
 * (bare: worktrees are made from it, and no branch of it is ever checked out) and makes the task's
 * worktree from that clone. Pushes then go to the same origin.
 *
 * Not covered: a task taken over by a worker on another machine after its worktree step. Its
 * recorded worktree is on the first machine; continuing it there would need the work branch pushed
 * as a step and the worktree rebuilt from it.
 */
import { createHash } from "node:crypto";
import { access, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { git, repoTopLevel } from "../workspace/git.js";
import { redactToken, tokenConfig } from "../workspace/gitPush.js";
import type { Spawner } from "../workspace/spawner.js";

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

/** `repo` when it is a repository here; else this worker's clone of `origin`, made or brought up to date. */
export async function localRepository(options: LocalRepositoryOptions): Promise<string> {
  const { repo, origin, spawner } = options;
  if ((await repoTopLevel(repo, { spawner })) !== undefined) return repo;
  if (origin === undefined)
    throw new Error(`${repo} is not a git repository on this machine, and the task names no origin to clone`);
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
