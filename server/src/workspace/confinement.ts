/**
 * Path confinement: every path a tool touches is resolved inside the run's root (the workspace or a
 * task's worktree). The model writes paths, so the model's paths are untrusted: `..`, absolute paths
 * that leave the root and symlinks that lead out are refused with an error the model can read and act on.
 */
import { lstat, realpath } from "node:fs/promises";
import path from "node:path";
import { CodedError } from "@bora/inference";

export class PathError extends CodedError<"outside_root" | "invalid_path"> {
  override readonly name = "PathError";
}

/** A path inside the root: `absolute` for the file system, `relative` (POSIX separators) for people and models. */
export interface ConfinedPath {
  absolute: string;
  relative: string;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function toRelative(root: string, absolute: string): string {
  const rel = path.relative(root, absolute).split(path.sep).join("/");
  return rel === "" ? "." : rel;
}

/**
 * Resolves `input` (relative to `root`, or absolute inside it) and checks every existing component
 * with `realpath`, so a symlink anywhere on the way that points out of the root is refused. Paths
 * that do not exist yet (a file about to be written) are checked through their nearest existing
 * ancestor. `root` must itself be a real path (see `realRoot`).
 */
export async function confine(root: string, input: string): Promise<ConfinedPath> {
  if (typeof input !== "string" || input.trim() === "") throw new PathError("invalid_path", "the path is empty");
  if (input.includes("\0")) throw new PathError("invalid_path", "the path contains a NUL character");
  const lexical = path.resolve(root, input);
  if (!isInside(root, lexical)) {
    throw new PathError(
      "outside_root",
      `'${input}' is outside the workspace root; use a path relative to the root, without '..' leading out`,
    );
  }
  // Walk up to the nearest existing ancestor, then compare its real location with the root.
  let existing = lexical;
  const missing: string[] = [];
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) break;
      missing.unshift(path.basename(existing));
      existing = parent;
    }
  }
  let real: string;
  try {
    real = await realpath(existing);
  } catch {
    // A dangling symlink: its target does not exist, so we cannot prove where it leads.
    throw new PathError("outside_root", `'${input}' goes through a broken symbolic link`);
  }
  if (!isInside(root, real)) {
    throw new PathError(
      "outside_root",
      `'${input}' resolves through a symbolic link to a place outside the workspace root; it cannot be used`,
    );
  }
  const absolute = path.join(real, ...missing);
  return { absolute, relative: toRelative(root, absolute) };
}

/** The real path of a root directory, so that later comparisons are not fooled by a symlinked root. */
export async function realRoot(root: string): Promise<string> {
  const real = await realpath(root);
  const stat = await lstat(real);
  if (!stat.isDirectory()) throw new PathError("invalid_path", `the root ${root} is not a directory`);
  return real;
}
