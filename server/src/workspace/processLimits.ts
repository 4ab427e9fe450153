/**
 * A limit on the number of processes a sandboxed command may create, so that a fork bomb hits a wall
 * instead of the machine. It uses a pids cgroup (v2 unified hierarchy, else v1 `pids` controller)
 * under the host's own cgroup. Where no writable cgroup exists (most unprivileged desktops without a
 * delegated systemd scope), `createPidsLimit` returns undefined and only the time limit applies.
 */
import { randomBytes } from "node:crypto";
import { access, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";

export interface PidsLimit {
  /** The file a process writes its own pid into to join the group. */
  procsFile: string;
  /** SIGKILLs everything still in the group and removes it. */
  dispose(): Promise<void>;
}

async function ownCgroupPaths(): Promise<{ v1Pids?: string; v2?: string }> {
  const text = await readFile("/proc/self/cgroup", "utf8").catch(() => "");
  const out: { v1Pids?: string; v2?: string } = {};
  for (const line of text.split("\n")) {
    const [, controllers, where] = line.split(":");
    if (where === undefined || controllers === undefined) continue;
    if (controllers.split(",").includes("pids")) out.v1Pids = where;
    if (controllers === "") out.v2 = where;
  }
  return out;
}

/** Removes groups left by hosts that died before cleaning up (their pid is in the name). */
async function removeStale(parent: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const pid = Number(/^bora-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      // rmdir fails on a group that still has processes; that one is left alone.
      await rmdir(path.join(parent, name)).catch(() => undefined);
    }
  }
}

async function tryCreate(parent: string, maxPids: number): Promise<PidsLimit | undefined> {
  // Only a real cgroup file system has these files; a plain tmpfs at the same place must not fool us.
  try {
    await access(path.join(parent, "cgroup.procs"));
  } catch {
    return undefined;
  }
  await removeStale(parent);
  const dir = path.join(parent, `bora-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await mkdir(dir);
  } catch {
    return undefined;
  }
  try {
    await access(path.join(dir, "cgroup.procs"));
    await writeFile(path.join(dir, "pids.max"), String(maxPids));
  } catch {
    await rmdir(dir).catch(() => undefined);
    return undefined;
  }
  const procsFile = path.join(dir, "cgroup.procs");
  return {
    procsFile,
    async dispose() {
      // Processes that escaped the process group (setsid, double fork) are still in the cgroup.
      for (let attempt = 0; attempt < 50; attempt++) {
        const pids = (await readFile(procsFile, "utf8").catch(() => ""))
          .split("\n")
          .filter((p) => p !== "")
          .map(Number);
        if (pids.length === 0) break;
        for (const pid of pids) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // Already gone.
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await rmdir(dir).catch(() => undefined);
    },
  };
}

/** Creates a pids-limited cgroup, or returns undefined where the system offers none we may write. */
export async function createPidsLimit(maxPids: number): Promise<PidsLimit | undefined> {
  const own = await ownCgroupPaths();
  if (own.v2 !== undefined) {
    const created = await tryCreate(path.join("/sys/fs/cgroup", own.v2), maxPids);
    if (created) return created;
    const unified = await tryCreate(path.join("/sys/fs/cgroup/unified", own.v2), maxPids);
    if (unified) return unified;
  }
  if (own.v1Pids !== undefined) return tryCreate(path.join("/sys/fs/cgroup/pids", own.v1Pids), maxPids);
  return undefined;
}
