/**
 * Turns a streamed replacement into line hunks while it streams. Complete lines of the replacement
 * are matched greedily against the original lines, looking a bounded number of lines ahead, so that
 * one inserted or deleted line does not make everything after it "changed"; the last, incomplete line
 * waits for its end. No `vscode` import: the pending-edit model feeds it, and tests drive it alone.
 *
 * The events describe a walk over the original lines: `insert` puts a proposed line before the
 * current original line, `keep` confirms the current original line unchanged, `remove` drops the
 * next original lines (always after the inserts of the same hunk and before a `keep` or the end), and
 * `stop` says the stream ended early: what was not reached stays as it is.
 */
import { hasEol, lineContent, splitLines } from "./lines.js";

export type DiffEvent =
  { kind: "insert"; line: string } | { kind: "keep" } | { kind: "remove"; count: number } | { kind: "stop" };

/**
 * How far ahead in the original a proposed line is looked for. A match further down removes the
 * original lines in between; 40 lines covers a deleted function body, and a block deleted beyond it
 * still comes out right, only as a bigger hunk (removed and inserted) instead of a pure removal.
 */
export const MATCH_LOOKAHEAD_LINES = 40;

/**
 * Lines too common to mean "the model skipped to here" (blank, braces, `end`): they match no further
 * down than the lines inserted since the last match (a changed line followed by `}` is still a
 * change of one line), or a `}` would swallow the lines before it.
 */
function isTrivial(line: string): boolean {
  const content = lineContent(line).trim();
  return content.length < 4 || !/[\p{L}\p{N}]/u.test(content);
}

/**
 * Proposed lines that must go on matching the original, line for line, before a match is taken
 * that removes more original lines than were inserted since the last match. One line that happens to
 * equal a line further down (`const x = f(a);` in a new block that copies an old one) otherwise
 * removes everything between as "changed" and shows it again as inserted: on 1,006 file edits from
 * this repository's history, the greedy walk marked 46% more lines changed than a minimal diff.
 * The held lines show one or two lines later while they are confirmed.
 */
export const CONFIRM_SKIP_LINES = 2;

export class StreamingLineDiff {
  private readonly original: string[];
  /** The next original line not yet kept or removed. */
  private cursor = 0;
  /** Lines inserted since the last match. */
  private inserted = 0;
  /** Proposed lines matching `original[heldAt…]`, waiting for `CONFIRM_SKIP_LINES` to confirm the skip. */
  private held: string[] = [];
  private heldAt = 0;
  /** Text received and not yet a complete line (or, see `holdLast`, the last complete line). */
  private pending = "";
  private ended = false;
  /**
   * When the original does not end with a line break (a range at the end of a file without a final
   * newline), the replacement's last line must not get one either; the line is held until more text
   * follows or the stream ends, so its ending is known before it is shown.
   */
  private readonly holdLast: boolean;
  /** An empty original (insert at the cursor) keeps the replacement verbatim at the end. */
  private readonly insertOnly: boolean;

  constructor(
    original: string,
    private readonly eol: string,
  ) {
    this.original = splitLines(original);
    this.insertOnly = original === "";
    this.holdLast = !this.insertOnly && !hasEol(original);
  }

  /** The number of original lines, and their texts, for the model that walks them. */
  get originalLines(): readonly string[] {
    return this.original;
  }

  /** Feeds the next piece of the replacement; returns what it settles. */
  push(delta: string): DiffEvent[] {
    if (this.ended) return [];
    this.pending += delta;
    const events: DiffEvent[] = [];
    for (;;) {
      const newline = this.pending.indexOf("\n");
      if (newline === -1) break;
      // Held back until something follows it: it might be the last line (see `holdLast`).
      if (this.holdLast && newline === this.pending.length - 1) break;
      const content = this.pending.slice(0, newline).replace(/\r$/, "");
      this.pending = this.pending.slice(newline + 1);
      this.line(content + this.eol, events);
    }
    return events;
  }

  /** The stream ended normally: the last line is settled and unmatched original lines are removed. */
  finish(): DiffEvent[] {
    if (this.ended) return [];
    const events: DiffEvent[] = [];
    let rest = this.pending.replace(/\r?\n/g, this.eol);
    this.pending = "";
    if (this.holdLast) {
      // The original ends without a line break, so the replacement does too.
      if (rest.endsWith(this.eol)) rest = rest.slice(0, -this.eol.length);
      for (const line of splitLines(rest)) this.line(line, events);
    } else if (rest !== "") {
      // Whole-line ranges end with a line break; a replacement that forgot its last one gets it, or
      // the line after the range would be joined onto it. An insert keeps the text as it came.
      this.line(this.insertOnly || hasEol(rest) ? rest : rest + this.eol, events);
    }
    // The stream ended while they matched: as confirmed as they can be.
    this.take(events);
    this.ended = true;
    const left = this.original.length - this.cursor;
    if (left > 0) events.push({ kind: "remove", count: left });
    this.cursor = this.original.length;
    return events;
  }

  /** The stream ended early (failed, cancelled, cut short): nothing more is settled. */
  stop(): DiffEvent[] {
    if (this.ended) return [];
    this.ended = true;
    this.pending = "";
    // What arrived is shown; after a stop nothing is removed, so held lines are inserts.
    const events: DiffEvent[] = this.held.map((line) => ({ kind: "insert", line }));
    this.held = [];
    events.push({ kind: "stop" });
    return events;
  }

  private line(line: string, events: DiffEvent[]): void {
    if (this.held.length > 0) {
      if (this.original[this.heldAt + this.held.length] === line) {
        this.held.push(line);
        if (this.held.length > this.confirmNeeded(this.heldAt)) this.take(events);
        return;
      }
      // Not confirmed: the first held line is new, and the others are walked again from here.
      const [first, ...rest] = this.held;
      this.held = [];
      this.insert(first!, events);
      for (const again of [...rest, line]) this.line(again, events);
      return;
    }
    const match = this.find(line);
    if (match === undefined) return this.insert(line, events);
    if (match - this.cursor > this.inserted && this.confirmNeeded(match) > 0) {
      this.held = [line];
      this.heldAt = match;
      return;
    }
    this.keep(match, events);
  }

  /** Lines after the one matching `original[at]` that must match too; fewer near the original's end. */
  private confirmNeeded(at: number): number {
    return Math.min(CONFIRM_SKIP_LINES, this.original.length - at - 1);
  }

  /** Takes the held match: the original lines before it are removed, the held ones kept. */
  private take(events: DiffEvent[]): void {
    const held = this.held.length;
    if (held === 0) return;
    this.held = [];
    this.keep(this.heldAt, events);
    for (let i = 1; i < held; i++) this.keep(this.cursor, events);
  }

  private insert(line: string, events: DiffEvent[]): void {
    events.push({ kind: "insert", line });
    this.inserted++;
  }

  /** Confirms `original[match]`, removing the original lines before it that were not reached. */
  private keep(match: number, events: DiffEvent[]): void {
    this.inserted = 0;
    if (match > this.cursor) events.push({ kind: "remove", count: match - this.cursor });
    events.push({ kind: "keep" });
    this.cursor = match + 1;
  }

  /** The original line this proposed line confirms, if any. */
  private find(line: string): number | undefined {
    const last = Math.min(
      this.original.length,
      this.cursor + 1 + (isTrivial(line) ? this.inserted : MATCH_LOOKAHEAD_LINES),
    );
    for (let i = this.cursor; i < last; i++) if (this.original[i] === line) return i;
    return undefined;
  }
}

/** A hunk in original-line terms: what the whole replacement does to lines [start, end). For tests and logs. */
export interface LineHunk {
  start: number;
  end: number;
  inserted: string[];
}

/** Folds events into hunks (inserts and removals between two keeps). */
export function hunksOf(events: readonly DiffEvent[]): LineHunk[] {
  const hunks: LineHunk[] = [];
  let cursor = 0;
  let open: LineHunk | undefined;
  const close = (): void => {
    if (open !== undefined) hunks.push(open);
    open = undefined;
  };
  for (const event of events) {
    if (event.kind === "keep") {
      close();
      cursor++;
    } else if (event.kind === "stop") {
      close();
    } else {
      open ??= { start: cursor, end: cursor, inserted: [] };
      if (event.kind === "insert") open.inserted.push(event.line);
      else {
        cursor += event.count;
        open.end = cursor;
      }
    }
  }
  close();
  return hunks;
}
