/**
 * Who runs a workflow and which code it was written against: the two keys DBOS pins recovery to.
 * `DBOS.launch()` recovers only the PENDING workflows of its own executor id and application version,
 * so both must be stable across restarts of the same host and change only when they must.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { HOST_VERSION } from "../version.js";

/**
 * Bumped when a workflow's steps change in a way that an interrupted run of the old code cannot be
 * replayed against (steps added, removed, reordered or renamed).
 */
export const WORKFLOW_SCHEMA = 1;

/**
 * The application version DBOS records on every workflow. It must be explicit: DBOS's default is a
 * hash over the registered functions' source and its own version, so any rebuild (a bundler's
 * renaming, a DBOS patch release) would orphan every interrupted workflow, silently. This way a
 * change is a decision, and workflows of older versions are reported (`listStaleWorkflows`).
 */
export const WORKFLOW_APP_VERSION = `${HOST_VERSION}+workflows.${WORKFLOW_SCHEMA}`;

/** The longest executor id we make: it is stored on every workflow row and shown in reports. */
const MAX_HOST_PART = 40;

/** A new executor id: the host name (letters, digits, `-`, `.` kept) and 6 random hex digits. */
export function newExecutorId(hostname: string, random: string = randomBytes(3).toString("hex")): string {
  const host =
    hostname
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, MAX_HOST_PART) || "host";
  return `${host}-${random}`;
}

/**
 * This host's executor id: `BORA_EXECUTOR_ID` when set (a team's hosts with names of their own, a
 * StatefulSet slot), else the one kept in `<stateDir>/executor-id`, made on first use. It must
 * survive restarts: a restarted host recovers only the workflows of its own id.
 */
export async function executorIdFor(
  stateDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string> {
  const own = env["BORA_EXECUTOR_ID"]?.trim();
  if (own) return own;
  const file = path.join(stateDir, "executor-id");
  const kept = (await readFile(file, "utf8").catch(() => "")).trim();
  if (kept) return kept;
  await mkdir(stateDir, { recursive: true });
  const made = newExecutorId(os.hostname());
  // Written aside, then linked into place: the link appears with its content or not at all, and
  // fails when the file exists, so hosts starting together on one state folder all get the first id.
  const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(aside, `${made}\n`);
  try {
    await link(aside, file);
    return made;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return (await readFile(file, "utf8")).trim() || made;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}
