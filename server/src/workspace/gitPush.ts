/**
 * Pushing a branch Bora owns (`bora/<key>-<slug>`) to the repository's remote, safely after a crash.
 * The token travels per call and is never written to `.git/config` or the remote URL; hooks are off
 * and git may not prompt. A re-run finds the remote already at the commit and succeeds without a
 * write; a branch someone else moved is never overwritten (a lease guards the update).
 */
import { GitError, git } from "./git.js";
import type { Spawner } from "./spawner.js";

export interface PushOptions {
  /** The worktree whose `HEAD` is pushed. */
  dir: string;
  /** A remote name (`origin`) or URL. */
  remote: string;
  /** The branch name on the remote, without `refs/heads/`. */
  branch: string;
  /** A token for HTTP remotes, sent as GitHub takes it (Basic `x-access-token:<token>`). Defaults to git's own credentials. */
  token?: string;
  spawner: Spawner;
  signal?: AbortSignal;
  /**
   * The commit the remote branch held when Bora last pushed it (from the workflow's record): the
   * branch is then replaced even when the new commit does not descend from it (a commit re-made
   * after a crash), but only while the remote still holds it. Defaults to none: the branch must be
   * absent, at `HEAD` already, or behind `HEAD` (a fast-forward).
   */
  expected?: string;
  /** Milliseconds before each git call is stopped. Defaults to 120000 (pushes can be slow). */
  timeoutMs?: number;
}

export interface PushResult {
  /** `created`: a new branch; `updated`: the branch moved; `upToDate`: it already held the commit. */
  status: "created" | "updated" | "upToDate";
  /** The commit the remote branch holds now. */
  commit: string;
}

/** Why a push failed in a way the user must act on: a refused token, a branch moved by someone else. */
export class PushError extends Error {
  override readonly name = "PushError";
  constructor(
    message: string,
    readonly reason: "auth" | "diverged" | "rejected",
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** What git prints when the server refused the credentials it was given, or wanted some it could not prompt for. */
const AUTH_FAILURE =
  /terminal prompts disabled|could not read (?:Username|Password)|Authentication failed|The requested URL returned error: 40[13]/i;

/**
 * The per-call configuration that carries the token. It is the same setting as
 * `git -c http.extraHeader=…`, given through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`
 * (git ≥ 2.31) rather than argv: any local user can read a process's argv (`ps`), while its
 * environment is readable only by its owner. Neither reaches `.git/config`.
 */
export function tokenConfig(token: string | undefined): Record<string, string> {
  if (token === undefined) return {};
  const header = `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
  const entries: [string, string][] = [
    // An empty value first clears extra headers from other config, so only ours is sent.
    ["http.extraHeader", ""],
    ["http.extraHeader", header],
    // No stored credentials and no askpass program: a refused token fails now, with our message.
    ["credential.helper", ""],
  ];
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length), GIT_ASKPASS: "", SSH_ASKPASS: "" };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** `text` with the token, and the forms it travels in, replaced by `***`. */
export function redactToken(text: string, token: string | undefined): string {
  if (!token) return text;
  const forms = [token, Buffer.from(`x-access-token:${token}`).toString("base64"), encodeURIComponent(token)].filter(
    (f) => f.length > 0,
  );
  return forms.reduce((out, f) => out.split(f).join("***"), text);
}

/** The remote URL without user info, for messages. */
function describeRemote(remote: string): string {
  try {
    const url = new URL(remote);
    url.username = "";
    url.password = "";
    return url.toString();
  } catch {
    return remote;
  }
}

/**
 * Pushes `HEAD` of `dir` to `refs/heads/<branch>` on `remote` with an explicit refspec and a lease.
 * Idempotent: when the remote branch already holds `HEAD`, nothing is written.
 */
export async function pushBranch(options: PushOptions): Promise<PushResult> {
  const { dir, remote, branch, token, spawner, signal } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const env = tokenConfig(token);
  const run = async (args: string[]): Promise<string> => {
    try {
      return await git(args, { cwd: dir, spawner, env, timeoutMs, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      const stderr = redactToken(error.stderr, token);
      const message = redactToken(error.message, token);
      if (AUTH_FAILURE.test(stderr))
        throw new PushError(
          token === undefined
            ? `the remote ${describeRemote(remote)} asked for credentials: set GITHUB_TOKEN to a token that may push to it`
            : `the remote refused the token: check GITHUB_TOKEN (it must be valid and may push to ${describeRemote(remote)})`,
          "auth",
        );
      if (args[0] === "push" && /\[rejected\]|stale info|non-fast-forward|fetch first/.test(stderr))
        throw new PushError(
          `the remote branch ${branch} changed while Bora pushed it: not overwriting it (${stderr.trim().split("\n").pop() ?? ""})`,
          "diverged",
        );
      throw new GitError(message, error.exitCode, stderr);
    }
  };

  const ref = `refs/heads/${branch}`;
  await run(["check-ref-format", ref]).catch(() => {
    throw new PushError(`'${branch}' is not a valid branch name`, "rejected");
  });
  const head = (await run(["rev-parse", "--verify", "HEAD^{commit}"])).trim();
  const listed = await run(["ls-remote", "--", remote, ref]);
  const remoteCommit = /^([0-9a-f]{40,64})\t/m.exec(listed)?.[1];
  if (remoteCommit === head) return { status: "upToDate", commit: head };

  if (remoteCommit !== undefined && options.expected !== remoteCommit) {
    // Without the lease the caller recorded, only a fast-forward may move the branch.
    const behind = await run(["merge-base", "--is-ancestor", remoteCommit, head]).then(
      () => true,
      () => false,
    );
    if (!behind)
      throw new PushError(
        `the remote branch ${branch} is at ${remoteCommit.slice(0, 12)}, which Bora did not push and ${head.slice(0, 12)} does not build on: ` +
          "not overwriting it. Move or delete that branch, or retry the task on a new branch.",
        "diverged",
      );
  }
  // The lease: the remote must still hold what we saw (or no branch at all), or the push is refused.
  const lease = `--force-with-lease=${ref}:${remoteCommit ?? ""}`;
  const out = await run(["push", "--porcelain", lease, "--", remote, `HEAD:${ref}`]);
  const line = out.split("\n").find((l) => l.includes(`\tHEAD:${ref}\t`) || l.includes(`:${ref}\t`));
  if (line && /^!/.test(line))
    throw new PushError(`the remote refused the push of ${branch}: ${line.split("\t").slice(2).join(" ")}`, "rejected");
  return { status: remoteCommit === undefined ? "created" : "updated", commit: head };
}
