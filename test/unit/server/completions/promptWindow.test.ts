import assert from "node:assert/strict";
import {
  PREFIX_BLOCK_LINES,
  PREFIX_BLOCKS_BEFORE,
  PREFIX_MAX_CHARS,
  SUFFIX_MAX_CHARS,
  SUFFIX_MAX_LINES,
  promptWindow,
} from "../../../../server/src/completions/promptWindow.js";

/** A document of `n` numbered lines. */
function lines(n: number, width = 10): string {
  return Array.from({ length: n }, (_, i) => `line ${i}`.padEnd(width, ".")).join("\n") + "\n";
}

/** The offset of the start of line `line` in `text`, plus `column`. */
function at(text: string, line: number, column = 0): number {
  let offset = 0;
  for (let i = 0; i < line; i++) offset = text.indexOf("\n", offset) + 1;
  return offset + column;
}

describe("completion prompt window", () => {
  it("splits at the cursor: the prefix ends and the suffix starts there, with the cursor's line parts", () => {
    const text = "function add(a, b) {\n  return a + b;\n}\n";
    const w = promptWindow(text, at(text, 1, 9));
    assert.equal(w.prefix, "function add(a, b) {\n  return ");
    assert.equal(w.suffix, "a + b;\n}\n");
    assert.equal(w.linePrefix, "  return ");
    assert.equal(w.lineSuffix, "a + b;");
  });

  it("keeps the prefix's start put while the cursor moves and types within a block, so the engine reuses it", () => {
    const text = lines(200);
    const line = 3 * PREFIX_BLOCK_LINES + 5;
    const first = promptWindow(text, at(text, line, 2)).prefix;
    const starts = [];
    for (let l = line; l < 4 * PREFIX_BLOCK_LINES; l++) {
      for (const column of [0, 3, 7]) {
        const prefix = promptWindow(text, at(text, l, column)).prefix;
        starts.push(prefix.slice(0, 20));
      }
    }
    assert.ok(
      starts.every((s) => s === first.slice(0, 20)),
      "one start for the whole block",
    );
    // It starts on a block boundary, whole blocks before the cursor's own.
    assert.ok(first.startsWith(`line ${(3 - PREFIX_BLOCKS_BEFORE) * PREFIX_BLOCK_LINES}.`));
  });

  it("typing extends the prefix: the new prompt starts with the old one", () => {
    const text = lines(100);
    const offset = at(text, 50, 4);
    const before = promptWindow(text, offset).prefix;
    const typed = text.slice(0, offset) + "abc" + text.slice(offset);
    const after = promptWindow(typed, offset + 3).prefix;
    assert.equal(after, before + "abc");
  });

  it("moves the start to the next block boundary only when the cursor enters the next block", () => {
    const text = lines(200);
    const inBlock = promptWindow(text, at(text, 4 * PREFIX_BLOCK_LINES - 1)).prefix;
    const nextBlock = promptWindow(text, at(text, 4 * PREFIX_BLOCK_LINES)).prefix;
    assert.ok(inBlock.startsWith(`line ${(3 - PREFIX_BLOCKS_BEFORE) * PREFIX_BLOCK_LINES}.`));
    assert.ok(nextBlock.startsWith(`line ${(4 - PREFIX_BLOCKS_BEFORE) * PREFIX_BLOCK_LINES}.`));
  });

  it("starts at the document's start near the top", () => {
    const text = lines(20);
    assert.equal(promptWindow(text, at(text, 10, 2)).prefix, text.slice(0, at(text, 10, 2)));
  });

  it("holds the prefix to its budget by dropping whole blocks, then whole lines, from the top", () => {
    const wide = lines(200, 100);
    const w = promptWindow(wide, at(wide, 150, 5));
    assert.ok(w.prefix.length <= PREFIX_MAX_CHARS + 5, `${w.prefix.length} characters`);
    assert.match(w.prefix, /^line \d+\./, "starts at a line start");
    const start = Number(/^line (\d+)/.exec(w.prefix)![1]);
    const sameLineLater = promptWindow(wide, at(wide, 150, 50)).prefix;
    assert.ok(sameLineLater.startsWith(`line ${start}.`), "typing on the line keeps the start");
  });

  it("takes the last characters of a line longer than the whole budget", () => {
    const text = "x".repeat(PREFIX_MAX_CHARS * 3);
    assert.equal(promptWindow(text, text.length).prefix.length, PREFIX_MAX_CHARS);
  });

  it("shows a few lines of suffix, cut at a line end when over budget", () => {
    const text = lines(50);
    const w = promptWindow(text, at(text, 10, 3));
    assert.equal(w.suffix, text.slice(at(text, 10, 3), at(text, 11 + SUFFIX_MAX_LINES)));
    const wide = lines(50, 100);
    const cut = promptWindow(wide, at(wide, 10, 3)).suffix;
    assert.ok(cut.length <= SUFFIX_MAX_CHARS && cut.endsWith("\n"), JSON.stringify(cut));
    const huge = "a".repeat(1000);
    assert.equal(promptWindow(huge, 0).suffix.length, SUFFIX_MAX_CHARS, "one line over budget is cut");
  });

  it("handles the ends of the document and CRLF line ends", () => {
    assert.deepEqual(promptWindow("", 0), { prefix: "", suffix: "", linePrefix: "", lineSuffix: "" });
    const crlf = "a = 1\r\nb = \r\n";
    const w = promptWindow(crlf, crlf.indexOf("b = ") + 4);
    assert.equal(w.lineSuffix, "");
    assert.equal(w.linePrefix, "b = ");
  });
});
