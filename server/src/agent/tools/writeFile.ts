/** `write_file {path, content}`: creates or replaces a whole text file (parents created). */
import { lstat } from "node:fs/promises";
import { writeFileAtomic } from "../../workspace/textFiles.js";
import { ioError, policyPath, resolveToolPath } from "./paths.js";
import { ToolError, type Tool } from "./types.js";

export const writeFileTool: Tool = {
  mutates: true,
  definition: {
    name: "write_file",
    description:
      "Create a file or replace its whole content (missing parent directories are created). Prefer edit_file for changes to an existing file.",
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "File relative to the workspace root." },
        content: { type: "string", description: "The complete new content." },
      },
      required: ["path", "content"],
      additionalProperties: false,
    },
  },
  subject: (args) => ({ summary: policyPath(args["path"]), paths: [policyPath(args["path"])] }),
  async run(args, context) {
    const target = await resolveToolPath(context.root, args["path"] as string);
    const content = args["content"] as string;
    const bytes = Buffer.byteLength(content);
    if (bytes > context.limits.maxWriteBytes) {
      throw new ToolError(
        "too_large",
        `content is ${bytes} bytes, more than write_file accepts (${context.limits.maxWriteBytes})`,
      );
    }
    if (target.relative === "." || target.relative === ".git" || target.relative.startsWith(".git/")) {
      throw new ToolError("invalid_path", `${target.relative} cannot be written: it is the root or inside .git`);
    }
    const existing = await lstat(target.absolute).catch(() => undefined);
    if (existing?.isDirectory()) throw new ToolError("not_a_file", `${target.relative} is a directory`);
    await context.beforeWrite(target);
    try {
      await writeFileAtomic(target.absolute, content, { createParents: true });
    } catch (error) {
      throw ioError(error, target.relative);
    }
    context.noteWrite(target.relative);
    return `${existing ? "replaced" : "created"} ${target.relative} (${bytes} bytes, ${content === "" ? 0 : content.split("\n").length} lines)`;
  },
};
