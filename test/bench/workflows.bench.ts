/**
 * `npm run bench -- workflows [--quick]`: what durability costs, on the embedded PostgreSQL, with
 * real processes (`support/workflowProcess.ts`) that own their state folders as a host does.
 *
 * - `stepOverheadMs`: the median time of a durable step (`DBOS.runStep` of a small file write, in a
 *   registered workflow) minus the same write done directly, the two interleaved in one workflow;
 *   the ratio of the medians goes with it. The durable side pays one checkpoint row, committed
 *   (and so flushed to the WAL) before the step returns.
 * - `hostReadyMs`: spawn → "DBOS launched" of a process that opens the workflow database, cold (a
 *   fresh state folder: initdb, then DBOS's first migration) and warm (the folder that cold run
 *   left), and the same command line doing nothing (node, the tsx loader, the network guard) as the
 *   baseline; the value is warm, and each side is also given as a ratio to the baseline.
 * - `resumeMs`: a process killed with SIGKILL inside a step, then a new one started on the same
 *   folder: spawn → the interrupted step running again. This includes stopping the PostgreSQL the
 *   killed host left behind, and the wait for DBOS's internal queue: launch re-enqueues recovered
 *   workflows there, and that queue is polled (every second by default). Compared with a warm start
 *   on the same folder, measured in the same rounds.
 *
 * Every process is started with its state folder on its command line, so the suite can tell at the
 * end that none of them, and no PostgreSQL, is left: it fails if one is.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parsePostmasterPid } from "../../server/src/workflows/postgresPolicy.js";
import { GUARDED_NODE_ARGS } from "../support/hostProcess.js";
import { descendants, groupMembers, processes } from "../support/processTree.js";
import type { BenchOptions } from "./index.js";
import { median, pairedRatio, percentile, ratio, round } from "./stats.js";

const CHILD = path.join(import.meta.dirname, "support", "workflowProcess.ts");
/** A cold start runs initdb and DBOS's first migration: seconds on an idle machine, more on a busy one. */
const EVENT_TIMEOUT_MS = 120_000;

/** How long SIGKILLed processes get to disappear from /proc before they count as survivors. */
const KILL_GRACE_MS = 5_000;

type Mode = "plain" | "ready" | "steps" | "crash" | "recover";
type Event = Record<string, unknown> & { at: number };

const now = (): number => performance.timeOrigin + performance.now();

/** One child process and the events it reported. */
class Child {
  readonly events: Event[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = "";
  private waiters: (() => void)[] = [];

  private constructor(
    readonly process: ChildProcessWithoutNullStreams,
    readonly spawnedAt: number,
  ) {
    let buffered = "";
    process.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines.filter(Boolean)) this.events.push(JSON.parse(line) as Event);
      for (const wake of this.waiters.splice(0)) wake();
    });
    process.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      process.once("close", (code, signal) => {
        for (const wake of this.waiters.splice(0)) wake();
        resolve({ code, signal });
      }),
    );
  }

  static start(mode: Mode, stateDir: string, env: Record<string, string> = {}): Child {
    const spawnedAt = now();
    const child = spawn(process.execPath, [...GUARDED_NODE_ARGS, CHILD, mode, stateDir], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new Child(child, spawnedAt);
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The first event that has `key`, waited for; fails when the process ends without it. */
  async event(key: string): Promise<Event> {
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    for (;;) {
      const found = this.events.find((e) => key in e);
      if (found) return found;
      if (!this.running || Date.now() > deadline)
        throw new Error(
          `${this.describe()} did not report ${key} (${this.running ? "timed out" : "it ended"}); ` +
            `it reported ${JSON.stringify(this.events)}; stderr:\n${this.stderr}`,
        );
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  }

  /** Milliseconds from the spawn to the event `key`, by the child's own clock. */
  async msTo(key: string): Promise<number> {
    return (await this.event(key)).at - this.spawnedAt;
  }

  /** Ends its stdin, which it takes as "shut down cleanly"; fails unless it exits with 0. */
  async stop(): Promise<void> {
    this.process.stdin.end();
    const { code, signal } = await this.exited;
    if (code !== 0) throw new Error(`${this.describe()} ended with ${signal ?? code}; stderr:\n${this.stderr}`);
  }

  /** Waits for the death it brings on itself. */
  async killedItself(): Promise<void> {
    const { signal } = await this.exited;
    if (signal !== "SIGKILL") throw new Error(`${this.describe()} was not killed (${signal}); stderr:\n${this.stderr}`);
  }

  private describe(): string {
    return `the workflow process ${this.process.spawnargs.slice(-2).join(" ")} (pid ${this.process.pid})`;
  }
}

/** Starts children and makes sure, whatever happens, that none of them or their PostgreSQL outlives the suite. */
class Processes {
  private readonly children = new Set<Child>();
  private readonly stateDirs = new Set<string>();

  constructor(readonly root: string) {}

  stateDir(name: string): string {
    const dir = path.join(this.root, name);
    this.stateDirs.add(dir);
    return dir;
  }

  start(mode: Mode, stateDir: string, env: Record<string, string> = {}): Child {
    const child = Child.start(mode, stateDir, env);
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }

  /** SIGKILL to every child still running and to every server group on our folders; then checks. */
  async killAll(): Promise<string[]> {
    const exits = [...this.children].map((child) => {
      if (child.running) child.process.kill("SIGKILL");
      return child.exited;
    });
    await Promise.all(exits);
    for (const dir of this.stateDirs) {
      const pid = postmasterPid(dir);
      if (pid === undefined) continue;
      try {
        // The postmaster leads its own process group: its backends go with it.
        process.kill(-pid, "SIGKILL");
      } catch {
        // Not running: what we hope for.
      }
    }
    // A signalled process is gone a moment later, not at once.
    const deadline = Date.now() + KILL_GRACE_MS;
    let left = this.leftBehind();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = this.leftBehind();
    }
    return left;
  }

  /** Processes whose command line names our folder (the children, a postmaster), their descendants and groups. */
  leftBehind(): string[] {
    const all = processes();
    // Our children share this process's group: only the groups they or a server lead count.
    const ownGroup = all.find((p) => p.pid === process.pid)?.pgid;
    const ours = all.filter((p) => p.cmdline.includes(this.root));
    const left = new Map(ours.map((p) => [p.pid, p]));
    // A server's backends do not name the folder: they are its children, and in its group.
    for (const p of ours.flatMap((o) => descendants(o.pid, all))) left.set(p.pid, p);
    for (const p of groupMembers(
      ours.map((o) => o.pgid).filter((g) => g !== ownGroup),
      all,
    ))
      left.set(p.pid, p);
    return [...left.values()].map((p) => `${p.pid}: ${p.cmdline}`);
  }
}

function postmasterPid(stateDir: string): number | undefined {
  const file = path.join(stateDir, "postgres", "postmaster.pid");
  return existsSync(file) ? parsePostmasterPid(readFileSync(file, "utf8"))?.pid : undefined;
}

export async function run(options: BenchOptions): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), "bora-bench-workflows-"));
  // Run as root, the server runs as "postgres", which must pass through this folder to its own
  // (mkdtemp makes it 0700); search without read lets it do only that.
  chmodSync(root, 0o711);
  const children = new Processes(root);
  // After every clean stop, nothing of ours may run; after the SIGKILLs of `finally`, nothing at all.
  let leaked: string[] = [];
  let survivors: string[] = [];
  try {
    if (options.wants("stepOverheadMs")) await stepOverhead(options, children);
    if (options.wants("hostReadyMs")) await hostReady(options, children);
    if (options.wants("resumeMs")) await resume(options, children);
    leaked = children.leftBehind();
  } finally {
    survivors = await children.killAll();
    rmSync(root, { recursive: true, force: true });
    if (survivors.length > 0) options.log(`processes that survived SIGKILL:\n${survivors.join("\n")}`);
  }
  if (leaked.length > 0) throw new Error(`workflows bench: left running after clean stops:\n${leaked.join("\n")}`);
  if (survivors.length > 0) throw new Error(`workflows bench: processes survived SIGKILL:\n${survivors.join("\n")}`);
  options.log("no process or PostgreSQL left running");
}

async function stepOverhead(options: BenchOptions, children: Processes): Promise<void> {
  const count = options.quick ? 60 : 400;
  // The first steps pay for warming connections and caches; they are timed but left out.
  const warmup = 10;
  options.log(`stepOverheadMs: ${count} durable and ${count} plain writes, interleaved`);
  const child = children.start("steps", children.stateDir("steps"), { BENCH_SAMPLES: String(count + warmup) });
  const { samples } = (await child.event("samples")) as unknown as { samples: { durable: number[]; plain: number[] } };
  await child.stop();
  const durable = samples.durable.slice(warmup);
  const plain = samples.plain.slice(warmup);
  options.report({
    name: "stepOverheadMs",
    value: round(median(durable) - median(plain), 2),
    ratio: round(ratio(durable, plain), 1),
    pairedRatio: round(pairedRatio(durable, plain), 1),
    durableMs: round(median(durable), 2),
    plainMs: round(median(plain), 2),
    durableP90Ms: round(percentile(durable, 90), 2),
    samples: durable.length,
    work: "fs.writeFile of a few bytes",
    note: "DBOS.runStep inside one registered workflow on the embedded PostgreSQL, minus the same write done directly",
    goal: "report",
  });
}

async function hostReady(options: BenchOptions, children: Processes): Promise<void> {
  const rounds = options.quick ? 2 : 5;
  const plain: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const baseline = children.start("plain", children.stateDir(`plain-${i}`));
    plain.push(await baseline.msTo("ready"));
    await baseline.stop();
    const stateDir = children.stateDir(`ready-${i}`);
    const first = children.start("ready", stateDir);
    cold.push(await first.msTo("ready"));
    await first.stop();
    const again = children.start("ready", stateDir);
    warm.push(await again.msTo("ready"));
    await again.stop();
    options.log(
      `hostReadyMs round ${i + 1}: plain ${plain[i]!.toFixed(0)} ms, cold ${cold[i]!.toFixed(0)} ms, ` +
        `warm ${warm[i]!.toFixed(0)} ms`,
    );
  }
  options.report({
    name: "hostReadyMs",
    value: round(median(warm), 0),
    warmMs: round(median(warm), 0),
    coldMs: round(median(cold), 0),
    plainNodeMs: round(median(plain), 0),
    warmRatio: round(ratio(warm, plain), 2),
    coldRatio: round(ratio(cold, plain), 2),
    warmPairedRatio: round(pairedRatio(warm, plain), 2),
    coldPairedRatio: round(pairedRatio(cold, plain), 2),
    rounds,
    note:
      "spawn → DBOS launched (the process's own clock); cold: fresh state folder (initdb + first migration); " +
      "warm: the folder the cold run left; plain: the same node command line (tsx loader, network guard) doing nothing",
    goal: "report",
  });
}

async function resume(options: BenchOptions, children: Processes): Promise<void> {
  const rounds = options.quick ? 2 : 5;
  const stateDir = children.stateDir("resume");
  // Creates the cluster and migrates, so every measured start below is on an existing folder.
  const setup = children.start("ready", stateDir);
  await setup.event("ready");
  await setup.stop();
  const resumed: number[] = [];
  const recoverReady: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const env = { BENCH_WF_ID: `resume-${i}` };
    const crashed = children.start("crash", stateDir, env);
    await crashed.event("stepStarted");
    await crashed.killedItself();
    const restarted = children.start("recover", stateDir, env);
    resumed.push(await restarted.msTo("stepStarted"));
    recoverReady.push(await restarted.msTo("ready"));
    await restarted.event("result");
    await restarted.stop();
    const plainStart = children.start("ready", stateDir);
    warm.push(await plainStart.msTo("ready"));
    await plainStart.stop();
    options.log(`resumeMs round ${i + 1}: resumed ${resumed[i]!.toFixed(0)} ms, warm ready ${warm[i]!.toFixed(0)} ms`);
  }
  options.report({
    name: "resumeMs",
    value: round(median(resumed), 0),
    warmReadyMs: round(median(warm), 0),
    ratio: round(ratio(resumed, warm), 2),
    pairedRatio: round(pairedRatio(resumed, warm), 2),
    recoverReadyMs: round(median(recoverReady), 0),
    readyToStepMs: round(median(resumed.map((r, i) => r - recoverReady[i]!)), 0),
    rounds,
    note:
      "spawn of the restarted process → the step it was killed in running again; includes stopping the PostgreSQL " +
      "the killed process left; warm: a clean start on the same folder, in the same rounds; readyToStepMs: " +
      "launch puts recovered workflows on DBOS's internal queue, which is polled (1 s by default)",
    goal: "report",
  });
}
