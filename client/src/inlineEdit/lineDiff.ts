/**
 * A minimal line diff (longest common subsequence) for the end of a stream, when the whole
 * replacement is known: the streaming walk (`streamingDiff.ts`) must decide each line as it arrives
 * and sometimes marks more lines changed than needed; this one sees everything. No `vscode` import.
 */
import type { LineHunk } from "./streamingDiff.js";

/**
 * Most cells of the table (lines of the original × lines of the replacement, after their common
 * start and end are set aside) the diff fills: 4 million is about 16 MB and a few tens of
 * milliseconds on a slow CPU. Past it, the caller keeps the diff it has.
 */
export const MAX_DIFF_CELLS = 4_000_000;

/** How many items `a` and `b` share at their start, and then at their end (lines of two texts, or characters). */
export function commonEnds(a: ArrayLike<unknown>, b: ArrayLike<unknown>): [head: number, tail: number] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return [head, tail];
}

/** The hunks of a minimal line diff of `before` → `after`, or undefined when the table would be too big. */
export function minimalLineHunks(before: readonly string[], after: readonly string[]): LineHunk[] | undefined {
  const [head, tail] = commonEnds(before, after);
  const n = before.length - head - tail;
  const m = after.length - head - tail;
  if (n === 0 && m === 0) return [];
  if (n === 0 || m === 0) return [{ start: head, end: head + n, inserted: after.slice(head, head + m) }];
  if (n * m > MAX_DIFF_CELLS) return undefined;

  // lcs[i * (m + 1) + j]: the longest common subsequence of before[head + i…] and after[head + j…].
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        before[head + i] === after[head + j]
          ? lcs[(i + 1) * width + j + 1]! + 1
          : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }

  const hunks: LineHunk[] = [];
  let open: LineHunk | undefined;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[head + i] === after[head + j]) {
      if (open !== undefined) hunks.push(open);
      open = undefined;
      i++;
      j++;
      continue;
    }
    open ??= { start: head + i, end: head + i, inserted: [] };
    // Removals before insertions where both are as good, so a hunk reads "these lines → those".
    if (j === m || (i < n && lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) {
      i++;
      open.end = head + i;
    } else {
      open.inserted.push(after[head + j]!);
      j++;
    }
  }
  if (open !== undefined) hunks.push(open);
  return hunks;
}

/** Lines a set of hunks removes plus inserts. */
export function changedLines(hunks: readonly LineHunk[]): number {
  return hunks.reduce((sum, hunk) => sum + (hunk.end - hunk.start) + hunk.inserted.length, 0);
}
