/** Path helpers shared by the file tools: confinement errors become tool errors the model can read. */
import path from "node:path";
import { confine, PathError, type ConfinedPath } from "../../workspace/confinement.js";
import { ToolError } from "./types.js";

export async function resolveToolPath(root: string, input: string): Promise<ConfinedPath> {
  try {
    return await confine(root, input);
  } catch (error) {
    if (error instanceof PathError) throw new ToolError(error.code, error.message);
    throw error;
  }
}

/** The path as the policy sees it: relative to the root, normalized, POSIX separators. */
export function policyPath(input: unknown): string {
  const text = typeof input === "string" ? input : "";
  return path.posix.normalize(text.split(path.sep).join("/")).replace(/^\.\//, "").replace(/^\/+/, "/");
}

export function ioError(error: unknown, relative: string): ToolError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new ToolError("not_found", `${relative} does not exist`);
  if (code === "EISDIR") return new ToolError("not_a_file", `${relative} is a directory`);
  if (code === "ENOTDIR") return new ToolError("not_a_directory", `a parent of ${relative} is not a directory`);
  return new ToolError("io_error", `${relative}: ${(error as Error).message}`);
}
