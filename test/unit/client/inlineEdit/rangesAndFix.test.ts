import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { EditDiagnostic } from "@bora/protocol";
import { BORA_COMMANDS } from "../../../../client/src/commandIds.js";
import { diagnosticsForRange, fixInstruction } from "../../../../client/src/inlineEdit/fixProblem.js";
import {
  MAX_INSTRUCTION_HISTORY,
  readHistory,
  rememberInstruction,
} from "../../../../client/src/inlineEdit/history.js";
import { FIX_CONTEXT_LINES, fixRange, wholeLineRange } from "../../../../client/src/inlineEdit/ranges.js";
import {
  PENDING_KEY,
  STREAMING_KEY,
  coveredLines,
  decorationRanges,
  lensesFor,
} from "../../../../client/src/inlineEdit/view.js";
import { REPO_ROOT } from "../../../support/paths.js";

/** A document of `lines` lines, each `width` characters long. */
const doc = (lines: number, width = 10) => ({ lineCount: lines, lineLength: () => width });
const pos = (line: number, character: number) => ({ line, character });
const range = (a: number, b: number, c: number, d: number) => ({ start: pos(a, b), end: pos(c, d) });

describe("inline edit range widening", () => {
  it("widens a selection to whole lines, ending at the start of the next line", () => {
    assert.deepEqual(wholeLineRange(range(2, 4, 5, 3), doc(10)), range(2, 0, 6, 0));
  });
  it("does not take the line a selection ends at the start of", () => {
    assert.deepEqual(wholeLineRange(range(2, 0, 5, 0), doc(10)), range(2, 0, 5, 0));
  });
  it("ends at the document's end when the selection reaches the last line", () => {
    assert.deepEqual(wholeLineRange(range(7, 3, 9, 2), doc(10, 6)), range(7, 0, 9, 6));
  });
  it("keeps an empty selection an empty range at the cursor: insert there", () => {
    assert.deepEqual(wholeLineRange(range(4, 3, 4, 3), doc(10)), range(4, 3, 4, 3));
  });
  it("takes a one-line selection inside a line as that whole line", () => {
    assert.deepEqual(wholeLineRange(range(4, 1, 4, 3), doc(10)), range(4, 0, 5, 0));
  });
});

describe("Fix Problem", () => {
  const diagnostic: EditDiagnostic = {
    range: range(12, 4, 12, 8),
    message: "Cannot find name 'totl'.",
    severity: 1,
    code: 2304,
    source: "ts",
    relatedInformation: [
      { location: { uri: "file:///w/src/sum.ts", range: range(3, 6, 3, 11) }, message: "'total' is declared here." },
    ],
  };

  it("builds the instruction from the message, code, source and related information", () => {
    const text = fixInstruction(diagnostic, (uri) => uri.replace("file:///w/", ""));
    assert.equal(
      text,
      "Fix this error (ts 2304) at line 13: Cannot find name 'totl'.\nRelated:\n- src/sum.ts:4: 'total' is declared here.",
    );
  });
  it("words a warning without a source or code", () => {
    assert.equal(
      fixInstruction({ range: range(0, 0, 0, 1), message: "unused", severity: 2 }),
      "Fix this warning at line 1: unused",
    );
  });
  it("fixes the smallest symbol that contains the diagnostic, in whole lines", () => {
    const symbols = [range(0, 0, 40, 1), range(10, 2, 20, 3), range(11, 4, 14, 5), range(30, 0, 35, 0)];
    assert.deepEqual(fixRange(diagnostic.range, symbols, doc(50)), range(11, 0, 15, 0));
  });
  it("takes the diagnostic's lines with a few lines around them when no symbol contains it", () => {
    assert.deepEqual(
      fixRange(diagnostic.range, [range(0, 0, 5, 0)], doc(50)),
      range(12 - FIX_CONTEXT_LINES, 0, 12 + FIX_CONTEXT_LINES + 1, 0),
    );
    assert.deepEqual(fixRange(range(1, 0, 1, 2), [], doc(3, 4)), range(0, 0, 2, 4), "clamped to the document");
  });
  it("sends the diagnostic being fixed first, then the others that touch the range", () => {
    const inside: EditDiagnostic = { range: range(13, 0, 13, 2), message: "inside" };
    const outside: EditDiagnostic = { range: range(30, 0, 30, 2), message: "outside" };
    const sent = diagnosticsForRange(range(11, 0, 15, 0), diagnostic, [outside, inside, diagnostic]);
    assert.deepEqual(
      sent.map((d) => d.message),
      [diagnostic.message, "inside"],
    );
  });
  it("cuts over-long texts to the protocol's limits instead of failing the request", () => {
    const long: EditDiagnostic = { range: range(0, 0, 0, 1), message: "x".repeat(10_000) };
    const [sent] = diagnosticsForRange(range(0, 0, 1, 0), long, []);
    assert.equal(sent!.message.length, 4096);
  });
});

describe("instruction history", () => {
  it("puts the latest first, once, and keeps at most the cap", () => {
    assert.deepEqual(rememberInstruction(["a", "b", "c"], " b "), ["b", "a", "c"]);
    const many = Array.from({ length: MAX_INSTRUCTION_HISTORY }, (_, i) => `i${i}`);
    const next = rememberInstruction(many, "new");
    assert.equal(next.length, MAX_INSTRUCTION_HISTORY);
    assert.equal(next[0], "new");
  });
  it("reads only strings back from stored state", () => {
    assert.deepEqual(readHistory(["a", 3, null, "b"]), ["a", "b"]);
    assert.deepEqual(readHistory({ a: 1 }), []);
  });
});

describe("inline edit view", () => {
  const view = {
    hunks: [
      { id: 4, green: [10, 20] as [number, number], red: [20, 30] as [number, number], open: false, incomplete: false },
      { id: 5, green: [40, 40] as [number, number], red: [40, 50] as [number, number], open: false, incomplete: false },
      { id: 6, green: [60, 70] as [number, number], red: [70, 70] as [number, number], open: true, incomplete: false },
    ],
    unverified: [70, 90] as [number, number],
    streaming: true,
    incomplete: undefined,
  };

  it("puts Accept and Reject above each complete hunk, and Accept All | Reject All above the first", () => {
    const lenses = lensesFor("file:///a.ts", view);
    assert.deepEqual(
      lenses.map((l) => [l.offset, l.title, l.command, ...l.args]),
      [
        [10, "Accept All", BORA_COMMANDS.acceptEdit.id, "file:///a.ts"],
        [10, "Reject All", BORA_COMMANDS.rejectEdit.id, "file:///a.ts"],
        [10, "Accept (Ctrl+Enter)", BORA_COMMANDS.acceptHunk.id, "file:///a.ts", 4],
        [10, "Reject (Esc)", BORA_COMMANDS.rejectHunk.id, "file:///a.ts", 4],
        [40, "Accept (Ctrl+Enter)", BORA_COMMANDS.acceptHunk.id, "file:///a.ts", 5],
        [40, "Reject (Esc)", BORA_COMMANDS.rejectHunk.id, "file:///a.ts", 5],
      ],
    );
  });
  it("marks an incomplete edit above its first hunk", () => {
    const lenses = lensesFor("u", { ...view, incomplete: "request failed" });
    assert.equal(lenses[0]!.title, "$(warning) incomplete — request failed");
  });
  it("decorates only non-empty ranges", () => {
    assert.deepEqual(decorationRanges(view), {
      green: [
        [10, 20],
        [60, 70],
      ],
      red: [
        [20, 30],
        [40, 50],
      ],
      unverified: [[70, 90]],
    });
  });
  it("does not colour the line a range ends at the start of", () => {
    assert.deepEqual(coveredLines(pos(3, 0), pos(6, 0)), [3, 5]);
    assert.deepEqual(coveredLines(pos(3, 0), pos(6, 2)), [3, 6]);
  });
  it("binds keys to Bora commands, under the context keys the controller sets", () => {
    const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      contributes: { keybindings: { command: string; key: string; when: string }[] };
    };
    const ids = new Set<string>(Object.values(BORA_COMMANDS).map((c) => c.id));
    const bindings = manifest.contributes.keybindings;
    for (const binding of bindings) assert.ok(ids.has(binding.command), binding.command);
    const when = (id: string) => bindings.find((b) => b.command === id)!.when;
    assert.match(when(BORA_COMMANDS.acceptEdit.id), new RegExp(`${PENDING_KEY} && !${STREAMING_KEY}`));
    assert.match(when(BORA_COMMANDS.rejectEdit.id), new RegExp(PENDING_KEY));
    assert.equal(bindings.find((b) => b.command === BORA_COMMANDS.editSelection.id)!.key, "ctrl+i");
  });
});
