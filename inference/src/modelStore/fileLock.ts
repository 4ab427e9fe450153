/**
 * One pull per model at a time, across processes: a lock file holding the pulling process's id,
 * created exclusively. A lock left by a process that died (killed mid-pull) is taken over.
 */
import { open, readFile, rm } from "node:fs/promises";

/** Lock files this process holds, so two pulls in one process also exclude each other. */
const HELD_LOCKS = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The id of the live process holding the lock `file`, or undefined when nobody does. */
export async function lockHolder(file: string): Promise<number | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  const pid = Number(text);
  if (text === undefined || !Number.isInteger(pid)) return undefined;
  // Our own pid in a lock we do not hold is left from an earlier process that had the same pid.
  if (pid === process.pid) return HELD_LOCKS.has(file) ? pid : undefined;
  return isAlive(pid) ? pid : undefined;
}

/**
 * Takes the lock `file`, or rejects with what `busy(holder)` makes when a live process holds it.
 * Resolves with the function that releases it.
 */
export async function acquireLock(
  file: string,
  busy: (holder: number | undefined) => Error,
): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      HELD_LOCKS.add(file);
      return async () => {
        HELD_LOCKS.delete(file);
        await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = await lockHolder(file);
      if (holder !== undefined) throw busy(holder);
      await rm(file, { force: true });
    }
  }
  throw busy(undefined);
}
