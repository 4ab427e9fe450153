/**
 * Offset edits and how a position moves through one. No `vscode` import.
 */

/** One replacement in a buffer: `length` characters at `offset` become `text`. */
export interface OffsetEdit {
  offset: number;
  length: number;
  text: string;
}

/**
 * Where `position` is after `change`. A position inside the replaced text, or at an insertion
 * point, goes to the `before` side (the end of a range: the new text is not in it) or the `after`
 * side (the start of a range: the new text comes before it).
 */
export function mapPosition(position: number, change: OffsetEdit, side: "before" | "after"): number {
  const end = change.offset + change.length;
  if (position < change.offset) return position;
  if (position > end) return position + change.text.length - change.length;
  return side === "before" ? change.offset : change.offset + change.text.length;
}

/** Applies offset edits, given in the order VS Code reports them (each against the text the previous one left). */
export function applyEdits(text: string, edits: readonly OffsetEdit[]): string {
  let out = text;
  for (const edit of edits) out = out.slice(0, edit.offset) + edit.text + out.slice(edit.offset + edit.length);
  return out;
}

/** Simultaneous edits (offsets in the same text) as a sequence VS Code would report: from the last to the first. */
export function sequential(edits: readonly OffsetEdit[]): OffsetEdit[] {
  return [...edits].sort((a, b) => b.offset - a.offset);
}

/** Whether the change overlaps [start, end), counting an insertion only strictly inside (or at `start` when `startInside`). */
export function touches(change: OffsetEdit, start: number, end: number, startInside = false): boolean {
  if (change.length === 0) {
    return (startInside ? change.offset >= start : change.offset > start) && change.offset < end;
  }
  return change.offset < end && change.offset + change.length > start;
}
