/**
 * Every child process the host starts goes through here (sandboxed commands, git, search, checks,
 * later PostgreSQL), each in its own process group, so that a shutdown (or the host's own exit) can
 * take down the whole tree: no orphan keeps running after the editor closes or `bora run` ends.
 *
 * Whoever owns a lifetime owns one `Spawner` and passes it down: the LSP host (`AgentHost.spawner`),
 * one `bora run`. Workspace functions take it as a required dependency, so nothing starts a child
 * that a shutdown cannot reach; a unit test keeps `node:child_process` out of every other module.
 *
 * A child's group lives and dies with it: when the child exits, whatever it left behind in its group
 * (a `cmd &` in a shell, a hung helper) is killed too. Timeouts, aborts and shutdowns all end in the
 * same place, a signal to the whole group.
 */
import { spawn as spawnChild, type ChildProcess, type SpawnOptions as ChildSpawnOptions } from "node:child_process";
import type { Readable } from "node:stream";

/** Node's spawn options, less those the spawner decides: the group (`detached`) and how children end. */
export type SpawnOptions = Omit<ChildSpawnOptions, "detached" | "signal" | "timeout" | "killSignal">;

/** Why the spawner ended a child before it ended by itself. */
export type StopCause = "timeout" | "abort" | "maxOutput" | "shutdown";

export interface RunOptions {
  /** The child's working directory. Defaults to the host's. */
  cwd?: string;
  /** The child's whole environment. Defaults to the host's (`process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Bytes written to the child's stdin, which is then closed. Defaults to none (stdin is /dev/null). */
  input?: string | Buffer;
  /**
   * The user and group the child runs as, for a host running as root that starts a program which
   * refuses root (PostgreSQL's `initdb`). Defaults to the host's.
   */
  uid?: number;
  gid?: number;
  /** Milliseconds before the child's whole group is killed. Defaults to no limit. */
  timeoutMs?: number;
  /** Kills the child's whole group when aborted (also when aborted before the start). Defaults to none. */
  signal?: AbortSignal;
  /**
   * Bytes kept of stdout, and of stderr, when they are collected; a child that prints more is killed,
   * as `execFile`'s `maxBuffer` does, so a runaway cannot fill the host's memory. Defaults to 64 MiB,
   * far beyond what git plumbing prints for a working tree.
   */
  maxOutput?: number;
  /** Receives stdout as it arrives; then it is not collected into `RunResult.stdout`. Defaults to collecting. */
  onStdout?: (chunk: Buffer) => void;
  /** Receives stderr as it arrives; then it is not collected into `RunResult.stderr`. Defaults to collecting. */
  onStderr?: (chunk: Buffer) => void;
}

export interface RunResult {
  /** Null when the child was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Collected stdout (UTF-8); empty when `onStdout` took it. */
  stdout: string;
  /** Collected stderr (UTF-8); empty when `onStderr` took it. */
  stderr: string;
  /** Set when the spawner ended the child: its time limit, the caller's signal, too much output, a shutdown. */
  stoppedBy?: StopCause;
}

/** `spawn` or `run` on a spawner whose owner is shutting down: nothing new may start. */
export class SpawnerClosedError extends Error {
  override readonly name = "SpawnerClosedError";
  constructor(command: string) {
    super(`not starting ${command}: the host is shutting down`);
  }
}

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
/** How long `killAll` and `close` wait after SIGTERM before SIGKILL. */
const DEFAULT_GRACE_MS = 2000;

/**
 * Spawners that have live children. One `exit` listener serves them all (a listener per spawner
 * would pile up in a process that makes many, and hold every spawner ever made); a spawner is in
 * the set only while it has children, so a finished one can be collected.
 */
const withChildren = new Set<Spawner>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A last resort for exits that skip `close` (an uncaught error, process.exit elsewhere, LSP `exit`):
  // only synchronous work runs here, so every group gets SIGKILL at once.
  process.on("exit", () => {
    for (const spawner of withChildren) spawner.closeNow();
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export class Spawner {
  private readonly children = new Set<ChildProcess>();
  private readonly causes = new WeakMap<ChildProcess, StopCause>();
  private isClosed = false;

  /** Children that have not exited yet. */
  get size(): number {
    return this.children.size;
  }

  /** True once `close` or `closeNow` was called: `spawn` and `run` refuse from then on. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Starts a child in a new process group and tracks it until it exits. Throws `SpawnerClosedError`
   * after `close`; a command that cannot start (not installed) reports through the child's `error` event.
   */
  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    if (this.isClosed) throw new SpawnerClosedError(command);
    const child = spawnChild(command, args, { ...options, detached: true });
    this.children.add(child);
    withChildren.add(this);
    installExitHook();
    const forget = (): void => {
      this.children.delete(child);
      if (this.children.size === 0) withChildren.delete(this);
    };
    child.once("exit", () => {
      // What the child left running in its group goes with it.
      signalGroup(child, "SIGKILL");
      forget();
    });
    child.once("error", () => {
      if (child.pid === undefined || hasExited(child)) forget();
    });
    return child;
  }

  /**
   * Runs a child to its end, `execFile`-style: resolves with its exit and output once it has exited
   * and its output is closed, whatever the exit code; rejects only when it cannot start (the error
   * from spawn, e.g. `ENOENT`) or the spawner is closed. A time limit, the caller's signal and too
   * much output kill the child's whole group; `stoppedBy` says which did.
   */
  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(command, args, {
        cwd: options.cwd,
        env: options.env,
        ...(options.uid !== undefined && { uid: options.uid }),
        ...(options.gid !== undefined && { gid: options.gid }),
        stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      });
      const maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
      // A process that left the group (setsid) can hold the output open after the child is gone: the
      // rest of a stopped child's output is not worth waiting for.
      const release = (): void => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      };
      const end = (cause: StopCause): void => {
        this.stop(child, "SIGKILL", cause);
        if (hasExited(child)) release();
        else child.once("exit", release);
      };
      const collect = (stream: Readable | null, onChunk: ((chunk: Buffer) => void) | undefined): (() => string) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        stream?.on("data", (chunk: Buffer) => {
          if (onChunk) {
            onChunk(chunk);
          } else if ((bytes += chunk.length) > maxOutput) {
            end("maxOutput");
          } else {
            chunks.push(chunk);
          }
        });
        return () => Buffer.concat(chunks).toString("utf8");
      };
      const stdout = collect(child.stdout, options.onStdout);
      const stderr = collect(child.stderr, options.onStderr);
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => end("timeout"), options.timeoutMs);
      const onAbort = (): void => end("abort");
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener("abort", onAbort, { once: true });
      const settle = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      };
      child.once("error", (error) => {
        // Errors after a start (a failed kill) are not failures to run; `close` still reports the end.
        if (child.pid !== undefined) return;
        settle();
        reject(error);
      });
      child.once("close", (exitCode, signal) => {
        settle();
        if (child.pid === undefined) return;
        const stoppedBy = this.causes.get(child);
        resolve({ exitCode, signal, stdout: stdout(), stderr: stderr(), ...(stoppedBy && { stoppedBy }) });
      });
      if (child.stdin) {
        // A child that exits without reading its input closes the pipe: that is its business, not an error.
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.input);
      }
    });
  }

  /** Sends `signal` to the child's whole process group. Defaults to SIGKILL. */
  kill(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
    signalGroup(child, signal);
  }

  /** SIGTERM to every group, then SIGKILL to whatever is still there after `graceMs`. Defaults to 2 s. */
  async killAll(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    const live = [...this.children].filter((child) => !hasExited(child));
    if (live.length === 0) return;
    const exited = live.map((child) => new Promise<void>((resolve) => child.once("exit", () => resolve())));
    for (const child of live) this.stop(child, "SIGTERM", "shutdown");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(exited),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const child of live) this.stop(child, "SIGKILL", "shutdown");
          resolve();
        }, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Refuses new children from now on, then ends every child as `killAll` does. Safe to call twice. */
  async close(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    this.isClosed = true;
    await this.killAll(graceMs);
  }

  /**
   * Refuses new children and sends SIGKILL to every group at once, without waiting: for paths that
   * cannot wait, such as LSP `exit` (the process ends right after) and the process's `exit` event.
   */
  closeNow(): void {
    this.isClosed = true;
    for (const child of this.children) this.stop(child, "SIGKILL", "shutdown");
  }

  /** Signals the child's group and remembers the first reason it was stopped for, for `RunResult.stoppedBy`. */
  private stop(child: ChildProcess, signal: NodeJS.Signals, cause: StopCause): void {
    if (!this.causes.has(child)) this.causes.set(child, cause);
    signalGroup(child, signal);
  }
}
