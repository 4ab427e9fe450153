/**
 * Exact crash points for the crash tests: with `BORA_CRASH_AT=<when>:<step>[#n]` (several joined by
 * commas) the process kills itself with SIGKILL at that point of the n-th run of that step (default
 * the first), as a power cut would. `when` is `before` (the step has not started), `during` (it
 * started, nothing done yet), `afterCall` (its work is done but its output is not recorded: the
 * at-least-once window), `after` (recorded), or `recv` (waiting for a message on the topic named as
 * the step). Unset, which is always outside the tests, this does nothing.
 */

export type CrashWhen = "before" | "during" | "afterCall" | "after" | "recv";

const counts = new Map<string, number>();
let points: Set<string> | undefined;

function configured(): Set<string> {
  points ??= new Set(
    (process.env["BORA_CRASH_AT"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== ""),
  );
  return points;
}

export function crashPoint(when: CrashWhen, step: string): void {
  const wanted = configured();
  if (wanted.size === 0) return;
  const key = `${when}:${step}`;
  const n = (counts.get(key) ?? 0) + 1;
  counts.set(key, n);
  if (wanted.has(`${key}#${n}`) || (n === 1 && wanted.has(key))) {
    process.stderr.write(`bora: crash point ${key}#${n}: killing this process\n`);
    process.kill(process.pid, "SIGKILL");
  }
}
