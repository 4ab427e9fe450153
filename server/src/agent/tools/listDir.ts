/** `list_dir {path}`: the entries of a directory, directories first, with sizes. */
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { ioError, policyPath, resolveToolPath } from "./paths.js";
import { ToolError, type Tool } from "./types.js";

export const listDirTool: Tool = {
  mutates: false,
  definition: {
    name: "list_dir",
    description:
      "List a directory inside the workspace: sub-directories (ending in /), files with sizes, symbolic links with targets. `.git` is hidden.",
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "Directory relative to the workspace root; '.' is the root." },
      },
      required: ["path"],
      additionalProperties: false,
    },
  },
  subject: (args) => ({ summary: policyPath(args["path"]), paths: [policyPath(args["path"])] }),
  async run(args, context) {
    const target = await resolveToolPath(context.root, args["path"] as string);
    let names: string[];
    try {
      const info = await lstat(target.absolute);
      if (!info.isDirectory()) throw new ToolError("not_a_directory", `${target.relative} is a file; use read_file`);
      names = await readdir(target.absolute);
    } catch (error) {
      if (error instanceof ToolError) throw error;
      throw ioError(error, target.relative);
    }
    names = names.filter((n) => n !== ".git");
    const dirs: string[] = [];
    const files: string[] = [];
    for (const name of names.sort()) {
      const full = path.join(target.absolute, name);
      const info = await lstat(full).catch(() => undefined);
      if (info === undefined) continue;
      if (info.isDirectory()) dirs.push(`${name}/`);
      else if (info.isSymbolicLink()) files.push(`${name} -> ${await readlink(full).catch(() => "?")}`);
      else files.push(`${name}  (${info.size} bytes)`);
    }
    const entries = [...dirs, ...files];
    const max = context.limits.maxDirEntries;
    const shown = entries.slice(0, max);
    const more =
      entries.length > max
        ? `\n[${entries.length - max} more entries not shown; use search with a glob to narrow down]`
        : "";
    if (entries.length === 0) return `${target.relative}/ is empty`;
    return `${target.relative}/ (${entries.length} entries)\n${shown.join("\n")}${more}`;
  },
};
