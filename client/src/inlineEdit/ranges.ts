/**
 * Which range an inline edit rewrites, in LSP terms (zero-based lines and UTF-16 characters). Pure:
 * the adapter passes what it knows of the document.
 */

export interface Pos {
  line: number;
  character: number;
}

export interface LineRange {
  start: Pos;
  end: Pos;
}

/** What the range logic needs to know of a document. */
export interface DocumentShape {
  lineCount: number;
  /** Length of line `line` without its line break. */
  lineLength(line: number): number;
}

function documentEnd(doc: DocumentShape): Pos {
  const line = doc.lineCount - 1;
  return { line, character: doc.lineLength(line) };
}

/** The start of the line after `line`, or the document's end when `line` is the last one. */
function afterLine(line: number, doc: DocumentShape): Pos {
  return line + 1 < doc.lineCount ? { line: line + 1, character: 0 } : documentEnd(doc);
}

/**
 * The range sent for a selection: whole lines, from the start of the first line to the start of
 * the line after the last (or the document's end). A selection that ends at the start of a line
 * does not take that line. An empty selection stays an empty range at the cursor: insert there.
 */
export function wholeLineRange(selection: LineRange, doc: DocumentShape): LineRange {
  const { start, end } = selection;
  if (start.line === end.line && start.character === end.character) return { start, end };
  const lastLine = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
  return { start: { line: start.line, character: 0 }, end: afterLine(lastLine, doc) };
}

/**
 * Lines of context around a diagnostic when no symbol encloses it: enough for the model to see the
 * statement and its neighbours, little enough to keep the diff small.
 */
export const FIX_CONTEXT_LINES = 3;

/**
 * The range Fix Problem rewrites: the smallest symbol that contains the diagnostic, else the
 * diagnostic's lines with `FIX_CONTEXT_LINES` around them; whole lines either way.
 */
export function fixRange(diagnostic: LineRange, symbols: readonly LineRange[], doc: DocumentShape): LineRange {
  const containing = symbols.filter((symbol) => contains(symbol, diagnostic));
  const smallest = containing.sort((a, b) => a.end.line - a.start.line - (b.end.line - b.start.line))[0];
  if (smallest !== undefined) {
    return { start: { line: smallest.start.line, character: 0 }, end: afterLine(smallest.end.line, doc) };
  }
  const first = Math.max(0, diagnostic.start.line - FIX_CONTEXT_LINES);
  const last = Math.min(doc.lineCount - 1, diagnostic.end.line + FIX_CONTEXT_LINES);
  return { start: { line: first, character: 0 }, end: afterLine(last, doc) };
}

export function comparePos(a: Pos, b: Pos): number {
  return a.line - b.line || a.character - b.character;
}

export function contains(outer: LineRange, inner: LineRange): boolean {
  return comparePos(outer.start, inner.start) <= 0 && comparePos(inner.end, outer.end) <= 0;
}

/** Whether two ranges share a position (touching ends count: a diagnostic at the range's edge concerns it). */
export function intersects(a: LineRange, b: LineRange): boolean {
  return comparePos(a.start, b.end) <= 0 && comparePos(b.start, a.end) <= 0;
}
