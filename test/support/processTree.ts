/**
 * What is running, read from Linux's /proc: a process's descendants (across PID namespaces, so the
 * commands inside a bubblewrap sandbox count too) and the members of a process group. Tests use it
 * to show that a shutdown left nothing behind, by pid and by process group.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Clock ticks after boot: with the pid, it names one process even if the pid is reused later. */
  startTime: number;
  /** The command line, arguments separated by spaces. */
  cmdline: string;
}

function readStat(pid: number): ProcessInfo | undefined {
  let stat: string;
  let cmdline: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces or parentheses itself: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // A zombie has ended; it only waits for its parent to collect its exit status.
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  return {
    pid,
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    startTime: Number(fields[19]),
    cmdline: cmdline.split("\0").join(" ").trim(),
  };
}

/** Every running process (zombies left out). */
export function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readStat(Number(entry));
    if (info) found.push(info);
  }
  return found;
}

/** The running descendants of `pid` (children, grandchildren, ...), not `pid` itself. */
export function descendants(pid: number, all: ProcessInfo[] = processes()): ProcessInfo[] {
  const byParent = new Map<number, ProcessInfo[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcessInfo[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** Whether this very process (same pid and start time) still runs. */
export function stillRunning(process: ProcessInfo): boolean {
  const now = readStat(process.pid);
  return now !== undefined && now.startTime === process.startTime;
}

/** Running processes whose process group is one of `pgids`. */
export function groupMembers(pgids: Iterable<number>, all: ProcessInfo[] = processes()): ProcessInfo[] {
  const wanted = new Set(pgids);
  return all.filter((p) => wanted.has(p.pgid));
}

/** Of `tracked`, those still running, plus anything now in their process groups: what a shutdown left behind. */
export function leftBehind(tracked: readonly ProcessInfo[]): string[] {
  const all = processes();
  const left = new Map<number, ProcessInfo>();
  for (const p of tracked) if (stillRunning(p)) left.set(p.pid, p);
  for (const p of groupMembers(
    tracked.map((t) => t.pgid),
    all,
  ))
    left.set(p.pid, p);
  return [...left.values()].map((p) => `${p.pid} (group ${p.pgid}): ${p.cmdline}`);
}
