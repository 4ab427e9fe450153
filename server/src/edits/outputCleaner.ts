/**
 * Turns what an edit model writes into the replacement text, while it streams. Models asked for
 * "the replacement only" still wrap it in markdown fences, open with "Here is the updated code:",
 * close with a sentence about what they changed, drop the selection's base indentation, indent with
 * spaces in a file that uses tabs, or add and lose final newlines. The client shows the deltas live
 * as a diff, so they must already be clean: `StreamingCleaner` holds back only what it cannot decide
 * yet (a first line that may be a fence or a preamble, a line that may be a closing fence, a line's
 * leading whitespace, trailing newlines) and emits the rest at once. Pure: no engine, no LSP.
 *
 * The pipeline, each stage fed by the one before:
 * 1. `Unwrapper`: fences and chatter around the code;
 * 2. `Reindenter`: the original's base indentation and tabs-or-spaces;
 * 3. `TailKeeper`: the original's final-newline state;
 * and then the document's line ending.
 */

/** What the cleaner needs to know of the text being replaced. */
export interface CleanerTarget {
  /** The selected text (empty for an insert), with the document's line endings. */
  original: string;
  /**
   * The document's text on the range's first line before the range. When it is only whitespace,
   * the replacement's first line must not repeat it; when it is empty, the replacement's first
   * line carries the indentation itself. Defaults to empty (the range starts at column 0).
   */
  linePrefix?: string;
  /**
   * For an insert (empty `original`): the indentation of the code around the cursor, which the
   * inserted lines take when the model leaves it out. Defaults to what `original` shows.
   */
  baseIndent?: string;
  /** Whether the replacement ends with a newline. Defaults to whether `original` does. */
  trailingNewline?: boolean;
  /** The document's line ending. Defaults to the one `original` uses, else `\n`. */
  eol?: "\n" | "\r\n";
}

/** Columns of a tab when widths are compared; an indentation unit of this many spaces is one tab. */
const TAB_COLUMNS = 4;

/** A line that opens or closes a fence: three or more backticks or tildes, and an optional info string. */
const FENCE_LINE = /^\s*(`{3,}|~{3,})\s*([^`\s]*)\s*$/;

/**
 * How preambles begin ("Sure! Here is the updated code:"). A first line that starts like this and
 * does not end like code is chatter when a fence or nothing but code follows it.
 */
const CHATTER_OPENERS = [
  "sure",
  "certainly",
  "of course",
  "okay",
  "ok",
  "alright",
  "here's",
  "here is",
  "here are",
  "below is",
  "the updated",
  "the modified",
  "the revised",
  "the rewritten",
  "the refactored",
  "the corrected",
  "the fixed",
  "the new",
  "this is",
  "this version",
  "i've",
  "i have",
  "i updated",
  "i changed",
  "i rewrote",
  "i made",
  "updated code",
  "modified code",
];

/** Characters a line of code ends with, and prose does not. */
const CODE_ENDING = /[;{}()[\],=+\-*/<>&|]$/;

function isFenceLine(line: string): RegExpExecArray | null {
  return FENCE_LINE.exec(line);
}

/** Whether a line read so far (no newline yet) may still turn out to be a fence line. */
function mayBeFence(partial: string): boolean {
  const t = partial.trimStart();
  if (t === "") return true;
  if (/^(`{3,}|~{3,})/.test(t)) return true;
  return /^(`{1,2}|~{1,2})$/.test(t);
}

function chatterMatch(text: string): "yes" | "maybe" | "no" {
  const t = text.trimStart().toLowerCase();
  if (t === "") return "maybe";
  for (const opener of CHATTER_OPENERS) {
    if (t.startsWith(opener)) {
      const next = t.charAt(opener.length);
      // "ok" must be a word of its own: `okButton` is code.
      if (next === "" || /[^a-z0-9_]/.test(next)) return "yes";
    } else if (opener.startsWith(t)) return "maybe";
  }
  return "no";
}

/** A complete first line that reads like a preamble, not like code. */
function isChatterLine(line: string): boolean {
  const t = line.trim();
  return chatterMatch(t) === "yes" && !CODE_ENDING.test(t) && !/[=;{}]/.test(t);
}

/** Whether any line of `text` is a fence line (then fences in the output may be content). */
function hasFenceLine(text: string): boolean {
  return text.split("\n").some((line) => isFenceLine(line) !== null);
}

/**
 * Stage 1: drops the fences around the code, a preamble before them and whatever follows the
 * closing fence. Works on `\n` text, one line at a time; within a line it emits as soon as the line
 * cannot be a fence any more.
 */
class Unwrapper {
  private mode: "start" | "chatter" | "fenced" | "plain" | "done" = "start";
  /** Text not yet decided, from the start of the current line (or of the held preamble). */
  private pending = "";
  /** Blank lines before the first decided line. */
  private heldBlankLines = 0;
  /** The preamble line held in `chatter` mode, without its newline. */
  private chatterLine = "";
  /** Backticks or tildes of the opening fence; a closing fence needs at least as many. */
  private fence = "";
  /** Fences opened inside the code (a markdown file's own code blocks). */
  private innerFences = 0;
  /** Whether the current line was already found not to be a fence (its rest streams through). */
  private lineDecided = false;

  constructor(
    private readonly originalHasFences: boolean,
    private readonly originalStartsWithFence: boolean,
    private readonly originalLeadingNewlines: number,
  ) {}

  push(text: string): string {
    this.pending += text;
    return this.drain(false);
  }

  finish(): string {
    return this.drain(true);
  }

  private drain(final: boolean): string {
    let out = "";
    for (;;) {
      const before = `${this.mode}:${this.pending.length}`;
      switch (this.mode) {
        case "done":
          this.pending = "";
          return out;
        case "start":
          out += this.start(final);
          break;
        case "chatter":
          out += this.chatter(final);
          break;
        case "fenced":
        case "plain":
          out += this.body(final);
          break;
      }
      // Nothing moved: wait for more text (or, when final, everything has been decided).
      if (`${this.mode}:${this.pending.length}` === before) return out;
    }
  }

  private leadingBlanks(): string {
    const kept = Math.min(this.heldBlankLines, this.originalLeadingNewlines);
    this.heldBlankLines = 0;
    return "\n".repeat(kept);
  }

  private start(final: boolean): string {
    const newline = this.pending.indexOf("\n");
    if (newline < 0) {
      const partial = this.pending;
      const fenceUndecided = mayBeFence(partial) && !this.originalStartsWithFence;
      if (!final && (fenceUndecided || chatterMatch(partial) !== "no")) return "";
      if (final && partial.trim() === "") {
        this.pending = "";
        this.mode = "done";
        return "";
      }
      this.mode = "plain";
      return this.leadingBlanks();
    }
    const line = this.pending.slice(0, newline);
    if (line.trim() === "") {
      this.heldBlankLines++;
      this.pending = this.pending.slice(newline + 1);
      return "";
    }
    const fence = isFenceLine(line);
    if (fence !== null && !this.originalStartsWithFence) {
      this.fence = fence[1]!;
      this.pending = this.pending.slice(newline + 1);
      this.mode = "fenced";
      return this.leadingBlanks();
    }
    if (isChatterLine(line)) {
      this.chatterLine = line;
      this.pending = this.pending.slice(newline + 1);
      this.mode = "chatter";
      return "";
    }
    this.mode = "plain";
    return this.leadingBlanks();
  }

  /** After a preamble: a fence means it was chatter; code right after a line ending in ':' too. */
  private chatter(final: boolean): string {
    const trimmed = this.pending.replace(/^(\s*\n)+/, "");
    const newline = trimmed.indexOf("\n");
    const next = newline < 0 ? trimmed : trimmed.slice(0, newline);
    if (newline < 0 && !final && (trimmed === "" || mayBeFence(next))) return "";
    const fence = newline >= 0 ? isFenceLine(next) : null;
    if (fence !== null) {
      this.fence = fence[1]!;
      this.pending = trimmed.slice(newline + 1);
      this.heldBlankLines = 0;
      this.mode = "fenced";
      return "";
    }
    if (this.chatterLine.trimEnd().endsWith(":") && trimmed !== "") {
      this.pending = trimmed;
      this.heldBlankLines = 0;
      this.mode = "plain";
      return "";
    }
    // Not a preamble after all (or nothing else came): it is the answer's first line.
    const line = this.chatterLine;
    this.chatterLine = "";
    this.mode = "plain";
    this.lineDecided = false;
    const rest = this.pending;
    this.pending = "";
    return `${this.leadingBlanks()}${line}\n${this.body(final, rest)}`;
  }

  /** Inside the code: streams lines, holding back only a line that may be the closing fence. */
  private body(final: boolean, extra = ""): string {
    if (extra !== "") this.pending = extra + this.pending;
    let out = "";
    while (this.pending !== "") {
      const newline = this.pending.indexOf("\n");
      if (this.lineDecided) {
        const cut = newline < 0 ? this.pending.length : newline + 1;
        out += this.pending.slice(0, cut);
        this.pending = this.pending.slice(cut);
        if (newline >= 0) this.lineDecided = false;
        continue;
      }
      if (newline < 0) {
        const partial = this.pending;
        if (this.fenceMatters() && mayBeFence(partial)) {
          if (!final) return out;
          // Generation stopped inside what looks like a closing fence: it is not code.
          if (partial.trim() !== "" && this.mode === "fenced") this.pending = "";
          else if (partial.trim() !== "" && !this.originalHasFences) this.pending = "";
          else {
            out += partial;
            this.pending = "";
          }
          return out;
        }
        this.lineDecided = true;
        continue;
      }
      const line = this.pending.slice(0, newline);
      const fence = this.fenceMatters() ? isFenceLine(line) : null;
      if (fence !== null && this.closes(fence)) {
        this.mode = "done";
        this.pending = "";
        return out;
      }
      out += this.pending.slice(0, newline + 1);
      this.pending = this.pending.slice(newline + 1);
    }
    return out;
  }

  /** Whether a fence line can end the code here. */
  private fenceMatters(): boolean {
    return this.mode === "fenced" || !this.originalHasFences;
  }

  /** A fence line in the code: the closing one, or the opening or closing of a block inside it. */
  private closes(fence: RegExpExecArray): boolean {
    const [, marks, info] = fence;
    if (this.mode === "plain") return true;
    if (info !== "") {
      this.innerFences++;
      return false;
    }
    if (this.innerFences > 0) {
      this.innerFences--;
      return false;
    }
    return marks!.length >= this.fence.length && marks![0] === this.fence[0];
  }
}

type IndentStyle = { kind: "tab" } | { kind: "space"; unit: number };

function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

function width(ws: string, tabColumns: number): number {
  let n = 0;
  for (const c of ws) n += c === "\t" ? tabColumns : 1;
  return n;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Tabs when the original's indented lines start with tabs, else spaces in its smallest step. */
function styleOf(lines: readonly string[]): IndentStyle | undefined {
  const indents = lines
    .filter((l) => l.trim() !== "")
    .map(indentOf)
    .filter((ws) => ws !== "");
  if (indents.length === 0) return undefined;
  if (indents.every((ws) => ws.startsWith("\t"))) return { kind: "tab" };
  if (indents.some((ws) => ws.includes("\t"))) return undefined;
  const unit = indents.map((ws) => ws.length).reduce(gcd);
  return { kind: "space", unit: unit >= 2 ? unit : TAB_COLUMNS };
}

/**
 * Stage 2: a line's leading whitespace is held until its first other character, then rewritten
 * when the model lost the selection's base indentation (every line shifted by what is missing),
 * repeated the indentation the document already has before the range (first line only), or used
 * the other of tabs and spaces.
 */
class Reindenter {
  private atLineStart = true;
  private ws = "";
  private line = 0;
  /** Columns added to every line, decided on the first line that can tell. */
  private shift: number | undefined;
  /** The model's own indentation step when it indents with spaces in a tab file. */
  private modelUnit: number | undefined;
  private readonly style: IndentStyle | undefined;
  private readonly tabColumns: number;
  /** The indentation line 0 should have, when the range starts at column 0. */
  private readonly firstLineRef: string | undefined;
  /** The least indentation the lines after the first should have. */
  private readonly laterRef: string;

  constructor(
    original: string,
    private readonly linePrefix: string,
    baseIndent: string | undefined,
  ) {
    const lines = original.split("\n");
    const documentLines = [linePrefix + (lines[0] ?? ""), ...lines.slice(1)];
    this.style = styleOf(documentLines) ?? (baseIndent ? styleOf([`${baseIndent}x`]) : undefined);
    this.tabColumns = this.style?.kind === "space" ? this.style.unit : TAB_COLUMNS;
    const firstNonBlank = lines.find((l) => l.trim() !== "");
    const base = baseIndent ?? indentOf(firstNonBlank ?? "");
    this.firstLineRef = linePrefix === "" ? (firstNonBlank !== undefined ? indentOf(firstNonBlank) : base) : undefined;
    const later = lines
      .slice(1)
      .filter((l) => l.trim() !== "")
      .map(indentOf);
    this.laterRef =
      later.length > 0
        ? later.reduce((a, b) => (width(b, this.tabColumns) < width(a, this.tabColumns) ? b : a))
        : (this.firstLineRef ?? indentOf(documentLines[0] ?? base));
  }

  push(text: string): string {
    let out = "";
    for (const c of text) {
      if (!this.atLineStart) {
        out += c;
        if (c === "\n") {
          this.atLineStart = true;
          this.line++;
        }
        continue;
      }
      if (c === " " || c === "\t") {
        this.ws += c;
        continue;
      }
      if (c === "\n") {
        // A blank line keeps no trailing whitespace.
        this.ws = "";
        this.line++;
        out += c;
        continue;
      }
      out += this.indent(this.ws) + c;
      this.ws = "";
      this.atLineStart = false;
    }
    return out;
  }

  /** Whitespace at the very end with nothing after it is dropped. */
  finish(): string {
    this.ws = "";
    return "";
  }

  private indent(ws: string): string {
    if (this.line === 0 && this.firstLineRef === undefined) {
      // The range starts after the line's indentation: the model must not write it again.
      const prefixIndent = /^[ \t]+$/.test(this.linePrefix) ? this.linePrefix : "";
      return prefixIndent !== "" && ws.startsWith(prefixIndent) ? this.restyle(ws.slice(prefixIndent.length)) : ws;
    }
    if (this.shift === undefined) {
      const ref = this.line === 0 ? this.firstLineRef! : this.laterRef;
      const missing = width(ref, this.tabColumns) - width(ws, this.tabColumns);
      this.shift = missing > 0 ? missing : 0;
    }
    return this.restyle(ws, this.shift);
  }

  /** `ws` in the original's tabs or spaces, with `shift` columns more. */
  private restyle(ws: string, shift = 0): string {
    const style = this.style;
    if (
      style === undefined ||
      (shift === 0 && (ws === "" || (style.kind === "tab" ? !/^ /.test(ws) : !ws.includes("\t"))))
    )
      return shift === 0 ? ws : " ".repeat(shift) + ws;
    if (style.kind === "space") return " ".repeat(width(ws, style.unit) + shift);
    // A tab file: the model's own step of spaces becomes a tab.
    const spaces = /^ */.exec(ws)![0].length;
    if (spaces > 0 && this.modelUnit === undefined) this.modelUnit = spaces % TAB_COLUMNS === 0 ? TAB_COLUMNS : 2;
    const unit = this.modelUnit ?? TAB_COLUMNS;
    const tabs = (ws.match(/\t/g) ?? []).length + Math.floor(spaces / unit) + Math.round(shift / TAB_COLUMNS);
    return "\t".repeat(tabs) + " ".repeat(spaces % unit);
  }
}

/** Stage 3: newlines at the end are held; at the end there are as many as the original's state asks. */
class TailKeeper {
  private held = 0;

  constructor(
    private readonly trailingNewline: boolean,
    private readonly originalTrailingNewlines: number,
  ) {}

  push(text: string): string {
    const body = text.replace(/\n+$/, "");
    const tail = text.length - body.length;
    if (body === "") {
      this.held += tail;
      return "";
    }
    const out = "\n".repeat(this.held) + body;
    this.held = tail;
    return out;
  }

  finish(): string {
    if (!this.trailingNewline) return "";
    return "\n".repeat(Math.max(1, Math.min(this.held, this.originalTrailingNewlines)));
  }
}

function trailingNewlines(text: string): number {
  return text.length - text.replace(/\n+$/, "").length;
}

/**
 * The streaming cleaner of one edit: `push` each piece the model writes and send what it returns;
 * `finish` once generation ended and send that too. The pieces joined are `cleanOutput(whole)`.
 */
export class StreamingCleaner {
  private readonly unwrapper: Unwrapper;
  private readonly reindenter: Reindenter;
  private readonly tail: TailKeeper;
  private readonly eol: string;
  /** A `\r` at the end of a piece, which may be half of a `\r\n`. */
  private carriageReturn = false;
  private finished = false;

  constructor(target: CleanerTarget) {
    const original = target.original.replace(/\r\n/g, "\n");
    this.eol = target.eol ?? (target.original.includes("\r\n") ? "\r\n" : "\n");
    this.unwrapper = new Unwrapper(
      hasFenceLine(original),
      isFenceLine(original.split("\n").find((l) => l.trim() !== "") ?? "") !== null,
      /^\n*/.exec(original)![0].length,
    );
    this.reindenter = new Reindenter(original, target.linePrefix ?? "", target.baseIndent);
    this.tail = new TailKeeper(target.trailingNewline ?? /\n$/.test(original), Math.max(1, trailingNewlines(original)));
  }

  push(piece: string): string {
    if (this.finished) throw new Error("the cleaner has finished");
    let text = (this.carriageReturn ? "\r" : "") + piece;
    this.carriageReturn = text.endsWith("\r");
    if (this.carriageReturn) text = text.slice(0, -1);
    return this.forward(text.replace(/\r\n/g, "\n"), false);
  }

  finish(): string {
    if (this.finished) return "";
    this.finished = true;
    const rest = this.carriageReturn ? "\n" : "";
    return this.forward(rest, true);
  }

  private forward(text: string, final: boolean): string {
    let unwrapped = this.unwrapper.push(text);
    if (final) unwrapped += this.unwrapper.finish();
    let indented = this.reindenter.push(unwrapped);
    if (final) indented += this.reindenter.finish();
    let out = this.tail.push(indented);
    if (final) out += this.tail.finish();
    return this.eol === "\n" ? out : out.replace(/\n/g, this.eol);
  }
}

/** The whole output at once, cleaned exactly as the stream would be. */
export function cleanOutput(raw: string, target: CleanerTarget): string {
  const cleaner = new StreamingCleaner(target);
  return cleaner.push(raw) + cleaner.finish();
}
