/**
 * Every child process the host starts goes through here, in its own process group, so that a
 * shutdown (or the host's own exit) can take down the whole tree: no orphan keeps running after
 * the editor closes.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export class Spawner {
  private readonly children = new Set<ChildProcess>();

  constructor() {
    // A last resort for exits that skip `killAll` (an uncaught error, process.exit elsewhere).
    process.once("exit", () => this.killAllNow("SIGKILL"));
  }

  get size(): number {
    return this.children.size;
  }

  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(command, args, { ...options, detached: true });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    child.once("error", () => this.children.delete(child));
    return child;
  }

  /** SIGTERM to every group, then SIGKILL to whatever is still there after `graceMs`. */
  async killAll(graceMs = 2000): Promise<void> {
    if (this.children.size === 0) return;
    const waiting = [...this.children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
        }),
    );
    this.killAllNow("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(waiting),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.killAllNow("SIGKILL");
          resolve();
        }, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private killAllNow(signal: NodeJS.Signals): void {
    for (const child of this.children) {
      if (child.pid === undefined) continue;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    }
  }
}
