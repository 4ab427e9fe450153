/**
 * `streamedDiffSize` (in `npm run bench -- editor`): how many lines the inline edit's streamed diff
 * marks as changed (removed plus inserted) ÷ how many a minimal line diff marks, summed over real
 * edits: every TypeScript file modified by the last `COMMITS` commits of this repository, before →
 * after, streamed through `StreamingLineDiff` as one answer. 1 is a minimal diff; every line above it
 * is a line the user reviews, while the answer streams, although it did not change (when the stream
 * ends, the edit redraws its hunks as the minimal diff: see `pendingEdit.ts`). No model and no
 * timing: the figure is the same on every machine for the same history.
 */
import { execFileSync } from "node:child_process";
import { StreamingLineDiff, hunksOf } from "../../client/src/inlineEdit/streamingDiff.js";
import { splitLines } from "../../client/src/inlineEdit/lines.js";
import { changedLines, minimalLineHunks } from "../../client/src/inlineEdit/lineDiff.js";
import type { BenchOptions } from "./index.js";
import { round } from "./stats.js";

/** Commits looked at: a few hundred give about a thousand file edits here, in a few seconds. */
const COMMITS = 400;
/** Files longer than this are left out: the minimal diff is quadratic (and has a limit, `MAX_DIFF_CELLS`). */
const MAX_LINES = 1500;

/** Lines a minimal line diff removes plus inserts (the diff the inline edit redraws when the stream ends). */
export function minimalChangedLines(before: readonly string[], after: readonly string[]): number {
  const hunks = minimalLineHunks(before, after);
  if (hunks === undefined) throw new Error(`a diff of ${before.length} by ${after.length} lines is over the limit`);
  return changedLines(hunks);
}

/** Lines the streamed diff removes plus inserts. */
export function streamedChangedLines(before: string, after: string): number {
  const differ = new StreamingLineDiff(before, "\n");
  const hunks = hunksOf([...differ.push(after), ...differ.finish()]);
  return hunks.reduce((sum, hunk) => sum + (hunk.end - hunk.start) + hunk.inserted.length, 0);
}

export async function streamedDiffSize(options: BenchOptions): Promise<void> {
  const git = (...args: string[]): string =>
    execFileSync("git", args, { maxBuffer: 1 << 28, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const commits = git("log", "--format=%H", "-n", String(COMMITS)).trim().split("\n").filter(Boolean);
  let edits = 0;
  let streamed = 0;
  let minimal = 0;
  let larger = 0;
  for (const commit of commits) {
    let files: string[];
    try {
      files = git("diff", "--name-only", "--diff-filter=M", `${commit}~1`, commit, "--", "*.ts").split("\n");
    } catch {
      continue; // the first commit, or a shallow clone's oldest
    }
    for (const file of files.filter(Boolean)) {
      const before = git("show", `${commit}~1:${file}`);
      const after = git("show", `${commit}:${file}`);
      const [a, b] = [splitLines(before), splitLines(after)];
      if (a.length > MAX_LINES || b.length > MAX_LINES) continue;
      const s = streamedChangedLines(before, after);
      const m = minimalChangedLines(a, b);
      edits++;
      streamed += s;
      minimal += m;
      if (s > m) larger++;
    }
  }
  options.report({
    name: "streamedDiffSize",
    value: round(streamed / minimal),
    edits,
    streamedLines: streamed,
    minimalLines: minimal,
    // File edits whose streamed diff marks more lines than the minimal one.
    largerEdits: larger,
    commits: commits.length,
  });
}
