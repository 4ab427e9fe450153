/**
 * The one way the agent runtime runs git: the system `git`, spawned with an argument array (never a
 * shell), with repository hooks disabled, no prompts, no pager and a fixed locale so output parses.
 * Repository-local config can run programs (hooks, fsmonitor), and the agent may have changed the
 * worktree, so every call switches those off.
 */
import { spawn } from "node:child_process";

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
  /** Extra environment, e.g. `GIT_INDEX_FILE` for a private index. */
  env?: Record<string, string>;
  /** Bytes written to git's stdin. */
  input?: string | Buffer;
  /** Milliseconds before git is killed. Defaults to 60000. */
  timeoutMs?: number;
}

const SAFE_CONFIG = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "core.quotePath=false"];

/** Runs git and returns stdout; a non-zero exit throws a `GitError` with git's own message. */
export function git(args: readonly string[], options: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", [...SAFE_CONFIG, ...args], {
      cwd: options.cwd,
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: "0",
        GIT_PAGER: "cat",
        LC_ALL: "C",
        GIT_OPTIONAL_LOCKS: "0",
        ...options.env,
      },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 60000,
      killSignal: "SIGKILL",
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (error) =>
      reject(new GitError(`could not run git (is it installed and on PATH?): ${error.message}`, null, "")),
    );
    child.on("close", (code) => {
      const stderr = Buffer.concat(err).toString("utf8");
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else reject(new GitError(`git ${args[0] ?? ""} failed (exit ${code}): ${stderr.trim()}`, code, stderr));
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input);
  });
}

/** The top-level directory of the repository containing `dir`, or undefined when it is not in one. */
export async function repoTopLevel(dir: string): Promise<string | undefined> {
  try {
    return (await git(["rev-parse", "--show-toplevel"], { cwd: dir })).trim();
  } catch {
    return undefined;
  }
}
