import assert from "node:assert/strict";
import { Spawner, SpawnerClosedError, type RunOptions, type RunResult } from "../../../server/src/workspace/spawner.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe("spawner (no orphans)", () => {
  it("kills every child's whole process group, grandchildren included", async () => {
    const registry = new Spawner();
    // Each shell starts a grandchild and prints its pid; killing only the shell would orphan it.
    const children = [1, 2].map(() =>
      registry.spawn("sh", ["-c", "sleep 300 & echo $!; wait"], { stdio: ["ignore", "pipe", "ignore"] }),
    );
    const grandchildren = await Promise.all(
      children.map(
        (c) =>
          new Promise<number>((resolve) => c.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim())))),
      ),
    );
    assert.ok(grandchildren.every(alive));
    assert.equal(registry.size, 2);
    await registry.killAll();
    assert.ok(await until(() => grandchildren.every((pid) => !alive(pid)), 3000), "grandchildren are gone");
    assert.equal(registry.size, 0);
  });

  it("escalates to SIGKILL for a child that ignores SIGTERM", async () => {
    const registry = new Spawner();
    const child = registry.spawn("sh", ["-c", "trap '' TERM; echo ready; while :; do sleep 1; done"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    await new Promise((resolve) => child.stdout!.once("data", resolve));
    const started = Date.now();
    await registry.killAll(300);
    assert.ok(await until(() => child.exitCode !== null || child.signalCode !== null, 2000));
    assert.ok(Date.now() - started < 2000);
  });
});

/** Starts `sh -c '<background> & echo $!; <foreground>'` through `run` and resolves with the background pid. */
function runWithGrandchild(
  spawner: Spawner,
  foreground: string,
  options: RunOptions = {},
): { done: Promise<RunResult>; grandchild: Promise<number> } {
  let found: (pid: number) => void = () => undefined;
  const grandchild = new Promise<number>((resolve) => (found = resolve));
  const done = spawner.run("sh", ["-c", `sleep 300 & echo $!; ${foreground}`], {
    ...options,
    onStdout: (chunk) => found(Number(chunk.toString().trim().split("\n")[0])),
  });
  return { done, grandchild };
}

describe("spawner.run (the execFile-style helper)", () => {
  let spawner: Spawner;
  beforeEach(() => {
    spawner = new Spawner();
  });
  afterEach(() => spawner.close(0));

  it("feeds input, collects stdout and stderr, and reports a non-zero exit without throwing", async () => {
    const result = await spawner.run("sh", ["-c", "cat; echo oops >&2; exit 3"], { input: "hello\n" });
    assert.deepEqual(result, { exitCode: 3, signal: null, stdout: "hello\n", stderr: "oops\n" });
    assert.equal(spawner.size, 0);
  });

  it("rejects with spawn's error when the program does not exist", async () => {
    await assert.rejects(spawner.run("/nonexistent/program", []), { code: "ENOENT" });
    assert.equal(spawner.size, 0);
  });

  it("kills the whole group at the time limit, grandchildren included, and says so", async () => {
    const { done, grandchild } = runWithGrandchild(spawner, "wait", { timeoutMs: 300 });
    const pid = await grandchild;
    const result = await done;
    assert.equal(result.stoppedBy, "timeout");
    assert.equal(result.signal, "SIGKILL");
    assert.ok(await until(() => !alive(pid), 3000), "the grandchild is gone");
  });

  it("kills the whole group when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const { done, grandchild } = runWithGrandchild(spawner, "wait", { signal: controller.signal });
    const pid = await grandchild;
    controller.abort();
    const result = await done;
    assert.equal(result.stoppedBy, "abort");
    assert.ok(await until(() => !alive(pid), 3000), "the grandchild is gone");
  });

  it("stops a child that prints more than maxOutput", async () => {
    const result = await spawner.run("sh", ["-c", "while :; do echo 0123456789; done"], { maxOutput: 100000 });
    assert.equal(result.stoppedBy, "maxOutput");
    assert.ok(result.stdout.length <= 100000);
  });

  it("kills what a child left running in its group when the child exits", async () => {
    // The shell ends at once; its background sleep would hold the output open for five minutes.
    const { done, grandchild } = runWithGrandchild(spawner, "exit 0");
    const pid = await grandchild;
    const result = await done;
    assert.equal(result.exitCode, 0);
    assert.equal(result.stoppedBy, undefined);
    assert.ok(await until(() => !alive(pid), 3000), "the background process is gone");
  });

  it("says a child was ended by a shutdown, and refuses new children once closed", async () => {
    const { done, grandchild } = runWithGrandchild(spawner, "wait");
    const pid = await grandchild;
    await spawner.close(300);
    assert.equal((await done).stoppedBy, "shutdown");
    assert.ok(await until(() => !alive(pid), 3000), "the grandchild is gone");
    assert.equal(spawner.closed, true);
    await assert.rejects(spawner.run("true", []), SpawnerClosedError);
    assert.throws(() => spawner.spawn("true", []), SpawnerClosedError);
  });

  it("closeNow kills every group at once, without waiting", async () => {
    const { done, grandchild } = runWithGrandchild(spawner, "wait");
    const pid = await grandchild;
    spawner.closeNow();
    assert.equal((await done).signal, "SIGKILL");
    assert.ok(await until(() => !alive(pid), 3000), "the grandchild is gone");
  });

  it("adds one process exit listener however many spawners have children", async () => {
    const before = process.listenerCount("exit");
    const spawners = Array.from({ length: 20 }, () => new Spawner());
    const children = spawners.map((s) => s.spawn("sleep", ["300"], { stdio: "ignore" }));
    // The first spawn in this process may add the one listener; twenty spawners add no more than that.
    assert.ok(process.listenerCount("exit") - before <= 1);
    const exited = children.map((c) => new Promise((resolve) => c.once("exit", resolve)));
    await Promise.all(spawners.map((s) => s.close(0)));
    await Promise.all(exited);
  });
});
