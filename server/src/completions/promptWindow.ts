/**
 * What a completion prompt shows the model of a document: the text before the cursor (the prefix)
 * and a little of the text after it (the suffix), as fill-in-the-middle reads them.
 *
 * The prefix is shaped for the engine's KV-prefix reuse. The engine keeps the tokens a sequence
 * already evaluated when the next prompt starts with them, so the prefix never starts "N
 * characters before the cursor" (a start that moves with every keystroke, so nothing is reused);
 * it starts on a line that is a multiple of `PREFIX_BLOCK_LINES`, which stays put while the cursor
 * moves within its block. Typing then costs only the new characters, plus the suffix, which comes
 * after the prefix in the prompt and is evaluated again each time: that is why it is short.
 */

/** The prefix starts on a line that is a multiple of this, so its start moves once every this many lines. */
export const PREFIX_BLOCK_LINES = 32;
/** Whole blocks before the cursor's own block: at least 64 lines of context above the cursor's block. */
export const PREFIX_BLOCKS_BEFORE = 2;
/**
 * Most characters of prefix (about 1,000 tokens of code). The first completion in a block
 * evaluates all of it (about 8 s for a 0.5B model on 2 CPU cores, a fraction of a second on a GPU);
 * the ones after reuse it.
 */
export const PREFIX_MAX_CHARS = 4000;
/**
 * Lines after the cursor's line that the suffix may show: the next one, which says whether the
 * completion should close a block or go on. More costs latency for little (see `SUFFIX_MAX_CHARS`).
 */
export const SUFFIX_MAX_LINES = 1;
/**
 * Most characters of suffix. The suffix follows the prefix in the prompt, so it is evaluated again
 * on every keystroke: with 3 lines and 240 characters a completion at a line end on the 0.5B model
 * (2 CPU cores) evaluated a median of 43 new tokens, 415 ms before its first token (`npm run bench
 * -- editor`), about as long as the whole budget for ghost text.
 */
export const SUFFIX_MAX_CHARS = 120;

export interface PromptWindow {
  /** From a stable line boundary up to the cursor. */
  prefix: string;
  /** From the cursor on: the rest of its line and a few lines after, cut at a line end where it can be. */
  suffix: string;
  /** The cursor line's text before the cursor. */
  linePrefix: string;
  /** The cursor line's text after the cursor, without its line break. */
  lineSuffix: string;
}

/** Offsets where each line starts. */
function lineStarts(text: string, upTo: number): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1 && i < upTo; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The offset the prefix starts at, for a cursor at `offset` (see the module comment). */
function prefixStart(text: string, offset: number): number {
  const starts = lineStarts(text, offset);
  const cursorLine = starts.length - 1;
  const cursorLineStart = starts[cursorLine]!;
  const firstLine = Math.max(
    0,
    (Math.floor(cursorLine / PREFIX_BLOCK_LINES) - PREFIX_BLOCKS_BEFORE) * PREFIX_BLOCK_LINES,
  );
  // Too long: drop whole blocks from the top, then (very long lines) whole lines; the lines above
  // the cursor's line decide, so the start still holds while typing on one line.
  for (let line = firstLine; line < cursorLine; line += PREFIX_BLOCK_LINES) {
    if (cursorLineStart - starts[line]! <= PREFIX_MAX_CHARS) return starts[line]!;
  }
  for (let line = Math.floor(cursorLine / PREFIX_BLOCK_LINES) * PREFIX_BLOCK_LINES; line < cursorLine; line++) {
    if (cursorLineStart - starts[line]! <= PREFIX_MAX_CHARS) return starts[line]!;
  }
  // One line longer than the budget (minified code): its last characters are all there is room for.
  return Math.max(cursorLineStart, offset - PREFIX_MAX_CHARS);
}

/** The suffix after `offset`: up to `SUFFIX_MAX_LINES` lines after the cursor's, cut at a line end when over budget. */
function suffixAt(text: string, offset: number): string {
  let end = offset;
  for (let line = 0; line <= SUFFIX_MAX_LINES; line++) {
    const lineEnd = text.indexOf("\n", end);
    const next = lineEnd === -1 ? text.length : lineEnd + 1;
    if (next - offset > SUFFIX_MAX_CHARS)
      return line === 0 ? text.slice(offset, offset + SUFFIX_MAX_CHARS) : text.slice(offset, end);
    end = next;
    if (lineEnd === -1) break;
  }
  return text.slice(offset, end);
}

/** The prompt window of a document `text` with the cursor at `offset` (UTF-16 code units). */
export function promptWindow(text: string, offset: number): PromptWindow {
  const at = Math.max(0, Math.min(offset, text.length));
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  const lineBreak = text.indexOf("\n", at);
  const lineEnd = lineBreak === -1 ? text.length : lineBreak;
  return {
    prefix: text.slice(prefixStart(text, at), at),
    suffix: suffixAt(text, at),
    linePrefix: text.slice(lineStart, at),
    lineSuffix: text.slice(at, lineEnd).replace(/\r$/, ""),
  };
}
