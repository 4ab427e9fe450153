/**
 * The pending inline edit of one document: the proposal shown in the real buffer while it streams
 * and until each hunk is decided. Pure (no `vscode` import), so every rule is tested without VS Code.
 *
 * Layout in the buffer, per hunk: the proposed ("green") lines, then the original ("red") lines they
 * replace; original lines the stream has not reached yet ("unverified") follow the last hunk.
 * Every document change goes through `onChange`, Bora's own and the user's alike, and the model says
 * what Bora must apply next through `nextEdit`, so the adapter is a loop:
 * `nextEdit` → `workspace.applyEdit` → change event → `onChange` → `nextEdit`.
 *
 * When the stream ends, the hunks the streaming walk drew are redrawn as a minimal line diff in one
 * edit, if that marks fewer lines and nothing touched the region meanwhile (the walk decides each
 * line as it arrives and sometimes marks unchanged lines; see `lineDiff.ts`).
 *
 * Invariant that keeps the user's text safe: a pending hunk's green range holds only text Bora
 * inserted, and its red range only original text. A user change that touches either decides the
 * hunk at once (red: rejected, green: adopted), so Bora only ever deletes its own text or original
 * text the user did not touch, and never moves anything the user typed.
 */
import { StreamingLineDiff, type DiffEvent } from "./streamingDiff.js";
import { hasEol, splitLines } from "./lines.js";
import { changedLines, commonEnds, minimalLineHunks } from "./lineDiff.js";
import { mapPosition, sequential, touches, type OffsetEdit } from "./offsets.js";

export type HunkState =
  | "open" // still receiving proposed lines
  | "pending" // complete, waiting for the user
  | "accepting" // accepted: its green lines go, then the proposal replaces the red lines
  | "rejecting" // rejected (by the user, or by their edit of the red lines): its green lines go next
  | "adopting" // the user edited its green lines; its red lines go next
  | "accepted"
  | "rejected"
  | "adopted"
  | "superseded"; // replaced by the minimal layout at the stream's end (see `relayout`)

export interface Hunk {
  readonly id: number;
  greenStart: number;
  greenEnd: number;
  redStart: number;
  redEnd: number;
  /** What replaces the red lines on accept. */
  proposed: string;
  /**
   * Characters at the end of the green range shown only so the proposed last line (which has no line
   * break: the file ends without one) does not run into the red line after it. Never part of `proposed`.
   */
  glue: number;
  state: HunkState;
  /** An accepted hunk's green lines are gone; the proposal goes in next. */
  greenRemoved: boolean;
  /** The stream stopped before this hunk's removed lines were known: it only inserts. */
  incomplete: boolean;
  /** The original lines its red range holds. */
  original: string;
}

/** Edits Bora applies in one `workspace.applyEdit` (one undo step): simultaneous, in current buffer offsets. */
export interface BoraEdit {
  edits: OffsetEdit[];
  /**
   * The text each edit replaces. VS Code reports an applied replacement as the smallest changes
   * that make it (replacing `a b c` by `a x c` comes back as `b` → `x`), so Bora knows its own
   * edit by what the reported changes make of this text.
   */
  replaced: string[];
  why: "stream" | "removeGreen" | "applyProposal" | "removeRed" | "relayout";
}

export interface ChangeInfo {
  /** The change is the user's undo or redo (`TextDocumentChangeEvent.reason`). */
  undoRedo?: boolean;
}

export interface ChangeOutcome {
  /** The change was the edit `nextEdit` offered. */
  ours: boolean;
  /** This change stopped the stream: the adapter cancels the request. */
  stoppedStream: boolean;
}

export interface HunkView {
  id: number;
  green: [number, number];
  red: [number, number];
  /** Still receiving lines: no Accept or Reject yet. */
  open: boolean;
  incomplete: boolean;
}

export interface PendingView {
  hunks: HunkView[];
  /** Original lines the stream has not reached yet. */
  unverified: [number, number] | undefined;
  /** The request still streams. */
  streaming: boolean;
  /** Why the proposal is incomplete (failed, cancelled, cut short), if it is. */
  incomplete: string | undefined;
}

type Op =
  | { kind: "diff"; event: DiffEvent }
  | { kind: "end"; incomplete: string | undefined }
  | { kind: "removeGreen"; hunks: Hunk[] }
  | { kind: "applyProposal"; hunks: Hunk[] }
  | { kind: "removeRed"; hunk: Hunk }
  | { kind: "relayout" };

/**
 * The stream's hunks redrawn as a minimal diff once the whole replacement is known: one edit of the
 * region, the hunks that replace the streamed ones, and what an Undo of that edit brings back.
 */
interface Relayout {
  /** Offsets relative to the region's start, as every offset here. */
  edit: OffsetEdit;
  /** The text the edit replaces. */
  replaced: string;
  streamed: Placed[];
  minimal: Placed[];
  /** The region's text laid out as streamed, and as relaid. */
  texts: [string, string];
}

/** A hunk (made when first shown) and where it sits in its layout: green start and end, red start and end. */
interface Placed {
  hunk: Hunk | undefined;
  proposed: string;
  original: string;
  at: [number, number, number, number];
}

const LIVE: readonly HunkState[] = ["open", "pending", "accepting", "rejecting", "adopting"];

export interface PendingEditOptions {
  /** Buffer offset of the range being rewritten. */
  regionStart: number;
  /** The range's text when the request was sent. */
  original: string;
  /** The document's line ending; the proposal's line endings are made this. */
  eol: string;
  /** The first hunk id; ids are unique per document when each edit starts after the last one's ids. Defaults to 1. */
  firstHunkId?: number;
}

export class PendingEdit {
  readonly eol: string;
  private readonly differ: StreamingLineDiff;
  private readonly all: Hunk[] = [];
  private open: Hunk | undefined;
  private queue: Op[] = [];
  private offered:
    { edit: BoraEdit; take: number; glue: number; lines: string; epoch: number; relayout?: Relayout } | undefined;
  /**
   * The relayout applied, while nothing else happened since: an Undo of it (or a Redo after that)
   * swaps the hunks back, so the model still matches the buffer.
   */
  private relaidOut: { relayout: Relayout; undone: boolean } | undefined;
  /** A user change touched the region, or a hunk was decided: the streamed layout is no longer Bora's alone to redraw. */
  private userTouched = false;
  /** Counts stops, so an insert offered before a stop and applied after it is known as such. */
  private epoch = 0;
  /** Lengths of the original lines the walk has not reached; `next` indexes the first. */
  private readonly lineLengths: number[];
  private next = 0;
  private unverifiedLength: number;
  private streamPos: number;
  private regionStartOffset: number;
  private regionEndOffset: number;
  private requestRunning = true;
  private incompleteReason: string | undefined;
  private received = "";
  private nextId: number;

  constructor(options: PendingEditOptions) {
    this.eol = options.eol;
    this.differ = new StreamingLineDiff(options.original, options.eol);
    this.lineLengths = this.differ.originalLines.map((line) => line.length);
    this.unverifiedLength = options.original.length;
    this.streamPos = options.regionStart;
    this.regionStartOffset = options.regionStart;
    this.regionEndOffset = options.regionStart + options.original.length;
    this.nextId = options.firstHunkId ?? 1;
  }

  // ---- the stream ----

  /** The next piece of the replacement from the host. Ignored once the stream stopped. */
  pushDelta(delta: string): void {
    if (!this.requestRunning) return;
    this.received += delta;
    this.enqueue(this.differ.push(delta));
  }

  /**
   * The request answered. `finalText` is the replacement from the answer, which the streamed text
   * should be a prefix of; `cutShort` when the model hit its token limit (then the original lines
   * not reached are kept, not removed).
   */
  finish(finalText?: string, cutShort = false): void {
    if (!this.requestRunning) return;
    if (finalText !== undefined && finalText.startsWith(this.received)) {
      this.pushDelta(finalText.slice(this.received.length));
    }
    this.requestRunning = false;
    if (cutShort) {
      this.differ.stop();
      this.queue.push({ kind: "end", incomplete: "cut short at the model's token limit" });
    } else {
      this.enqueue(this.differ.finish());
      this.queue.push({ kind: "end", incomplete: undefined }, { kind: "relayout" });
    }
  }

  /** The request failed or was cancelled: what arrived stays as pending hunks, marked incomplete. */
  fail(reason: string): void {
    if (!this.requestRunning) return;
    this.requestRunning = false;
    this.differ.stop();
    this.queue.push({ kind: "end", incomplete: reason });
  }

  /** The replacement text received so far (the whole of it once finished): a follow-up's `previous.text`. */
  get proposal(): string {
    return this.received;
  }

  get streaming(): boolean {
    return this.requestRunning;
  }

  get incomplete(): string | undefined {
    return this.incompleteReason;
  }

  /** The rewritten range in the current buffer. */
  get region(): [number, number] {
    return [this.regionStartOffset, this.regionEndOffset];
  }

  /** Nothing is left to show or to do: the stream ended and every hunk is decided and applied. */
  get settled(): boolean {
    return (
      !this.requestRunning &&
      this.queue.length === 0 &&
      this.open === undefined &&
      !this.all.some((hunk) => LIVE.includes(hunk.state))
    );
  }

  /** The highest hunk id used, so a follow-up edit of the same document continues after it. */
  get lastHunkId(): number {
    return this.nextId - 1;
  }

  // ---- decisions ----

  /** Accepts one pending hunk, or all of them: one undo step restores what they replaced. */
  accept(id?: number): void {
    const hunks = this.pendingHunks(id);
    if (hunks.length === 0) return;
    this.decided();
    for (const hunk of hunks) hunk.state = "accepting";
    this.queue.push({ kind: "removeGreen", hunks }, { kind: "applyProposal", hunks });
  }

  /** Rejects one pending hunk, or all of them: their green lines go, the original stays as it was. */
  reject(id?: number): void {
    const hunks = this.pendingHunks(id);
    if (hunks.length === 0) return;
    this.decided();
    for (const hunk of hunks) hunk.state = "rejecting";
    this.queue.push({ kind: "removeGreen", hunks });
  }

  /**
   * Stops a running stream now (Escape, a follow-up): lines received but not shown yet are dropped,
   * what is shown stays as pending hunks marked incomplete.
   */
  stop(reason: string): void {
    if (this.streamLive()) this.stopNow(reason);
  }

  private pendingHunks(id: number | undefined): Hunk[] {
    return this.all.filter((hunk) => hunk.state === "pending" && (id === undefined || hunk.id === id));
  }

  // ---- the loop ----

  /**
   * The edit Bora should apply now, or undefined when there is none. Steps that need no edit (the
   * walk over original lines, decisions with nothing to delete) are taken on the way.
   */
  nextEdit(): BoraEdit | undefined {
    this.offered = undefined;
    for (let op = this.queue[0]; op !== undefined; op = this.queue[0]) {
      switch (op.kind) {
        case "diff":
          if (op.event.kind === "insert") {
            this.offerInserts();
            return this.offered!.edit;
          }
          this.walk(op.event);
          break;
        case "end":
          this.endStream(op.incomplete);
          break;
        case "removeGreen": {
          const hunks = op.hunks.filter(greenToRemove).filter((hunk) => hunk.greenEnd > hunk.greenStart);
          const edits = hunks.map((hunk) => ({
            offset: hunk.greenStart,
            length: hunk.greenEnd - hunk.greenStart,
            text: "",
          }));
          const replaced = hunks.map((hunk) => hunk.proposed + (hunk.glue > 0 ? this.eol : ""));
          if (edits.length > 0) return this.offer({ edits, replaced, why: "removeGreen" });
          this.greenRemoved(op);
          break;
        }
        case "applyProposal": {
          const hunks = op.hunks.filter(
            (hunk) =>
              hunk.state === "accepting" && hunk.greenRemoved && (hunk.redEnd > hunk.redStart || hunk.proposed !== ""),
          );
          const edits = hunks.map((hunk) => ({
            offset: hunk.redStart,
            length: hunk.redEnd - hunk.redStart,
            text: hunk.proposed,
          }));
          const replaced = hunks.map((hunk) => hunk.original);
          if (edits.length > 0) return this.offer({ edits, replaced, why: "applyProposal" });
          this.proposalApplied(op);
          break;
        }
        case "relayout": {
          const relayout = this.userTouched ? undefined : this.planRelayout();
          if (relayout === undefined) {
            this.queue.shift();
            break;
          }
          const { offset, length, text } = relayout.edit;
          this.offer({
            edits: [{ offset: this.regionStartOffset + offset, length, text }],
            replaced: [relayout.replaced],
            why: "relayout",
          });
          this.offered!.relayout = relayout;
          return this.offered!.edit;
        }
        case "removeRed": {
          const hunk = op.hunk;
          if (hunk.state === "adopting" && hunk.redEnd > hunk.redStart) {
            // With its glue still there, the glue goes too: it was a line break shown only for display.
            const start = hunk.glue > 0 ? hunk.greenEnd - hunk.glue : hunk.redStart;
            return this.offer({
              edits: [{ offset: start, length: hunk.redEnd - start, text: "" }],
              replaced: [(hunk.glue > 0 ? this.eol : "") + hunk.original],
              why: "removeRed",
            });
          }
          if (hunk.state === "adopting") hunk.state = "adopted";
          this.queue.shift();
          break;
        }
      }
    }
    return undefined;
  }

  /**
   * A change of the document, as VS Code reports it (each change against the text the previous one
   * left). The edit `nextEdit` offered, when it matches; otherwise the user's.
   */
  onChange(changes: readonly OffsetEdit[], info: ChangeInfo = {}): ChangeOutcome {
    let offered = this.offered;
    this.offered = undefined;
    if (info.undoRedo && this.undoRelayout(changes)) return { ours: false, stoppedStream: false };
    if (offered === undefined || info.undoRedo) return this.userChanges(changes, info, false);
    // The user's change can reach us before the edit on offer, which VS Code may then still apply
    // (seen under load), or in the same event. A user change that does not touch the offered edit
    // moves it, so the offer is followed through each one before it and still known when it lands;
    // one that touches it makes a late arrival count as the user's (which stops the stream).
    for (let i = 0; i < changes.length; i++) {
      for (let j = changes.length; j > i; j--) {
        if (!makes(changes.slice(i, j), offered.edit)) continue;
        const before = this.userChanges(changes.slice(0, i), info, false);
        this.ownApplied(offered);
        const after = this.userChanges(changes.slice(j), info, false);
        return { ours: true, stoppedStream: before.stoppedStream || after.stoppedStream };
      }
      const moved = rebase(offered.edit, changes[i]!);
      if (moved === undefined) return this.userChanges(changes, info, false);
      offered = { ...offered, edit: moved };
    }
    // Not applied yet: it stays recognisable, at the offsets the user's changes moved it to.
    return this.userChanges(changes, info, true, offered);
  }

  /** The user's changes, in order; `keep` keeps `offered` on offer (moved through them). */
  private userChanges(
    changes: readonly OffsetEdit[],
    info: ChangeInfo,
    keep: boolean,
    offered?: NonNullable<PendingEdit["offered"]>,
  ): ChangeOutcome {
    let stoppedStream = false;
    for (const change of changes) stoppedStream = this.userChange(change, info) || stoppedStream;
    if (keep && offered !== undefined) this.offered = offered;
    return { ours: false, stoppedStream };
  }

  view(): PendingView {
    const hunks: HunkView[] = this.all
      .filter((hunk) => hunk.state === "open" || hunk.state === "pending")
      .map((hunk) => ({
        id: hunk.id,
        green: [hunk.greenStart, hunk.greenEnd],
        red: [hunk.redStart, hunk.redEnd],
        open: hunk.state === "open",
        incomplete: hunk.incomplete,
      }));
    return {
      hunks,
      unverified: this.unverifiedLength > 0 ? [this.streamPos, this.streamPos + this.unverifiedLength] : undefined,
      streaming: this.requestRunning,
      incomplete: this.incompleteReason,
    };
  }

  /** Every hunk with its state and ranges, for tests and logs. */
  hunks(): readonly Readonly<Hunk>[] {
    return this.all;
  }

  // ---- internals ----

  private enqueue(events: readonly DiffEvent[]): void {
    for (const event of events) this.queue.push({ kind: "diff", event });
  }

  private offer(edit: BoraEdit, take = 1, glue = 0, lines = ""): BoraEdit {
    this.offered = { edit, take, glue, lines, epoch: this.epoch };
    return edit;
  }

  /** Consecutive proposed lines go in as one edit, so a burst of lines costs one round trip. */
  private offerInserts(): void {
    // A hunk that already removes lines is complete; new lines start the next one.
    if (this.open !== undefined && this.open.redEnd > this.open.redStart) this.closeOpen();
    let lines = "";
    let take = 0;
    for (let op = this.queue[take]; op?.kind === "diff" && op.event.kind === "insert"; op = this.queue[++take]) {
      lines += op.event.line;
    }
    // Only the replacement's very last line can lack a line break; with original lines after it, it
    // needs one to stay a line of its own (the glue).
    const glue = !hasEol(lines) && lines !== "" && this.unverifiedLength > 0 ? this.eol.length : 0;
    const text = glue > 0 ? lines + this.eol : lines;
    this.offer(
      { edits: [{ offset: this.streamPos, length: 0, text }], replaced: [""], why: "stream" },
      take,
      glue,
      lines,
    );
  }

  /** A walk step over the original lines that changes nothing in the buffer. */
  private walk(event: DiffEvent): void {
    this.queue.shift();
    if (event.kind === "keep") {
      this.closeOpen();
      this.consume(1);
    } else if (event.kind === "remove") {
      const hunk = this.openHunk();
      const from = this.next;
      const length = this.consume(event.count);
      hunk.redEnd = hunk.redStart + length;
      hunk.original += this.differ.originalLines.slice(from, this.next).join("");
    }
    // "stop" needs nothing here: the end op that follows it says why.
  }

  private consume(count: number): number {
    let length = 0;
    for (let i = 0; i < count && this.next < this.lineLengths.length; i++) length += this.lineLengths[this.next++]!;
    this.streamPos += length;
    this.unverifiedLength -= length;
    return length;
  }

  private openHunk(): Hunk {
    if (this.open === undefined) {
      const at = this.streamPos;
      this.open = {
        id: this.nextId++,
        greenStart: at,
        greenEnd: at,
        redStart: at,
        redEnd: at,
        proposed: "",
        glue: 0,
        state: "open",
        greenRemoved: false,
        incomplete: false,
        original: "",
      };
      this.all.push(this.open);
    }
    return this.open;
  }

  private closeOpen(incomplete = false): void {
    const hunk = this.open;
    if (hunk === undefined) return;
    this.open = undefined;
    hunk.incomplete = incomplete;
    // Never shown when it changes nothing (a defensive check: the differ does not produce one).
    const nothing = hunk.greenEnd === hunk.greenStart && hunk.redEnd === hunk.redStart;
    hunk.state = nothing ? "rejected" : "pending";
  }

  private endStream(incomplete: string | undefined): void {
    this.queue.shift();
    this.closeOpen(incomplete !== undefined);
    this.incompleteReason ??= incomplete;
    // Original lines the stream did not reach stay as they are: plain text, no longer tracked.
    this.unverifiedLength = 0;
    this.next = this.lineLengths.length;
  }

  private greenRemoved(op: Extract<Op, { kind: "removeGreen" }>): void {
    this.queue.shift();
    for (const hunk of op.hunks) {
      if (!greenToRemove(hunk)) continue;
      hunk.greenEnd = hunk.greenStart;
      hunk.glue = 0;
      if (hunk.state === "accepting") hunk.greenRemoved = true;
      else hunk.state = "rejected";
    }
  }

  private proposalApplied(op: Extract<Op, { kind: "applyProposal" }>): void {
    this.queue.shift();
    for (const hunk of op.hunks) if (hunk.state === "accepting" && hunk.greenRemoved) hunk.state = "accepted";
  }

  private ownApplied(offered: NonNullable<PendingEdit["offered"]>): void {
    const { edit } = offered;
    if (edit.why === "relayout") {
      this.queue.shift();
      // Typing before the region, which moved the offer, moved the region's start the same way.
      const relayout = offered.relayout!;
      // Accept All or Reject All while the edit was on its way: the same for the hunks that replace them.
      const states = new Set(relayout.streamed.map((placed) => placed.hunk!.state));
      this.showLayout(relayout, true);
      const [decision] = states;
      if (states.size === 1 && (decision === "accepting" || decision === "rejecting")) {
        if (decision === "accepting") this.accept();
        else this.reject();
        return;
      }
      this.relaidOut = { relayout, undone: false };
      return;
    }
    // Simultaneous edits, mapped from the last to the first so each offset is still valid.
    const changes = sequential(edit.edits);
    if (edit.why === "stream") {
      const change = edit.edits[0]!;
      for (const c of changes) this.mapAll(c, true);
      const hunk = this.openHunk();
      hunk.greenStart = Math.min(hunk.greenStart, change.offset);
      hunk.greenEnd = change.offset + change.text.length;
      hunk.redStart = hunk.redEnd = hunk.greenEnd;
      hunk.proposed += offered.lines;
      hunk.glue = offered.glue;
      this.streamPos = hunk.greenEnd;
      if (offered.epoch === this.epoch) this.queue.splice(0, offered.take);
      // Offered before a stop, applied after it: the lines are shown, so they are a hunk like the others.
      else this.closeOpen(true);
      return;
    }
    for (const c of changes) this.mapAll(c, true);
    const op = this.queue[0]!;
    if (op.kind === "removeGreen") this.greenRemoved(op);
    else if (op.kind === "applyProposal") this.proposalApplied(op);
    else if (op.kind === "removeRed") {
      op.hunk.state = "adopted";
      this.queue.shift();
    }
  }

  // ---- the relayout at the stream's end ----

  /** A hunk was decided: the layout the user is looking at stays as it is. */
  private decided(): void {
    this.userTouched = true;
    this.relaidOut = undefined;
  }

  /**
   * The streamed hunks redrawn as a minimal line diff, when that marks fewer lines changed and the
   * region still holds exactly what Bora laid out (no user change touched it, nothing decided).
   * Undefined when there is nothing to gain, or anything does not add up (then the streamed layout,
   * which is correct, only bigger, stays).
   */
  private planRelayout(): Relayout | undefined {
    const original = this.differ.originalLines;
    // A last line without a line break needs glue to sit before red lines: not worth the risk.
    if (original.length === 0 || !hasEol(original.at(-1)!) || this.incompleteReason !== undefined) return undefined;
    const live = this.all.filter((hunk) => LIVE.includes(hunk.state));
    if (live.some((hunk) => hunk.state !== "pending" || hunk.glue > 0)) return undefined;
    const base = this.regionStartOffset;
    const streamed = [...live].sort((a, b) => a.greenStart - b.greenStart);

    // Walk the region as laid out: kept original lines, and per hunk its proposal then its original lines.
    let pos = base;
    let next = 0;
    let layout = "";
    let streamedChanged = 0;
    const proposed: string[] = [];
    const originalUpTo = (end: number, into: string[] | undefined): number | undefined => {
      let count = 0;
      while (pos < end) {
        const line = original[next++];
        if (line === undefined) return undefined;
        pos += line.length;
        layout += line;
        into?.push(line);
        count++;
      }
      return pos === end ? count : undefined;
    };
    for (const hunk of streamed) {
      if (originalUpTo(hunk.greenStart, proposed) === undefined) return undefined;
      if (hunk.greenEnd - hunk.greenStart !== hunk.proposed.length || hunk.redStart !== hunk.greenEnd) return undefined;
      const green = splitLines(hunk.proposed);
      proposed.push(...green);
      layout += hunk.proposed;
      pos = hunk.greenEnd;
      const removed = originalUpTo(hunk.redEnd, undefined);
      if (removed === undefined) return undefined;
      streamedChanged += green.length + removed;
    }
    if (originalUpTo(this.regionEndOffset, proposed) === undefined || next !== original.length) return undefined;

    const hunks = minimalLineHunks(original, proposed);
    if (hunks === undefined || changedLines(hunks) >= streamedChanged) return undefined;
    let relaid = "";
    let line = 0;
    const minimal: Placed[] = [];
    for (const hunk of hunks) {
      while (line < hunk.start) relaid += original[line++];
      const greenStart = relaid.length;
      const text = hunk.inserted.join("");
      relaid += text;
      const redStart = relaid.length;
      while (line < hunk.end) relaid += original[line++];
      minimal.push({
        hunk: undefined,
        proposed: text,
        original: relaid.slice(redStart),
        at: [greenStart, redStart, redStart, relaid.length],
      });
    }
    while (line < original.length) relaid += original[line++];

    // One edit: what differs between the two layouts, their common start and end left alone.
    const [head, tail] = commonEnds(layout, relaid);
    const from = layout.slice(head, layout.length - tail);
    const to = relaid.slice(head, relaid.length - tail);
    return {
      edit: { offset: head, length: from.length, text: to },
      replaced: from,
      streamed: streamed.map((hunk) => ({
        hunk,
        proposed: hunk.proposed,
        original: hunk.original,
        at: [hunk.greenStart - base, hunk.greenEnd - base, hunk.redStart - base, hunk.redEnd - base],
      })),
      minimal,
      texts: [layout, relaid],
    };
  }

  /** Shows one of a relayout's two sets of hunks (`minimal`, or the streamed ones after an Undo) at the region's start. */
  private showLayout(relayout: Relayout, minimal: boolean): void {
    const base = this.regionStartOffset;
    const [shown, hidden] = minimal ? [relayout.minimal, relayout.streamed] : [relayout.streamed, relayout.minimal];
    for (const { hunk } of hidden) if (hunk !== undefined) hunk.state = "superseded";
    for (const placed of shown) {
      const [greenStart, greenEnd, redStart, redEnd] = placed.at.map((offset) => base + offset) as Placed["at"];
      if (placed.hunk === undefined) {
        placed.hunk = {
          id: this.nextId++,
          greenStart,
          greenEnd,
          redStart,
          redEnd,
          proposed: placed.proposed,
          glue: 0,
          state: "pending",
          greenRemoved: false,
          incomplete: false,
          original: placed.original,
        };
        this.all.push(placed.hunk);
      }
      Object.assign(placed.hunk, { greenStart, greenEnd, redStart, redEnd, state: "pending" });
    }
    this.regionEndOffset = base + relayout.texts[minimal ? 1 : 0].length;
  }

  /**
   * An Undo (or a Redo after it) of the relayout, while nothing else happened since: the other
   * layout's hunks are shown. Recognised by what the change makes of the region's text, however
   * VS Code reports it.
   */
  private undoRelayout(changes: readonly OffsetEdit[]): boolean {
    const done = this.relaidOut;
    if (done === undefined) return false;
    const [streamedText, relaidText] = done.relayout.texts;
    let text = done.undone ? streamedText : relaidText;
    for (const change of changes) {
      const at = change.offset - this.regionStartOffset;
      if (at < 0 || at + change.length > text.length) return false;
      text = text.slice(0, at) + change.text + text.slice(at + change.length);
    }
    if (text !== (done.undone ? relaidText : streamedText)) return false;
    done.undone = !done.undone;
    this.showLayout(done.relayout, !done.undone);
    return true;
  }

  /** Decides what the user's change means, then moves every tracked offset through it. Returns whether it stopped the stream. */
  private userChange(change: OffsetEdit, info: ChangeInfo): boolean {
    if (change.offset <= this.regionEndOffset && change.offset + change.length >= this.regionStartOffset) {
      this.userTouched = true;
      this.relaidOut = undefined;
    }
    const rejected: Hunk[] = [];
    const adopted: Hunk[] = [];
    for (const hunk of this.all) {
      const red = hunk.redEnd > hunk.redStart && touches(change, hunk.redStart, hunk.redEnd, true);
      const green = hunk.greenEnd > hunk.greenStart && touches(change, hunk.greenStart, hunk.greenEnd);
      switch (hunk.state) {
        case "pending":
          if (red || (green && info.undoRedo)) rejected.push(hunk);
          else if (green) {
            if (hunk.glue > 0 && touches(change, hunk.greenEnd - hunk.glue, hunk.greenEnd)) hunk.glue = 0;
            adopted.push(hunk);
          }
          break;
        case "accepting":
          // The proposal was to replace these lines; the user changed them first, and their text wins.
          if (red) hunk.state = hunk.greenRemoved ? "rejected" : "rejecting";
          else if (green && !hunk.greenRemoved) adopted.push(hunk);
          break;
        case "rejecting":
          // The green lines were to go, but now hold the user's text: they stay, as plain text.
          if (green) hunk.state = "rejected";
          break;
        case "adopting":
          // The red lines were to go; the user changed them first, so they stay with the user's text.
          if (red) hunk.state = "adopted";
          break;
      }
    }

    let stopped = false;
    if (this.streamLive()) {
      const open = this.open;
      const openTouched = open !== undefined && touches(change, open.greenStart, open.greenEnd);
      const unverifiedTouched =
        this.unverifiedLength > 0 &&
        (touches(change, this.streamPos, this.streamPos + this.unverifiedLength, true) ||
          // Joining the line before onto the first unverified line would put later lines mid-line.
          (change.length > 0 && change.offset + change.length === this.streamPos));
      if (openTouched || unverifiedTouched || info.undoRedo) {
        stopped = true;
        this.stopNow(info.undoRedo ? "stopped by undo" : "stopped: you edited the lines being rewritten");
        if (open !== undefined && openTouched) {
          // The open hunk was just closed; the user's change decides it like any other.
          if (info.undoRedo) rejected.push(open);
          else adopted.push(open);
        }
      }
    }

    for (const hunk of this.all) this.mapHunk(hunk, change, false);
    this.mapCursors(change, false);

    for (const hunk of rejected) {
      if (hunk.state !== "pending") continue;
      hunk.state = "rejecting";
      this.queue.push({ kind: "removeGreen", hunks: [hunk] });
    }
    for (const hunk of adopted) {
      if (hunk.state !== "pending" && hunk.state !== "accepting") continue;
      hunk.state = "adopting";
      this.queue.push({ kind: "removeRed", hunk });
    }
    return stopped;
  }

  /** The stream can still change the buffer: proposed lines or walk steps are to come. */
  private streamLive(): boolean {
    return this.requestRunning || this.queue.some((op) => op.kind === "diff" || op.kind === "end");
  }

  /** Stops the stream now (not queued): the user's change made the rest of the walk meaningless. */
  private stopNow(reason: string): void {
    this.epoch++;
    this.queue = this.queue.filter((op) => op.kind !== "diff" && op.kind !== "end");
    if (this.requestRunning) {
      this.requestRunning = false;
      this.differ.stop();
    }
    this.closeOpen(true);
    this.incompleteReason ??= reason;
    this.unverifiedLength = 0;
    this.next = this.lineLengths.length;
  }

  private mapAll(change: OffsetEdit, own: boolean): void {
    for (const hunk of this.all) this.mapHunk(hunk, change, own);
    this.mapCursors(change, own);
  }

  private mapHunk(hunk: Hunk, change: OffsetEdit, _own: boolean): void {
    if (!LIVE.includes(hunk.state)) return;
    const emptyRed = hunk.redStart === hunk.redEnd;
    hunk.greenStart = mapPosition(hunk.greenStart, change, "after");
    hunk.greenEnd = Math.max(hunk.greenStart, mapPosition(hunk.greenEnd, change, "before"));
    // An empty red range stays with its green lines, so proposals of neighbouring hunks keep their order.
    hunk.redStart = mapPosition(hunk.redStart, change, emptyRed ? "before" : "after");
    hunk.redEnd = Math.max(hunk.redStart, mapPosition(hunk.redEnd, change, "before"));
  }

  /**
   * Bora's own edits lie inside the region, so the stream position and the region's end move past
   * them; the user's text typed right at either stays outside (after the region, after the stream).
   */
  private mapCursors(change: OffsetEdit, own: boolean): void {
    this.streamPos = mapPosition(this.streamPos, change, own ? "after" : "before");
    this.regionStartOffset = mapPosition(this.regionStartOffset, change, own ? "before" : "after");
    this.regionEndOffset = Math.max(
      this.regionStartOffset,
      mapPosition(this.regionEndOffset, change, own ? "after" : "before"),
    );
  }
}

/** Whether the hunk's green lines are to be removed now (rejected, or accepted and not yet removed). */
function greenToRemove(hunk: Hunk): boolean {
  return hunk.state === "rejecting" || (hunk.state === "accepting" && !hunk.greenRemoved);
}

/**
 * The offered edit moved through a user change that lies wholly before or after it, or undefined
 * when the change touches (or borders) any part of it: then the offer no longer stands.
 */
function rebase(edit: BoraEdit, change: OffsetEdit): BoraEdit | undefined {
  const changeEnd = change.offset + change.length;
  const edits: OffsetEdit[] = [];
  for (const e of edit.edits) {
    if (change.offset <= e.offset + e.length && e.offset <= changeEnd) return undefined;
    edits.push(changeEnd < e.offset ? { ...e, offset: e.offset + change.text.length - change.length } : e);
  }
  return { ...edit, edits };
}

/**
 * Whether `changes` (as VS Code reports them, each against the text the previous one left) make
 * exactly `edit`: every change falls inside one of its ranges, and what they make of the text
 * those ranges held is the edit's new text, range by range.
 */
function makes(changes: readonly OffsetEdit[], edit: BoraEdit): boolean {
  const order = edit.edits.map((_, i) => i).sort((a, b) => edit.edits[a]!.offset - edit.edits[b]!.offset);
  const starts = order.map((i) => edit.edits[i]!.offset);
  const texts = order.map((i) => edit.replaced[i] ?? "");
  if (order.some((i, k) => texts[k]!.length !== edit.edits[i]!.length)) return false;
  for (const change of changes) {
    const k = starts.findIndex(
      (start, at) => change.offset >= start && change.offset + change.length <= start + texts[at]!.length,
    );
    if (k === -1) return false;
    const at = change.offset - starts[k]!;
    texts[k] = texts[k]!.slice(0, at) + change.text + texts[k]!.slice(at + change.length);
    for (let later = k + 1; later < starts.length; later++) starts[later]! += change.text.length - change.length;
  }
  return order.every((i, k) => texts[k] === edit.edits[i]!.text);
}
