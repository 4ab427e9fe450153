import assert from "node:assert/strict";
import { MAX_DIFF_CELLS, changedLines, minimalLineHunks } from "../../../../client/src/inlineEdit/lineDiff.js";
import type { LineHunk } from "../../../../client/src/inlineEdit/streamingDiff.js";

/** `before` with the hunks applied. */
function apply(before: readonly string[], hunks: readonly LineHunk[]): string[] {
  const out: string[] = [];
  let line = 0;
  for (const hunk of hunks) {
    out.push(...before.slice(line, hunk.start), ...hunk.inserted);
    line = hunk.end;
  }
  return [...out, ...before.slice(line)];
}

/** The length of a longest common subsequence, the plain recursive way (small inputs only). */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === a.length || j === b.length) return 0;
    const key = `${i},${j}`;
    let value = memo.get(key);
    if (value === undefined) {
      value = a[i] === b[j] ? go(i + 1, j + 1) + 1 : Math.max(go(i + 1, j), go(i, j + 1));
      memo.set(key, value);
    }
    return value;
  };
  return go(0, 0);
}

describe("minimal line diff", () => {
  it("gives hunks that turn the original into the replacement, marking as few lines as a longest common subsequence allows", () => {
    let seed = 11;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const words = ["a\n", "b\n", "c\n", "}\n", "\n"];
    for (let t = 0; t < 500; t++) {
      const before = Array.from(
        { length: Math.floor(random() * 9) },
        () => words[Math.floor(random() * words.length)]!,
      );
      const after = Array.from({ length: Math.floor(random() * 9) }, () => words[Math.floor(random() * words.length)]!);
      const hunks = minimalLineHunks(before, after)!;
      assert.deepEqual(apply(before, hunks), after);
      assert.equal(changedLines(hunks), before.length + after.length - 2 * lcsLength(before, after));
      for (const hunk of hunks) assert.ok(hunk.end > hunk.start || hunk.inserted.length > 0, "no hunk changes nothing");
    }
  });

  it("keeps the common start and end out of the table, and gives up on a table too big", () => {
    const same = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`);
    const edited = [...same.slice(0, 2500), "new\n", ...same.slice(2501)];
    assert.deepEqual(minimalLineHunks(same, edited), [{ start: 2500, end: 2501, inserted: ["new\n"] }]);
    const side = Math.ceil(Math.sqrt(MAX_DIFF_CELLS)) + 1;
    const left = Array.from({ length: side }, (_, i) => `left ${i}\n`);
    const right = Array.from({ length: side }, (_, i) => `right ${i}\n`);
    assert.equal(minimalLineHunks(left, right), undefined);
  });
});
