/**
 * What the editor shows for a pending edit, as offsets and commands: the decorated ranges and the
 * CodeLens rows. Pure; the adapter turns offsets into positions and runs the commands.
 */
import { BORA_COMMANDS } from "../commandIds.js";
import type { PendingView } from "./pendingEdit.js";

/** Context keys the keybindings use (package.json), set for the active editor. */
export const PENDING_KEY = "bora.inlineEdit.pending";
export const STREAMING_KEY = "bora.inlineEdit.streaming";

export interface Lens {
  /** Offset of the line the lens sits above. */
  offset: number;
  title: string;
  command: string;
  args: unknown[];
}

/** Key labels for the lens titles, by platform. */
export function keyLabels(mac: boolean): { accept: string; reject: string } {
  return mac ? { accept: "⌘Enter", reject: "Esc" } : { accept: "Ctrl+Enter", reject: "Esc" };
}

/**
 * Above each decided-able hunk: Accept and Reject for it; above the first, Accept All and Reject All;
 * an incomplete edit says so on the first hunk.
 */
export function lensesFor(uri: string, view: PendingView, mac = false): Lens[] {
  const keys = keyLabels(mac);
  const hunks = view.hunks.filter((hunk) => !hunk.open);
  const lenses: Lens[] = [];
  hunks.forEach((hunk, index) => {
    const offset = hunk.green[1] > hunk.green[0] ? hunk.green[0] : hunk.red[0];
    if (index === 0) {
      if (view.incomplete !== undefined) {
        lenses.push({ offset, title: `$(warning) incomplete — ${view.incomplete}`, command: "", args: [] });
      }
      if (hunks.length > 1) {
        lenses.push(
          { offset, title: "Accept All", command: BORA_COMMANDS.acceptEdit.id, args: [uri] },
          { offset, title: "Reject All", command: BORA_COMMANDS.rejectEdit.id, args: [uri] },
        );
      }
    }
    lenses.push(
      { offset, title: `Accept (${keys.accept})`, command: BORA_COMMANDS.acceptHunk.id, args: [uri, hunk.id] },
      { offset, title: `Reject (${keys.reject})`, command: BORA_COMMANDS.rejectHunk.id, args: [uri, hunk.id] },
    );
  });
  return lenses;
}

/** The ranges each decoration covers. */
export interface DecorationRanges {
  green: [number, number][];
  red: [number, number][];
  unverified: [number, number][];
}

export function decorationRanges(view: PendingView): DecorationRanges {
  const nonEmpty = (range: [number, number]): boolean => range[1] > range[0];
  return {
    green: view.hunks.map((hunk) => hunk.green).filter(nonEmpty),
    red: view.hunks.map((hunk) => hunk.red).filter(nonEmpty),
    unverified: view.unverified && nonEmpty(view.unverified) ? [view.unverified] : [],
  };
}

/**
 * The lines a whole-line decoration of [start, end) covers: a range that ends at the start of a
 * line does not take that line.
 */
export function coveredLines(start: { line: number }, end: { line: number; character: number }): [number, number] {
  const last = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
  return [start.line, last];
}
