/**
 * Applies `edit_file` blocks (`{old, new}`) to a text, in order, each block seeing the result of
 * the ones before it. A block is matched exactly first; when that finds nothing, line by line with
 * whitespace ignored at line ends and in runs (models often get indentation or trailing spaces
 * wrong), and the replacement is re-indented to the place it lands. A block that matches nowhere or
 * more than once is reported and skipped; it never stops the others.
 *
 * This module is pure (text in, text out), so the property test can drive it hard; the tool writes
 * the result atomically.
 */

export interface EditBlock {
  old: string;
  new: string;
}

export type BlockOutcome =
  | { index: number; status: "applied"; match: "exact" | "whitespace"; line: number }
  | { index: number; status: "failed"; code: "no_match" | "ambiguous" | "empty_old" | "no_change"; message: string };

export interface EditOutcome {
  text: string;
  blocks: BlockOutcome[];
  /** Number of blocks applied. */
  applied: number;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    found.push(at);
    if (found.length > 50) break;
  }
  return found;
}

const normalize = (line: string): string => line.trim().replace(/\s+/g, " ");
const indentOf = (line: string): string => /^[ \t]*/.exec(line)?.[0] ?? "";

/** Lines of a block, without the empty last line a trailing newline produces. */
function blockLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Re-indents `replacement` lines by the difference between where `old` was written and where it was found. */
function reindent(replacement: string[], oldFirst: string, foundFirst: string): string[] {
  const from = indentOf(oldFirst);
  const to = indentOf(foundFirst);
  if (from === to) return replacement;
  return replacement.map((line) => {
    if (line.trim() === "") return line;
    if (to.startsWith(from)) return to.slice(from.length) + line;
    if (from.startsWith(to) && line.startsWith(from.slice(to.length))) return line.slice(from.length - to.length);
    return line.startsWith(from) ? to + line.slice(from.length) : line;
  });
}

function applyOne(text: string, block: EditBlock, index: number, eol: string): { text: string; outcome: BlockOutcome } {
  const fail = (code: "no_match" | "ambiguous" | "empty_old" | "no_change", message: string) => ({
    text,
    outcome: { index, status: "failed", code, message } as BlockOutcome,
  });
  if (block.old === "") return fail("empty_old", "`old` is empty; to create or replace a whole file use write_file");
  if (block.old === block.new) return fail("no_change", "`old` and `new` are the same");
  // Blocks are written with \n; a CRLF file gets its own line ends back.
  const oldText = eol === "\r\n" ? block.old.replace(/\r?\n/g, "\r\n") : block.old;
  const newText = eol === "\r\n" ? block.new.replace(/\r?\n/g, "\r\n") : block.new;
  const exact = occurrences(text, oldText);
  if (exact.length === 1) {
    const at = exact[0]!;
    return {
      text: text.slice(0, at) + newText + text.slice(at + oldText.length),
      outcome: { index, status: "applied", match: "exact", line: lineOf(text, at) },
    };
  }
  if (exact.length > 1) {
    return fail(
      "ambiguous",
      `\`old\` matches ${exact.length > 50 ? "more than 50" : exact.length} places (lines ${exact
        .slice(0, 5)
        .map((at) => lineOf(text, at))
        .join(", ")}${exact.length > 5 ? ", ..." : ""}); include more surrounding lines so it matches exactly one`,
    );
  }
  // Whitespace-tolerant, line by line.
  const fileLines = text.split(eol);
  const wanted = blockLines(block.old.replace(/\r\n/g, "\n")).map(normalize);
  while (wanted.length > 0 && wanted[0] === "") wanted.shift();
  while (wanted.length > 0 && wanted[wanted.length - 1] === "") wanted.pop();
  if (wanted.length === 0) return fail("no_match", "`old` contains only whitespace and does not occur in the file");
  const starts: number[] = [];
  for (let i = 0; i + wanted.length <= fileLines.length; i++) {
    let same = true;
    for (let j = 0; j < wanted.length && same; j++) same = normalize(fileLines[i + j]!) === wanted[j];
    if (same) starts.push(i);
  }
  if (starts.length > 1) {
    return fail(
      "ambiguous",
      `\`old\` matches ${starts.length} places when whitespace is ignored (lines ${starts
        .slice(0, 5)
        .map((s) => s + 1)
        .join(", ")}); include more surrounding lines so it matches exactly one`,
    );
  }
  if (starts.length === 0) return fail("no_match", noMatchHint(fileLines, wanted));
  const start = starts[0]!;
  const oldLines = blockLines(block.old.replace(/\r\n/g, "\n")).filter((l, i, all) => {
    // Leading and trailing blank lines of `old` were not part of the match.
    const firstReal = all.findIndex((x) => x.trim() !== "");
    const lastReal = all.length - 1 - [...all].reverse().findIndex((x) => x.trim() !== "");
    return i >= firstReal && i <= lastReal;
  });
  const replacement = reindent(blockLines(block.new.replace(/\r\n/g, "\n")), oldLines[0] ?? "", fileLines[start]!);
  const newLines = block.new === "" ? [] : replacement;
  const result = [...fileLines.slice(0, start), ...newLines, ...fileLines.slice(start + wanted.length)];
  return {
    text: result.join(eol),
    outcome: { index, status: "applied", match: "whitespace", line: start + 1 },
  };
}

/** Points the model at the line most like the first line of `old`, so its next try can succeed. */
function noMatchHint(fileLines: string[], wanted: string[]): string {
  const first = wanted[0]!;
  let best = -1;
  let bestScore = 0;
  const words = new Set(first.split(/\W+/).filter((w) => w.length > 1));
  if (words.size > 0) {
    for (let i = 0; i < fileLines.length; i++) {
      const lineWords = normalize(fileLines[i]!).split(/\W+/);
      const score = lineWords.filter((w) => words.has(w)).length / words.size;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
  }
  const base =
    "`old` does not occur in the file (not even with whitespace ignored); read the file again and copy the text exactly";
  if (best < 0 || bestScore < 0.5) return base;
  return `${base}. The closest line to its first line is line ${best + 1}: ${JSON.stringify(fileLines[best]!.trim().slice(0, 120))}`;
}

/** Applies every block in order; failed blocks leave the text as it was before them. */
export function applyEditBlocks(original: string, blocks: readonly EditBlock[]): EditOutcome {
  const eol = /\r\n/.test(original) && !/(^|[^\r])\n/.test(original) ? "\r\n" : "\n";
  let text = original;
  const outcomes: BlockOutcome[] = [];
  blocks.forEach((block, index) => {
    const { text: next, outcome } = applyOne(text, block, index, eol);
    text = next;
    outcomes.push(outcome);
  });
  return { text, blocks: outcomes, applied: outcomes.filter((o) => o.status === "applied").length };
}
