/**
 * Maps stack-trace file names onto the workspace. Trackers record the path the code had where it
 * ran (`/srv/app/src/a.ts`, `app:///src/a.ts`, `webpack://app/./src/a.ts`, `src\\a.ts`); the agent
 * and the diagnostics need the workspace-relative path of the same file, and only when it exists.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import type { StackFrame } from "./workItem.js";

/** Whether a workspace-relative path is a file. Injected so the mapping can be checked without a disk. */
export type FileExists = (workspaceRelative: string) => boolean;

export function diskFileExists(workspaceRoot: string): FileExists {
  return (relative) => {
    const full = path.join(workspaceRoot, relative);
    return existsSync(full) && statSync(full).isFile();
  };
}

/** The path segments of a frame's file name, without scheme, drive, query and `.` segments. */
function segments(file: string): string[] {
  let f = file.replace(/[?#].*$/, "").replace(/\\/g, "/");
  f = f.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, ""); // app:///, webpack://name, file://, https://host
  f = f.replace(/^[a-z]:(?=\/)/i, ""); // C:
  return f.split("/").filter((s) => s !== "" && s !== "." && s !== "~");
}

/**
 * The workspace-relative path of `file`, or undefined when no file of the workspace matches. An
 * absolute path under `workspaceRoot` is taken as is; otherwise the longest suffix of the path that
 * names an existing workspace file wins (`/srv/app/src/a.ts` → `src/a.ts`). A path that climbs out
 * (`..`) or names a dependency (`node_modules`) never maps.
 */
export function workspacePathOf(file: string, workspaceRoot: string, exists: FileExists): string | undefined {
  const parts = segments(file);
  if (parts.length === 0 || parts.includes("..") || parts.includes("node_modules")) return undefined;
  const root = segments(workspaceRoot);
  const underRoot = root.length > 0 && root.every((s, i) => parts[i] === s);
  if (underRoot) {
    const rel = parts.slice(root.length).join("/");
    return rel !== "" && exists(rel) ? rel : undefined;
  }
  for (let start = 0; start < parts.length; start++) {
    const rel = parts.slice(start).join("/");
    if (exists(rel)) return rel;
  }
  return undefined;
}

/** Returns the frames with `workspacePath` set where the file exists in the workspace. */
export function mapFramesToWorkspace(frames: StackFrame[], workspaceRoot: string, exists: FileExists): StackFrame[] {
  return frames.map((frame) => {
    const mapped = workspacePathOf(frame.file, workspaceRoot, exists);
    const { workspacePath: _old, ...rest } = frame;
    return mapped === undefined ? rest : { ...rest, workspacePath: mapped };
  });
}
