/**
 * Which workspace folder a file belongs to: the one way the host maps a document to the root its
 * rules, tasks and tools work in.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** What marks a workspace root for clients that do not tell their folders. */
const ROOT_MARKERS = ["AGENTS.md", ".bora", ".git"];

/** Whether `file` is `folder` or inside it (both absolute). */
export function isInside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** The client's `file:` workspace folders as paths. */
export function folderPaths(folders: readonly string[]): string[] {
  return folders.filter((uri) => uri.startsWith("file:")).map((uri) => fileURLToPath(uri));
}

/**
 * The innermost workspace folder holding the file, else the nearest folder above it with a root
 * marker. Undefined for a URI that is not a `file:` one, or a file under no folder and no marker.
 */
export function workspaceRootFor(uri: string, folders: readonly string[]): string | undefined {
  if (!uri.startsWith("file:")) return undefined;
  const file = fileURLToPath(uri);
  const inner = folderPaths(folders)
    .filter((folder) => isInside(folder, file))
    .sort((a, b) => b.length - a.length);
  if (inner[0] !== undefined) return inner[0];
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (ROOT_MARKERS.some((m) => existsSync(path.join(dir, m)))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
