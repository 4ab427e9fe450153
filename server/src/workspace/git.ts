/**
 * The one way the agent runtime runs git: the system `git`, started through its owner's `Spawner` with
 * an argument array (never a shell), with repository hooks disabled, no prompts, no pager and a fixed locale so output parses.
 * Repository-local config can run programs (hooks, fsmonitor), and the agent may have changed the
 * worktree, so every call switches those off.
 */
import { SpawnerClosedError, type RunResult, type Spawner } from "./spawner.js";

export class GitError extends Error {
  override readonly name = "GitError";
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface GitOptions {
  cwd: string;
  /** Starts git, so that a shutdown of its owner ends it. */
  spawner: Spawner;
  /** Extra environment, e.g. `GIT_INDEX_FILE` for a private index. */
  env?: Record<string, string>;
  /** Bytes written to git's stdin. */
  input?: string | Buffer;
  /** Milliseconds before git is killed. Defaults to 60000. */
  timeoutMs?: number;
  /** Stops git early. Defaults to none. */
  signal?: AbortSignal;
}

const SAFE_CONFIG = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "core.quotePath=false"];

/** Runs git and returns stdout; a non-zero exit throws a `GitError` with git's own message. */
export async function git(args: readonly string[], options: GitOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 60000;
  let result: RunResult;
  try {
    result = await options.spawner.run("git", [...SAFE_CONFIG, ...args], {
      cwd: options.cwd,
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: "0",
        GIT_PAGER: "cat",
        LC_ALL: "C",
        GIT_OPTIONAL_LOCKS: "0",
        ...options.env,
      },
      input: options.input,
      timeoutMs,
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof SpawnerClosedError) throw new GitError(error.message, null, "");
    throw new GitError(`could not run git (is it installed and on PATH?): ${(error as Error).message}`, null, "");
  }
  const command = `git ${args[0] ?? ""}`;
  switch (result.stoppedBy) {
    case "timeout":
      throw new GitError(`${command} did not finish within ${timeoutMs} ms and was stopped`, null, result.stderr);
    case "abort":
      throw new GitError(`${command} was cancelled`, null, result.stderr);
    case "maxOutput":
      throw new GitError(`${command} printed more output than the host keeps, and was stopped`, null, result.stderr);
    case "shutdown":
      throw new GitError(`${command} was stopped: the host is shutting down`, null, result.stderr);
  }
  if (result.exitCode !== 0) {
    throw new GitError(
      `${command} failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
      result.exitCode,
      result.stderr,
    );
  }
  return result.stdout;
}

/** The top-level directory of the repository containing `dir`, or undefined when it is not in one. */
export async function repoTopLevel(dir: string, options: { spawner: Spawner }): Promise<string | undefined> {
  try {
    return (await git(["rev-parse", "--show-toplevel"], { cwd: dir, spawner: options.spawner })).trim();
  } catch (error) {
    // A shutdown is not an answer: callers must not go on as if `dir` were outside a repository.
    if (options.spawner.closed) throw error;
    return undefined;
  }
}
