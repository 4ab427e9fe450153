import assert from "node:assert/strict";
import { Spawner } from "../../server/src/workspace/spawner.js";

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
