import assert from "node:assert/strict";
import { PendingEdit } from "../../../../client/src/inlineEdit/pendingEdit.js";
import { SimBuffer, sha256 } from "./simBuffer.js";

interface Setup {
  buffer: SimBuffer;
  model: PendingEdit;
  before: string;
  after: string;
}

/** A document `before + original + after` with a pending edit of `original`. */
function setup(before: string, original: string, after: string, eol = "\n"): Setup {
  const buffer = new SimBuffer(before + original + after);
  const model = new PendingEdit({ regionStart: before.length, original, eol });
  return { buffer, model, before, after };
}

/** Streams the whole proposal in chunks of `size` and finishes, applying Bora's edits as they come. */
function stream(s: Setup, proposal: string, size = 3): void {
  for (let at = 0; at < proposal.length; at += size) {
    s.model.pushDelta(proposal.slice(at, at + size));
    s.buffer.settle(s.model);
  }
  s.model.finish(proposal);
  s.buffer.settle(s.model);
}

const ORIGINAL = "one\ntwo\nthree\nfour\nfive\n";
const PROPOSAL = "one\nTWO\nthree\nfive\nsix\n";

describe("pending edit model", () => {
  it("shows proposed lines above the original lines they replace, and hides null hunks", () => {
    const s = setup("head\n", ORIGINAL, "tail\n");
    stream(s, PROPOSAL);
    assert.equal(s.buffer.text, "head\none\nTWO\ntwo\nthree\nfour\nfive\nsix\ntail\n");
    const hunks = s.model.view().hunks;
    const text = s.buffer.text;
    assert.deepEqual(
      hunks.map((h) => [text.slice(...h.green), text.slice(...h.red)]),
      [
        ["TWO\n", "two\n"],
        ["", "four\n"],
        ["six\n", ""],
      ],
    );
  });

  // A keystroke's change event comes before Bora's, whose edit VS Code still applied: at the end of
  // the file the edit's place does not move; on the first line it moves one character on.
  for (const [where, at, shift, expected] of [
    ["after", (text: string) => text.length, 0, "head\n" + PROPOSAL + "tail\nx"],
    ["above", () => 0, 1, "xhead\n" + PROPOSAL + "tail\n"],
  ] as const) {
    it(`still knows its own edit when a keystroke ${where} it reaches the model first and VS Code applies the edit`, () => {
      const s = setup("head\n", ORIGINAL, "tail\n");
      s.model.pushDelta("one\nTWO\n");
      const offered = s.model.nextEdit()!;
      assert.equal(offered.why, "stream");
      const outcome = s.buffer.type(s.model, { offset: at(s.buffer.text), length: 0, text: "x" });
      assert.equal(outcome.stoppedStream, false);
      s.buffer.applyBora(s.model, {
        ...offered,
        edits: offered.edits.map((e) => ({ ...e, offset: e.offset + shift })),
      });
      s.model.pushDelta(PROPOSAL.slice("one\nTWO\n".length));
      s.buffer.settle(s.model);
      s.model.finish(PROPOSAL);
      s.buffer.settle(s.model);
      assert.equal(s.model.view().incomplete, undefined, "the stream was not stopped");
      s.model.accept();
      s.buffer.settle(s.model);
      assert.equal(s.buffer.text, expected);
    });
  }

  it("knows its own edit inside one change event with the user's keystrokes before and after it", () => {
    const s = setup("head\n", ORIGINAL, "tail\n");
    s.model.pushDelta("one\nTWO\n");
    const offered = s.model.nextEdit()!;
    const mine = offered.edits[0]!;
    const above = { offset: 0, length: 0, text: "x" };
    const ours = { ...mine, offset: mine.offset + 1 };
    s.buffer.apply(above, "user");
    s.buffer.apply(ours, "bora");
    const below = { offset: s.buffer.text.length, length: 0, text: "y" };
    s.buffer.apply(below, "user");
    const outcome = s.model.onChange([above, ours, below]);
    assert.deepEqual(outcome, { ours: true, stoppedStream: false });
    s.model.finish(PROPOSAL);
    s.buffer.settle(s.model);
    s.model.accept();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "xhead\n" + PROPOSAL + "tail\ny");
  });

  it("takes a late edit for the user's when the user's change touched the place it was offered for", () => {
    const s = setup("head\n", ORIGINAL, "tail\n");
    s.model.pushDelta("one\nTWO\n");
    const offered = s.model.nextEdit()!;
    const at = offered.edits[0]!.offset;
    // A keystroke right where Bora's lines were to go: the offer no longer stands.
    const typed = s.buffer.type(s.model, { offset: at, length: 0, text: "x" });
    assert.equal(typed.stoppedStream, true, "typing on the lines being rewritten stops the stream");
    s.buffer.apply({ ...offered.edits[0]!, offset: at + 1 }, "bora");
    const outcome = s.model.onChange([{ ...offered.edits[0]!, offset: at + 1 }]);
    assert.equal(outcome.ours, false);
  });

  it("knows its own edits when VS Code reports each as the smallest changes that make it", () => {
    for (const decide of ["accept", "reject"] as const) {
      const s = setup("head\n", ORIGINAL, "tail\n");
      const hash = sha256(s.buffer.text);
      for (let at = 0; at < PROPOSAL.length; at += 3) {
        s.model.pushDelta(PROPOSAL.slice(at, at + 3));
        s.buffer.settle(s.model, 10_000, true);
      }
      s.model.finish(PROPOSAL);
      s.buffer.settle(s.model, 10_000, true);
      s.model[decide]();
      s.buffer.settle(s.model, 10_000, true);
      if (decide === "accept") assert.equal(s.buffer.text, "head\n" + PROPOSAL + "tail\n");
      else assert.equal(sha256(s.buffer.text), hash);
      assert.ok(s.model.settled);
      assert.ok(
        s.model.hunks().every((hunk) => hunk.state === (decide === "accept" ? "accepted" : "rejected")),
        `every hunk ${decide}ed, none taken for the user's: ${s.model
          .hunks()
          .map((h) => h.state)
          .join(", ")}`,
      );
    }
  });

  it("counts a late edit as the user's when a keystroke before it came first, and stops the stream", () => {
    const s = setup("head\n", ORIGINAL, "tail\n");
    s.model.pushDelta("one\nTWO\n");
    const offered = s.model.nextEdit()!;
    s.buffer.type(s.model, { offset: 0, length: 0, text: "x" });
    // VS Code would refuse the stale edit; if it did not, the model must not take it for its own.
    s.buffer.apply(offered.edits[0]!, "bora");
    const outcome = s.model.onChange(offered.edits);
    assert.equal(outcome.ours, false);
  });

  it("accepts all as one edit after the green lines are gone: undoing it restores the original", () => {
    const s = setup("head\n", ORIGINAL, "tail\n");
    stream(s, PROPOSAL);
    s.model.accept();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "head\n" + PROPOSAL + "tail\n");
    const last = s.buffer.boraEdits.at(-1)!;
    assert.equal(last.edit.why, "applyProposal");
    // The text before that one edit (what one Undo brings back) is the original, byte for byte.
    assert.equal(sha256(last.before), sha256("head\n" + ORIGINAL + "tail\n"));
    assert.ok(s.model.settled);
  });

  it("accepts one hunk as one edit whose undo restores that hunk's original lines", () => {
    const s = setup("", ORIGINAL, "");
    stream(s, PROPOSAL);
    const [first] = s.model.view().hunks;
    s.model.accept(first!.id);
    s.buffer.settle(s.model);
    const last = s.buffer.boraEdits.at(-1)!;
    assert.equal(last.edit.why, "applyProposal");
    assert.equal(last.edit.edits.length, 1);
    assert.match(last.before, /^one\ntwo\nthree\n/, "before the accept edit, the hunk shows its original only");
    assert.match(s.buffer.text, /^one\nTWO\nthree\n/);
  });

  for (const [name, eol, original, proposal] of [
    ["LF", "\n", ORIGINAL, PROPOSAL],
    ["CRLF", "\r\n", ORIGINAL.replace(/\n/g, "\r\n"), PROPOSAL],
    ["no final newline", "\n", "one\ntwo\nthree", "one\n2\nthree\nfour\n"],
    ["CRLF, no final newline", "\r\n", "one\r\ntwo\r\nthree", "ONE\nthree\n"],
  ] as const) {
    it(`reject-all restores the document byte for byte (${name})`, () => {
      const s = setup(`a${eol}`, original, "", eol);
      const hash = sha256(s.buffer.text);
      stream(s, proposal, 2);
      assert.notEqual(sha256(s.buffer.text), hash, "the proposal is shown");
      s.model.reject();
      s.buffer.settle(s.model);
      assert.equal(sha256(s.buffer.text), hash);
      assert.ok(s.model.settled);
    });

    it(`accept-all gives the proposal with the document's line endings (${name})`, () => {
      const s = setup(`a${eol}`, original, "", eol);
      stream(s, proposal, 2);
      s.model.accept();
      s.buffer.settle(s.model);
      let expected = proposal.replace(/\r?\n/g, eol);
      if (!original.endsWith("\n")) expected = expected.replace(/\r?\n$/, "");
      assert.equal(s.buffer.text, `a${eol}${expected}`);
    });
  }

  it("accepts and rejects hunks one by one in any order", () => {
    const orders = [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
      [2, 0, 1],
    ];
    for (const order of orders) {
      const s = setup("x\n", ORIGINAL, "y\n");
      stream(s, PROPOSAL, 5);
      const ids = s.model.view().hunks.map((h) => h.id);
      // Accept hunk 0 and 2, reject hunk 1, in the order given.
      for (const index of order) {
        if (index === 1) s.model.reject(ids[index]);
        else s.model.accept(ids[index]);
        s.buffer.settle(s.model);
      }
      assert.equal(s.buffer.text, "x\none\nTWO\nthree\nfour\nfive\nsix\ny\n", order.join(","));
      assert.ok(s.model.settled);
    }
  });

  it("restores the original byte for byte after some hunks are rejected and the rest rejected too", () => {
    const s = setup("x\r\n", ORIGINAL.replace(/\n/g, "\r\n"), "y", "\r\n");
    const hash = sha256(s.buffer.text);
    stream(s, PROPOSAL, 4);
    const ids = s.model.view().hunks.map((h) => h.id);
    s.model.reject(ids[2]);
    s.buffer.settle(s.model);
    s.model.reject(ids[0]);
    s.buffer.settle(s.model);
    s.model.reject();
    s.buffer.settle(s.model);
    assert.equal(sha256(s.buffer.text), hash);
  });

  describe("the minimal layout at the stream's end", () => {
    // The streamed walk takes the first `alpha` for the original's second line, finds no match for
    // what follows, and marks all 6 lines changed; a minimal diff keeps that `alpha` and marks 4.
    const WALKED = "gamma();\nalpha();\nalpha();\n";
    const REWRITE = "alpha();\nbeta();\nbeta();\n";
    const shown = (s: Setup): string[][] =>
      s.model.view().hunks.map((h) => [s.buffer.text.slice(...h.green), s.buffer.text.slice(...h.red)]);

    it("redraws the streamed hunks as a minimal diff when the stream ends, in one edit", () => {
      const s = setup("head\n", WALKED, "tail\n");
      const hash = sha256(s.buffer.text);
      stream(s, REWRITE);
      assert.deepEqual(shown(s), [
        ["", "gamma();\n"],
        ["beta();\nbeta();\n", "alpha();\n"],
      ]);
      assert.equal(s.buffer.text, "head\ngamma();\nalpha();\nbeta();\nbeta();\nalpha();\ntail\n");
      assert.equal(s.buffer.boraEdits.at(-1)!.edit.why, "relayout");
      assert.equal(s.buffer.boraEdits.filter((e) => e.edit.why === "relayout").length, 1);
      s.model.reject();
      s.buffer.settle(s.model);
      assert.equal(sha256(s.buffer.text), hash, "Reject All still restores the file byte for byte");
    });

    it("redraws the same when VS Code reports the redraw as the smallest changes that make it", () => {
      const s = setup("head\n", WALKED, "tail\n");
      s.model.pushDelta(REWRITE);
      s.model.finish(REWRITE);
      s.buffer.settle(s.model, 10_000, true);
      assert.equal(s.buffer.boraEdits.at(-1)!.edit.why, "relayout");
      assert.deepEqual(shown(s), [
        ["", "gamma();\n"],
        ["beta();\nbeta();\n", "alpha();\n"],
      ]);
      s.model.accept();
      s.buffer.settle(s.model, 10_000, true);
      assert.equal(s.buffer.text, "head\n" + REWRITE + "tail\n");
    });

    it("accepts the relaid hunks one by one to the proposal", () => {
      const s = setup("head\n", WALKED, "tail\n");
      stream(s, REWRITE);
      const [first, second] = s.model.view().hunks;
      s.model.accept(second!.id);
      s.buffer.settle(s.model);
      s.model.accept(first!.id);
      s.buffer.settle(s.model);
      assert.equal(s.buffer.text, "head\n" + REWRITE + "tail\n");
      assert.ok(s.model.settled);
    });

    it("an Undo of the redraw brings the streamed hunks back, and a Redo the minimal ones", () => {
      const s = setup("head\n", WALKED, "tail\n");
      stream(s, REWRITE);
      const { edit, before } = s.buffer.boraEdits.at(-1)!;
      const relaid = s.buffer.text;
      const [change] = edit.edits;
      const undo = {
        offset: change!.offset,
        length: change!.text.length,
        text: before.slice(change!.offset, change!.offset + change!.length),
      };
      // Undo and Redo put back what Bora wrote: the simulated buffer marks it Bora's.
      const undoRedo = (c: typeof undo) => {
        s.buffer.apply(c, "bora");
        return s.model.onChange([c], { undoRedo: true });
      };
      assert.deepEqual(undoRedo(undo), { ours: false, stoppedStream: false });
      s.buffer.settle(s.model);
      assert.equal(s.buffer.text, before, "the undo itself put the streamed layout back; Bora changed nothing");
      assert.equal(s.model.view().hunks.length, 1);
      assert.deepEqual(shown(s), [[REWRITE, WALKED]]);
      undoRedo(change!);
      s.buffer.settle(s.model);
      assert.equal(s.buffer.text, relaid);
      assert.equal(s.model.view().hunks.length, 2);
      s.model.accept();
      s.buffer.settle(s.model);
      assert.equal(s.buffer.text, "head\n" + REWRITE + "tail\n");
    });

    it("knows the Undo of the redraw however VS Code reports it (here: a deletion, then an insertion)", () => {
      const s = setup("head\n", WALKED, "tail\n");
      stream(s, REWRITE);
      const { edit, before } = s.buffer.boraEdits.at(-1)!;
      const [change] = edit.edits;
      const removal = { offset: change!.offset, length: change!.text.length, text: "" };
      const insertion = {
        offset: change!.offset,
        length: 0,
        text: before.slice(change!.offset, change!.offset + change!.length),
      };
      s.buffer.apply(removal, "bora");
      s.buffer.apply(insertion, "bora");
      assert.deepEqual(s.model.onChange([removal, insertion], { undoRedo: true }), {
        ours: false,
        stoppedStream: false,
      });
      s.buffer.settle(s.model);
      assert.equal(s.buffer.text, before);
      assert.deepEqual(shown(s), [[REWRITE, WALKED]]);
      s.model.reject();
      s.buffer.settle(s.model);
      assert.equal(s.buffer.text, "head\n" + WALKED + "tail\n");
    });

    it("keeps the streamed layout when the user typed in the region before the stream ended", () => {
      const s = setup("head\n", WALKED, "tail\n");
      s.model.pushDelta("alpha();\nbeta();\n");
      s.buffer.settle(s.model);
      // On the first original line, still unverified: that stops the stream, so type in a proposed line.
      const green = s.model.view().hunks[0]?.green ?? [0, 0];
      s.buffer.type(s.model, { offset: green[0] + 1, length: 0, text: "x" });
      s.model.pushDelta("beta();\n");
      s.model.finish(REWRITE);
      s.buffer.settle(s.model);
      assert.ok(!s.buffer.boraEdits.some((e) => e.edit.why === "relayout"));
    });

    it("carries an Accept All made while the redraw was on its way over to the new hunks", () => {
      const s = setup("head\n", WALKED, "tail\n");
      s.model.pushDelta(REWRITE);
      s.model.finish(REWRITE);
      let edit = s.model.nextEdit();
      while (edit !== undefined && edit.why !== "relayout") {
        s.buffer.applyBora(s.model, edit);
        edit = s.model.nextEdit();
      }
      assert.equal(edit?.why, "relayout");
      s.model.accept();
      s.buffer.applyBora(s.model, edit!);
      s.buffer.settle(s.model);
      assert.equal(s.buffer.text, "head\n" + REWRITE + "tail\n");
      assert.ok(s.model.settled);
    });

    it("leaves a streamed diff that is already minimal as it is", () => {
      const s = setup("head\n", ORIGINAL, "tail\n");
      stream(s, PROPOSAL);
      assert.ok(!s.buffer.boraEdits.some((e) => e.edit.why === "relayout"));
    });
  });

  it("rebases by offset when the user types outside the region while it streams", () => {
    const s = setup("head\n", ORIGINAL, "tail\n");
    s.model.pushDelta("one\nTW");
    s.buffer.settle(s.model);
    s.buffer.type(s.model, { offset: 0, length: 0, text: "// " });
    s.buffer.type(s.model, { offset: s.buffer.text.length, length: 0, text: "end\n" });
    s.model.pushDelta(PROPOSAL.slice(6));
    s.buffer.settle(s.model);
    s.model.finish(PROPOSAL);
    s.buffer.settle(s.model);
    s.model.accept();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "// head\n" + PROPOSAL + "tail\nend\n");
  });

  it("rejects a hunk at once when the user edits its original lines, keeping the user's text", () => {
    const s = setup("", ORIGINAL, "");
    stream(s, PROPOSAL);
    const text = s.buffer.text;
    const red = s.model.view().hunks[0]!.red;
    assert.equal(text.slice(...red), "two\n");
    s.buffer.type(s.model, { offset: red[0] + 1, length: 0, text: "!" });
    s.buffer.settle(s.model);
    assert.match(s.buffer.text, /^one\nt!wo\nthree\n/, "green gone, the user's edit stays");
    assert.equal(s.model.view().hunks.length, 2);
    s.model.accept();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "one\nt!wo\nthree\nfive\nsix\n");
  });

  it("adopts a hunk at once when the user edits its proposed lines, removing the original ones", () => {
    const s = setup("", ORIGINAL, "");
    stream(s, PROPOSAL);
    const green = s.model.view().hunks[0]!.green;
    s.buffer.type(s.model, { offset: green[0] + 3, length: 0, text: "!" });
    s.buffer.settle(s.model);
    assert.match(s.buffer.text, /^one\nTWO!\nthree\n/);
    s.model.reject();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "one\nTWO!\nthree\nfour\nfive\n");
  });

  it("adopting the last line of a file without a final newline adds none", () => {
    const s = setup("a\n", "b", "");
    stream(s, "c");
    assert.equal(s.buffer.text, "a\nc\nb", "the proposed line is shown on a line of its own");
    const green = s.model.view().hunks[0]!.green;
    s.buffer.type(s.model, { offset: green[0] + 1, length: 0, text: "d" });
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "a\ncd");
  });

  it("stops the stream when the user edits lines it has not reached, keeping what arrived", () => {
    const s = setup("", ORIGINAL, "");
    s.model.pushDelta("one\nTWO\n");
    s.buffer.settle(s.model);
    const unverified = s.model.view().unverified!;
    const outcome = s.buffer.type(s.model, { offset: unverified[1] - 2, length: 1, text: "E" });
    assert.equal(outcome.stoppedStream, true);
    s.buffer.settle(s.model);
    assert.equal(s.model.streaming, false);
    const view = s.model.view();
    assert.equal(view.hunks.length, 1);
    assert.equal(view.hunks[0]!.incomplete, true);
    assert.ok(view.incomplete);
    s.model.pushDelta("three\n");
    s.buffer.settle(s.model);
    s.model.accept();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "one\nTWO\ntwo\nthree\nfour\nfivE\n", "the incomplete hunk only inserts");
  });

  it("keeps what arrived as pending hunks marked incomplete when the request fails half-way", () => {
    const s = setup("", ORIGINAL, "");
    s.model.pushDelta("one\nTWO\nthree\nfo");
    s.buffer.settle(s.model);
    s.model.fail("incomplete — request failed");
    s.buffer.settle(s.model);
    const view = s.model.view();
    assert.equal(view.incomplete, "incomplete — request failed");
    assert.equal(view.streaming, false);
    assert.equal(view.hunks.length, 1);
    assert.equal(s.buffer.text, "one\nTWO\ntwo\nthree\nfour\nfive\n", "nothing rolled back, nothing removed");
    s.model.accept();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "one\nTWO\nthree\nfour\nfive\n");
  });

  it("stops the stream on the user's undo and rejects the hunk the undo touched", () => {
    const s = setup("", ORIGINAL, "");
    s.model.pushDelta("one\nTWO\nthree\n");
    s.buffer.settle(s.model);
    const green = s.model.view().hunks[0]!.green;
    const outcome = s.buffer.type(s.model, { offset: green[0], length: green[1] - green[0], text: "" }, true);
    assert.equal(outcome.stoppedStream, true);
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, ORIGINAL);
    assert.ok(s.model.settled);
  });

  it("inserts at the cursor for an empty range", () => {
    const s = setup("let a = ", "", ";\n");
    stream(s, "1 +\n2", 1);
    assert.equal(s.buffer.text, "let a = 1 +\n2;\n");
    s.model.accept();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "let a = 1 +\n2;\n");
    const s2 = setup("let a = ", "", ";\n");
    stream(s2, "1 +\n2", 1);
    s2.model.reject();
    s2.buffer.settle(s2.model);
    assert.equal(s2.buffer.text, "let a = ;\n");
  });

  it("takes the answer's text when the stream missed a piece", () => {
    const s = setup("", "a\nb\n", "");
    s.model.pushDelta("a\n");
    s.model.finish("a\nc\n");
    s.buffer.settle(s.model);
    s.model.accept();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "a\nc\n");
  });

  it("marks an answer cut short at the token limit incomplete and keeps the lines it did not reach", () => {
    const s = setup("", ORIGINAL, "");
    s.model.pushDelta("one\nTWO\n");
    s.model.finish("one\nTWO\n", true);
    s.buffer.settle(s.model);
    assert.match(s.model.incomplete ?? "", /token limit/);
    s.model.accept();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, "one\nTWO\ntwo\nthree\nfour\nfive\n");
  });
});

describe("pending edit model, stopping", () => {
  it("stops at once on Escape, keeping what is shown as incomplete pending hunks", () => {
    const s = setup("", ORIGINAL, "");
    s.model.pushDelta("one\nTWO\nthree\nfour\n");
    const offered = s.model.nextEdit()!;
    s.model.stop("stopped");
    assert.equal(s.model.streaming, false);
    // The insert offered before the stop lands after it: it becomes a hunk, not stray text.
    s.buffer.applyBora(s.model, offered);
    s.buffer.settle(s.model);
    const view = s.model.view();
    assert.equal(view.hunks.length, 1);
    assert.equal(view.hunks[0]!.incomplete, true);
    s.model.reject();
    s.buffer.settle(s.model);
    assert.equal(s.buffer.text, ORIGINAL);
    assert.ok(s.model.settled);
  });
});
