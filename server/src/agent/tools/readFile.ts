/** `read_file {path, start_line?, end_line?}`: a text file, or a line range of it. */
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { classify, sniffFile } from "../../workspace/textFiles.js";
import { ioError, policyPath, resolveToolPath } from "./paths.js";
import { ToolError, type Tool } from "./types.js";

function binarySummary(relative: string, size: number, format: string | undefined): string {
  return `${relative} is a binary file (${format ?? "unknown format"}, ${size} bytes); its bytes are not shown`;
}

/** Streams lines [start, end] of a file too large to load, stopping at `maxBytes`. */
async function streamLines(
  file: string,
  start: number,
  end: number,
  maxBytes: number,
): Promise<{ lines: string[]; last: number; cut: boolean }> {
  const input = createReadStream(file, { encoding: "utf8" });
  const reader = createInterface({ input, crlfDelay: Infinity });
  const lines: string[] = [];
  let bytes = 0;
  let n = 0;
  let cut = false;
  try {
    for await (const line of reader) {
      n++;
      if (n < start) continue;
      if (n > end) break;
      bytes += Buffer.byteLength(line) + 1;
      if (bytes > maxBytes) {
        cut = true;
        break;
      }
      lines.push(line);
    }
  } finally {
    // Closing the reader leaves its input open: a range read that stops early would keep the file's
    // descriptor until the stream is collected, one per call in a long-lived host.
    reader.close();
    if (!input.closed) {
      const closed = once(input, "close");
      input.destroy();
      await closed;
    }
  }
  return { lines, last: start + lines.length - 1, cut };
}

export const readFileTool: Tool = {
  mutates: false,
  definition: {
    name: "read_file",
    description:
      "Read a UTF-8 text file inside the workspace, whole or a range of lines (1-based, inclusive). " +
      "Large files are cut; the result says which lines it holds and how to read on. Binary files are summarized.",
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "Path relative to the workspace root." },
        start_line: { type: "integer", minimum: 1, description: "First line to return. Defaults to 1." },
        end_line: { type: "integer", minimum: 1, description: "Last line to return. Defaults to the end of the file." },
      },
      required: ["path"],
      additionalProperties: false,
    },
  },
  subject: (args) => ({ summary: policyPath(args["path"]), paths: [policyPath(args["path"])] }),
  async run(args, context) {
    const target = await resolveToolPath(context.root, args["path"] as string);
    const start = (args["start_line"] as number | undefined) ?? 1;
    const end = (args["end_line"] as number | undefined) ?? Number.MAX_SAFE_INTEGER;
    if (end < start) throw new ToolError("invalid_arguments", `end_line (${end}) is before start_line (${start})`);
    let size: number;
    try {
      const info = await stat(target.absolute);
      if (info.isDirectory()) throw new ToolError("not_a_file", `${target.relative} is a directory; use list_dir`);
      if (!info.isFile()) throw new ToolError("not_a_file", `${target.relative} is not a regular file`);
      size = info.size;
    } catch (error) {
      if (error instanceof ToolError) throw error;
      throw ioError(error, target.relative);
    }
    const max = context.limits.maxReadBytes;
    if (size > context.limits.maxFileBytes) {
      const sniff = await sniffFile(target.absolute);
      if (sniff.kind === "binary") return binarySummary(target.relative, size, sniff.format);
      const { lines, last, cut } = await streamLines(target.absolute, start, end, max);
      if (lines.length === 0)
        throw new ToolError("invalid_arguments", `${target.relative} has fewer than ${start} lines`);
      const note =
        cut || last < end ? `\n[file is ${size} bytes; call read_file with start_line=${last + 1} to read on]` : "";
      return `${target.relative} lines ${start}-${last} (large file, ${size} bytes)\n${lines.join("\n")}${note}`;
    }
    const bytes = await readFile(target.absolute).catch((error: unknown) => {
      throw ioError(error, target.relative);
    });
    const kind = classify(bytes);
    if (kind.kind === "binary") return binarySummary(target.relative, size, kind.format);
    let text = bytes.toString("utf8");
    let warning = "";
    if (kind.kind === "invalid_utf8") {
      warning = `\n[${target.relative} is not valid UTF-8: undecodable bytes are shown as U+FFFD; edit_file refuses this file]`;
    }
    text = text.replace(/\r\n/g, "\n");
    const all = text.split("\n");
    if (all.length > 1 && all[all.length - 1] === "") all.pop();
    const total = all.length;
    if (start > Math.max(total, 1))
      throw new ToolError(
        "invalid_arguments",
        `${target.relative} has ${total} lines; start_line ${start} is past the end`,
      );
    const wanted = all.slice(start - 1, Math.min(end, total));
    const kept: string[] = [];
    let bytesOut = 0;
    for (const line of wanted) {
      bytesOut += Buffer.byteLength(line) + 1;
      if (bytesOut > max && kept.length > 0) break;
      kept.push(line);
    }
    const last = start + kept.length - 1;
    const header =
      total === 0 ? `${target.relative} (empty file)` : `${target.relative} lines ${start}-${last} of ${total}`;
    const more =
      last < Math.min(end, total)
        ? `\n[output cut at ${max} bytes; call read_file with start_line=${last + 1} to read on]`
        : "";
    return `${header}\n${kept.join("\n")}${more}${warning}`;
  },
};
