/** `edit_file {path, edits: [{old, new}]}`: search/replace blocks, each applied or reported on its own. */
import { readFile, stat } from "node:fs/promises";
import { classify, writeFileAtomic } from "../../workspace/textFiles.js";
import { applyEditBlocks, type EditBlock } from "../editBlocks.js";
import { ioError, policyPath, resolveToolPath } from "./paths.js";
import { ToolError, type Tool } from "./types.js";

export const editFileTool: Tool = {
  mutates: true,
  definition: {
    name: "edit_file",
    description:
      "Edit a text file with search/replace blocks, applied in order. `old` must match exactly one place " +
      "(exact text first; then line by line ignoring whitespace differences). A block that matches nowhere or " +
      "several times is reported and skipped; the others still apply. Include enough context in `old` to be unique.",
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "File relative to the workspace root." },
        edits: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            properties: {
              old: { type: "string", description: "Text to find (non-empty)." },
              new: { type: "string", description: "Text to put in its place." },
            },
            required: ["old", "new"],
            additionalProperties: false,
          },
        },
      },
      required: ["path", "edits"],
      additionalProperties: false,
    },
  },
  subject: (args) => ({
    summary: `${policyPath(args["path"])} (${Array.isArray(args["edits"]) ? args["edits"].length : 0} block(s))`,
    paths: [policyPath(args["path"])],
  }),
  async run(args, context) {
    const target = await resolveToolPath(context.root, args["path"] as string);
    let bytes: Buffer;
    try {
      const info = await stat(target.absolute);
      if (!info.isFile()) throw new ToolError("not_a_file", `${target.relative} is not a regular file`);
      if (info.size > context.limits.maxFileBytes) {
        throw new ToolError(
          "too_large",
          `${target.relative} is ${info.size} bytes, more than edit_file handles (${context.limits.maxFileBytes})`,
        );
      }
      bytes = await readFile(target.absolute);
    } catch (error) {
      if (error instanceof ToolError) throw error;
      throw ioError(error, target.relative);
    }
    const kind = classify(bytes);
    if (kind.kind === "binary")
      throw new ToolError("binary_file", `${target.relative} is a binary file; it cannot be edited as text`);
    if (kind.kind === "invalid_utf8") {
      throw new ToolError("invalid_utf8", `${target.relative} is not valid UTF-8; editing it as text would corrupt it`);
    }
    const original = bytes.toString("utf8");
    const outcome = applyEditBlocks(original, args["edits"] as EditBlock[]);
    const report = outcome.blocks.map((b) =>
      b.status === "applied"
        ? `block ${b.index + 1}: applied at line ${b.line}${b.match === "whitespace" ? " (matched with whitespace ignored)" : ""}`
        : `block ${b.index + 1}: NOT applied (${b.code}): ${b.message}`,
    );
    if (outcome.applied === 0) {
      throw new ToolError(
        "no_edits_applied",
        `no block applied; ${target.relative} is unchanged\n${report.join("\n")}`,
      );
    }
    if (Buffer.byteLength(outcome.text) > context.limits.maxWriteBytes) {
      throw new ToolError(
        "too_large",
        `the edited file would exceed ${context.limits.maxWriteBytes} bytes; nothing was written`,
      );
    }
    await context.beforeWrite(target);
    await writeFileAtomic(target.absolute, outcome.text);
    context.noteWrite(target.relative);
    return `${target.relative}: ${outcome.applied} of ${outcome.blocks.length} block(s) applied\n${report.join("\n")}`;
  },
};
