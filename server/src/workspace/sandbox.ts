/**
 * Runs a shell command for the agent. The default runner is bubblewrap (`bwrap`): the run's root is
 * the only writable place, the rest of the file system is read-only, /tmp is private, the user's home
 * is replaced by an empty directory, the environment is rebuilt from an allow-list, the command gets
 * its own PID namespace (so `/proc/*\/environ` of the host is not there to read) and, unless the policy
 * allows it, its own empty network namespace. Every command has a time limit, a process limit where
 * the system offers a pids cgroup, and an output cap that keeps the head and the tail; when it ends or
 * is stopped the whole process tree is killed.
 */
import { accessSync, constants, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { HeadTailBuffer } from "./outputCap.js";
import { createPidsLimit, type PidsLimit } from "./processLimits.js";
import { SpawnerClosedError, type Spawner } from "./spawner.js";

export interface CommandRequest {
  /** A shell command line, run by `/bin/sh -c`. */
  command: string;
  /** Milliseconds before the whole process tree is killed. */
  timeoutMs: number;
  /** Stops the command early (the run was cancelled or ran out of time). */
  signal?: AbortSignal;
}

export interface CommandResult {
  /** Null when the command was killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** stdout and stderr interleaved as they arrived, capped (head and tail kept). */
  output: string;
  outputBytes: number;
  truncated: boolean;
  durationMs: number;
}

/** The seam tools use; tests and the CLI pick an implementation. */
export interface CommandRunner {
  /** `bubblewrap` or `unsandboxed`, shown to the user and in transcripts. */
  readonly kind: "bubblewrap" | "unsandboxed";
  run(request: CommandRequest): Promise<CommandResult>;
}

export class SandboxUnavailableError extends Error {
  override readonly name = "SandboxUnavailableError";
}

/** Environment variables a command sees by default; nothing else of the host's environment passes. */
export const DEFAULT_ENV_ALLOW_LIST: readonly string[] = [
  "PATH",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "LC_MESSAGES",
  "TERM",
  "TZ",
  "USER",
  "LOGNAME",
  "NO_COLOR",
  "COLORTERM",
];

export interface SandboxOptions {
  /** The run's root: the one writable directory, and the commands' working directory. */
  root: string;
  /** Starts every command (and the bubblewrap probe), so that a shutdown of its owner ends them. */
  spawner: Spawner;
  /** Lets commands reach the network. Defaults to false (an empty network namespace). */
  allowNetwork?: boolean;
  /** Names of host environment variables passed through. Defaults to `DEFAULT_ENV_ALLOW_LIST`. */
  envAllowList?: readonly string[];
  /** Extra variables set for every command (e.g. `CI=1`). Defaults to none. */
  extraEnv?: Record<string, string>;
  /** The host environment the allow-list picks from. Defaults to `process.env`. */
  hostEnv?: NodeJS.ProcessEnv;
  /** Bytes of output kept per command (head and tail). Defaults to 64 KiB. */
  maxOutputBytes?: number;
  /** Most processes a command may have at once, where a pids cgroup is available. Defaults to 256. */
  maxProcesses?: number;
  /** Extra host paths made visible read-only (for toolchains under the hidden home). Defaults to none. */
  exposePaths?: readonly string[];
}

function findOnPath(binary: string, envPath = process.env["PATH"] ?? ""): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function buildEnv(options: SandboxOptions, home: string): Record<string, string> {
  const host = options.hostEnv ?? process.env;
  const env: Record<string, string> = {};
  for (const name of options.envAllowList ?? DEFAULT_ENV_ALLOW_LIST) {
    const value = host[name];
    if (value !== undefined) env[name] = value;
  }
  env["PATH"] ??= "/usr/local/bin:/usr/bin:/bin";
  Object.assign(env, options.extraEnv, { HOME: home, TMPDIR: "/tmp" });
  return env;
}

/**
 * Runs one command through the spawner with the request's time limit and signal, stdout and stderr
 * interleaved into one capped buffer. The spawner kills the whole process group when the limit or
 * the signal ends it, and what the command left in its group when it ends by itself.
 */
async function runCapped(
  spawner: Spawner,
  file: string,
  args: string[],
  spawnOptions: { env: Record<string, string>; cwd?: string },
  request: CommandRequest,
  maxOutputBytes: number,
): Promise<Omit<CommandResult, "durationMs">> {
  const output = new HeadTailBuffer(maxOutputBytes);
  const keep = (chunk: Buffer): void => output.push(chunk);
  const result = await spawner.run(file, args, {
    ...spawnOptions,
    timeoutMs: request.timeoutMs,
    signal: request.signal,
    onStdout: keep,
    onStderr: keep,
  });
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.stoppedBy === "timeout",
    aborted: result.stoppedBy === "abort",
    output: output.text(),
    outputBytes: output.totalBytes,
    truncated: output.truncated,
  };
}

/** Commands under bubblewrap. Create it with `createCommandRunner`, which checks that bwrap works. */
export class BubblewrapRunner implements CommandRunner {
  readonly kind = "bubblewrap";

  constructor(
    private readonly bwrap: string,
    private readonly options: SandboxOptions,
  ) {}

  /** The bwrap argument list for one command; exposed for tests and for `bora run --explain`. */
  bwrapArgs(command: string): string[] {
    const root = this.options.root;
    const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
    // Places where keys, tokens and agent sockets live: replaced by empty directories.
    const hidden = new Set<string>(["/home", "/root", "/run", os.homedir()]);
    const hostHome = (this.options.hostEnv ?? process.env)["HOME"];
    if (hostHome) hidden.add(hostHome);
    for (const dir of hidden) if (dir !== "/" && isDir(dir)) args.push("--tmpfs", dir);
    // Toolchains installed under the home (cargo, pyenv, nvm bins) stay usable, read-only.
    const envPath = (this.options.hostEnv ?? process.env)["PATH"] ?? "";
    const under = (p: string): boolean =>
      [...hidden].some((h) => p === h || p.startsWith(h.endsWith("/") ? h : `${h}/`));
    const exposed = [...envPath.split(path.delimiter).filter((p) => path.isAbsolute(p) && under(p) && isDir(p))];
    for (const p of [...new Set([...exposed, ...(this.options.exposePaths ?? [])])]) {
      if (isDir(p) || statSafe(p)) args.push("--ro-bind", p, p);
    }
    args.push("--bind", root, root, "--dir", "/tmp/home", "--chdir", root);
    args.push("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try");
    if (!this.options.allowNetwork) args.push("--unshare-net");
    args.push("--die-with-parent", "--new-session", "--", "/bin/sh", "-c", command);
    return args;
  }

  async run(request: CommandRequest): Promise<CommandResult> {
    const started = performance.now();
    const env = buildEnv(this.options, "/tmp/home");
    const limit: PidsLimit | undefined = await createPidsLimit(this.options.maxProcesses ?? 256);
    const bwrapArgs = this.bwrapArgs(request.command);
    // With a cgroup, a tiny shell joins it first and then becomes bwrap, so every descendant is counted.
    const [file, args] = limit
      ? ["/bin/sh", ["-c", 'echo $$ > "$0" && exec "$@"', limit.procsFile, this.bwrap, ...bwrapArgs]]
      : [this.bwrap, bwrapArgs];
    try {
      const result = await runCapped(
        this.options.spawner,
        file,
        args,
        { env },
        request,
        this.options.maxOutputBytes ?? 64 * 1024,
      );
      return { ...result, durationMs: Math.round(performance.now() - started) };
    } finally {
      await limit?.dispose();
    }
  }
}

function statSafe(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Commands without a sandbox: same limits and environment allow-list, but full file system and
 * network access. Only used when the user explicitly allowed unsandboxed runs.
 */
export class UnsandboxedRunner implements CommandRunner {
  readonly kind = "unsandboxed";

  constructor(private readonly options: SandboxOptions) {}

  async run(request: CommandRequest): Promise<CommandResult> {
    const started = performance.now();
    const limit = await createPidsLimit(this.options.maxProcesses ?? 256);
    const env = buildEnv(this.options, this.options.root);
    const [file, args] = limit
      ? ["/bin/sh", ["-c", 'echo $$ > "$0" && exec /bin/sh -c "$1"', limit.procsFile, request.command]]
      : ["/bin/sh", ["-c", request.command]];
    try {
      const result = await runCapped(
        this.options.spawner,
        file,
        args,
        { env, cwd: this.options.root },
        request,
        this.options.maxOutputBytes ?? 64 * 1024,
      );
      return { ...result, durationMs: Math.round(performance.now() - started) };
    } finally {
      await limit?.dispose();
    }
  }
}

export const BWRAP_INSTALL_HINT =
  "install bubblewrap (Debian/Ubuntu: 'sudo apt-get install bubblewrap'; Fedora: 'sudo dnf install bubblewrap'), " +
  "or allow unsandboxed commands explicitly (bora run --allow-unsandboxed)";

/** Generous: the probe only sets up namespaces and runs /bin/true; a hang means something is broken. */
const PROBE_TIMEOUT_MS = 30000;

const probes = new Map<string, Promise<string | undefined>>();

/**
 * Runs bwrap once with the namespaces we use; returns its error text when it cannot work here. The
 * answer is kept per binary, except when a shutdown cut the probe short (then it says nothing about
 * bwrap, and the promise rejects with `SpawnerClosedError`).
 */
function probe(bwrap: string, spawner: Spawner): Promise<string | undefined> {
  let pending = probes.get(bwrap);
  if (pending === undefined) {
    const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "--unshare-net"];
    pending = spawner.run(bwrap, [...args, "--", "/bin/true"], { timeoutMs: PROBE_TIMEOUT_MS }).then(
      (result) => {
        if (result.stoppedBy === "shutdown") throw new SpawnerClosedError("bubblewrap");
        if (result.exitCode === 0) return undefined;
        if (result.stoppedBy === "timeout") return `bwrap did not answer within ${PROBE_TIMEOUT_MS / 1000} s`;
        return result.stderr.trim() || `exit ${result.exitCode ?? result.signal}`;
      },
      (error: Error) => {
        if (error instanceof SpawnerClosedError) throw error;
        return error.message;
      },
    );
    probes.set(bwrap, pending);
    pending.catch(() => probes.delete(bwrap));
  }
  return pending;
}

export interface RunnerChoice extends SandboxOptions {
  /** Runs commands without a sandbox when bubblewrap is missing or broken. Defaults to false. */
  allowUnsandboxed?: boolean;
  /** Path of the bwrap binary. Defaults to the first `bwrap` on PATH. */
  bwrapPath?: string;
}

/**
 * Picks the runner: bubblewrap when it is installed and works; otherwise an error with the install
 * hint, unless unsandboxed runs were explicitly allowed.
 */
export async function createCommandRunner(choice: RunnerChoice): Promise<CommandRunner> {
  const bwrap =
    choice.bwrapPath !== undefined
      ? isExecutable(choice.bwrapPath)
        ? choice.bwrapPath
        : undefined
      : findOnPath("bwrap");
  let problem: string;
  if (bwrap === undefined) {
    problem = "bubblewrap (bwrap) is not installed";
  } else {
    const failure = await probe(bwrap, choice.spawner);
    if (failure === undefined) return new BubblewrapRunner(bwrap, choice);
    problem = `bubblewrap cannot create its namespaces here (${failure}); on Ubuntu 24.04 and later, unprivileged user namespaces may need an AppArmor profile for bwrap`;
  }
  if (choice.allowUnsandboxed) return new UnsandboxedRunner(choice);
  throw new SandboxUnavailableError(`${problem}: commands are refused. To fix it, ${BWRAP_INSTALL_HINT}`);
}
