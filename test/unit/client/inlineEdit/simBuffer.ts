/**
 * A simulated editor buffer for the pending-edit model's tests: every character carries who wrote it
 * (the original file, Bora, the user), so a test can say that Bora deleted none of the user's
 * characters and put nothing between two of them. Plays the adapter's loop the way VS Code would.
 */
import { createHash } from "node:crypto";
import type { OffsetEdit } from "../../../../client/src/inlineEdit/offsets.js";
import { sequential } from "../../../../client/src/inlineEdit/offsets.js";
import type { BoraEdit, PendingEdit } from "../../../../client/src/inlineEdit/pendingEdit.js";

export type Author = "orig" | "bora" | "user";

export interface Char {
  ch: string;
  author: Author;
  /** Unique per character typed by the user, in typing order. */
  serial: number;
}

export class SimBuffer {
  chars: Char[];
  /** Every Bora edit applied, in order, with the text before it. */
  readonly boraEdits: { edit: BoraEdit; before: string }[] = [];
  private serial = 0;

  constructor(text: string) {
    this.chars = [...text].map((ch) => ({ ch, author: "orig" as const, serial: -1 }));
  }

  get text(): string {
    return this.chars.map((c) => c.ch).join("");
  }

  /** Applies a change (UTF-16 offsets; the tests use BMP text only), returning what it deleted. */
  apply(change: OffsetEdit, author: Author): Char[] {
    const inserted = [...change.text].map((ch) => ({ ch, author, serial: author === "user" ? this.serial++ : -1 }));
    return this.chars.splice(change.offset, change.length, ...inserted);
  }

  /**
   * Applies Bora's edits until the model has none; checks on the way that none touches the user's
   * text. `minimal`: report each edit as VS Code does, as the smallest changes that make it.
   */
  settle(model: PendingEdit, limit = 10_000, minimal = false): void {
    for (let i = 0; i < limit; i++) {
      const edit = model.nextEdit();
      if (edit === undefined) return;
      this.applyBora(model, edit, minimal);
    }
    throw new Error("the model kept offering edits");
  }

  /** Applies one Bora edit as VS Code reports it (from the last edit to the first) and tells the model. */
  applyBora(model: PendingEdit, edit: BoraEdit, minimal = false): void {
    const before = this.text;
    const changes = minimal
      ? sequential(edit.edits).flatMap((e) =>
          smallestChanges(before.slice(e.offset, e.offset + e.length), e.text, e.offset),
        )
      : sequential(edit.edits);
    for (const change of changes) {
      const deleted = this.apply(change, "bora");
      const user = deleted.filter((c) => c.author === "user");
      if (user.length > 0) throw new Error(`Bora deleted the user's ${JSON.stringify(user.map((c) => c.ch).join(""))}`);
      const left = this.chars[change.offset - 1];
      const right = this.chars[change.offset + change.text.length];
      if (
        change.text !== "" &&
        left?.author === "user" &&
        right?.author === "user" &&
        right.serial === left.serial + 1
      ) {
        throw new Error("Bora inserted text between two characters the user typed one after the other");
      }
    }
    this.boraEdits.push({ edit, before });
    const outcome = model.onChange(changes);
    if (!outcome.ours) throw new Error("the model did not recognise its own edit");
  }

  /** A user change: applied to the buffer and reported to the model. */
  type(model: PendingEdit, change: OffsetEdit, undoRedo = false): ReturnType<PendingEdit["onChange"]> {
    this.apply(change, "user");
    return model.onChange([change], { undoRedo });
  }

  /** The user's characters still in the buffer, in buffer order. */
  userChars(): Char[] {
    return this.chars.filter((c) => c.author === "user");
  }
}

/**
 * `from` → `to` at `offset` as the smallest character changes (a longest common subsequence of
 * characters), from the last to the first as VS Code reports them. For short texts only.
 */
export function smallestChanges(from: string, to: string, offset: number): OffsetEdit[] {
  const a = [...from];
  const b = [...to];
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * w + j] =
        a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
  const changes: OffsetEdit[] = [];
  let open: OffsetEdit | undefined;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      if (open) changes.push(open);
      open = undefined;
      i++;
      j++;
    } else if (j === b.length || (i < a.length && lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
      open ??= { offset: offset + i, length: 0, text: "" };
      open.length++;
      i++;
    } else {
      open ??= { offset: offset + i, length: 0, text: "" };
      open.text += b[j];
      j++;
    }
  }
  if (open) changes.push(open);
  // Offsets in the text before the edit; reported last first, each stays valid.
  return changes.reverse();
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
