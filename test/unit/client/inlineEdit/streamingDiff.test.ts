import assert from "node:assert/strict";
import {
  CONFIRM_SKIP_LINES,
  MATCH_LOOKAHEAD_LINES,
  StreamingLineDiff,
  hunksOf,
  type DiffEvent,
} from "../../../../client/src/inlineEdit/streamingDiff.js";
import { splitLines } from "../../../../client/src/inlineEdit/lines.js";

/** Streams `proposal` in the given chunk sizes (cycled) and returns every event. */
function diff(original: string, proposal: string, chunks: number[] = [proposal.length || 1], eol = "\n"): DiffEvent[] {
  const differ = new StreamingLineDiff(original, eol);
  const events: DiffEvent[] = [];
  let at = 0;
  for (let i = 0; at < proposal.length; i++) {
    const size = Math.max(1, chunks[i % chunks.length]!);
    events.push(...differ.push(proposal.slice(at, at + size)));
    at += size;
  }
  events.push(...differ.finish());
  return events;
}

/** What the events say the text becomes: kept original lines and inserted lines in order. */
function result(original: string, events: readonly DiffEvent[]): string {
  const lines = splitLines(original);
  let cursor = 0;
  let out = "";
  for (const event of events) {
    if (event.kind === "keep") out += lines[cursor++];
    else if (event.kind === "remove") cursor += event.count;
    else if (event.kind === "insert") out += event.line;
  }
  return out + lines.slice(cursor).join("");
}

/** A small deterministic PRNG, so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("streaming line differ", () => {
  it("keeps unchanged lines and shows a changed line as one hunk", () => {
    const events = diff("a1\nb2\nc3\n", "a1\nB2 changed\nc3\n");
    assert.deepEqual(hunksOf(events), [{ start: 1, end: 2, inserted: ["B2 changed\n"] }]);
  });

  it("sees an inserted line as a pure insertion, not as everything after it changed", () => {
    const events = diff("alpha\nbeta\ngamma\n", "alpha\nnew line\nbeta\ngamma\n");
    assert.deepEqual(hunksOf(events), [{ start: 1, end: 1, inserted: ["new line\n"] }]);
  });

  it("sees deleted lines as a pure removal when the next line is found ahead", () => {
    const events = diff("alpha\nbeta\ngamma\ndelta\n", "alpha\ndelta\n");
    assert.deepEqual(hunksOf(events), [{ start: 1, end: 3, inserted: [] }]);
  });

  it("removes original lines the replacement never reached when it ends", () => {
    const events = diff("alpha\nbeta\ngamma\n", "alpha\n");
    assert.deepEqual(hunksOf(events), [{ start: 1, end: 3, inserted: [] }]);
  });

  it("does not let a brace further down swallow the lines before it", () => {
    const original = "x {\n  keep();\n  more();\n}\n";
    const proposal = "x {\n}\n  keep();\n  more();\n}\n";
    const events = diff(original, proposal);
    assert.equal(result(original, events), proposal);
    // Matching the inserted `}` with the last line would remove `keep` and `more` and insert them again.
    assert.deepEqual(hunksOf(events), [{ start: 1, end: 1, inserted: ["}\n"] }]);
  });

  it("lets a short line end a changed block of the same size", () => {
    const events = diff("if (x) {\n  one();\n}\n", "if (x) {\n  two();\n}\n");
    assert.deepEqual(hunksOf(events), [{ start: 1, end: 2, inserted: ["  two();\n"] }]);
  });

  it("looks only a bounded distance ahead", () => {
    const original = Array.from({ length: MATCH_LOOKAHEAD_LINES + 5 }, (_, i) => `line number ${i}\n`).join("");
    const last = `line number ${MATCH_LOOKAHEAD_LINES + 4}\n`;
    const events = diff(original, last);
    assert.equal(result(original, events), last);
    assert.ok(
      events.some((e) => e.kind === "insert"),
      "beyond the lookahead the line is an insertion",
    );
  });

  it("never produces a hunk that changes nothing, and always reproduces the replacement, for any chunking", () => {
    const random = rng(7);
    const words = ["a", "b", "}", "", "foo()", "bar();", "return x;", "let y = 1;"];
    for (let round = 0; round < 300; round++) {
      const original = Array.from(
        { length: Math.floor(random() * 8) },
        () => words[Math.floor(random() * words.length)] + "\n",
      ).join("");
      const proposal = Array.from(
        { length: Math.floor(random() * 8) },
        () => words[Math.floor(random() * words.length)] + "\n",
      ).join("");
      const chunks = Array.from({ length: 5 }, () => 1 + Math.floor(random() * 6));
      const events = diff(original, proposal, chunks);
      assert.equal(result(original, events), proposal, JSON.stringify({ original, proposal, chunks }));
      const lines = splitLines(original);
      for (const hunk of hunksOf(events)) {
        assert.notDeepEqual(hunk.inserted, lines.slice(hunk.start, hunk.end), "a null hunk");
      }
    }
  });

  it("gives the same hunks whatever the chunk boundaries", () => {
    const original = "one\ntwo\nthree\nfour\n";
    const proposal = "one\n2\nthree\nfour\nfive\n";
    const whole = hunksOf(diff(original, proposal));
    for (const size of [1, 2, 3, 5, 7])
      assert.deepEqual(hunksOf(diff(original, proposal, [size])), whole, `chunks of ${size}`);
  });

  it("waits for the end of an incomplete line", () => {
    const differ = new StreamingLineDiff("a\nb\n", "\n");
    assert.deepEqual(differ.push("a"), []);
    assert.deepEqual(differ.push("\nx"), [{ kind: "keep" }]);
    assert.deepEqual(differ.push("y\n"), [{ kind: "insert", line: "xy\n" }]);
  });

  it("writes CRLF lines for a CRLF original whatever line endings the replacement uses", () => {
    const original = "a\r\nb\r\n";
    const events = diff(original, "a\nc\r\n", [1], "\r\n");
    assert.equal(result(original, events), "a\r\nc\r\n");
    assert.deepEqual(hunksOf(events), [{ start: 1, end: 2, inserted: ["c\r\n"] }]);
  });

  it("does not split a CRLF that arrives in two pieces", () => {
    const differ = new StreamingLineDiff("a\r\n", "\r\n");
    assert.deepEqual(differ.push("a\r"), []);
    assert.deepEqual(differ.push("\n"), [{ kind: "keep" }]);
  });

  it("gives the replacement a final line break when the whole-line range had one", () => {
    const events = diff("a\nb\n", "a\nc");
    assert.equal(result("a\nb\n", events), "a\nc\n");
  });

  it("keeps a missing final newline missing, even when the model adds one", () => {
    assert.equal(result("a\nb", diff("a\nb", "a\nc\n")), "a\nc");
    assert.deepEqual(hunksOf(diff("a\nb", "a\nb\n")), [], "the same text with a newline added changes nothing");
    assert.equal(result("a\nb", diff("a\nb", "a\nb\nc\n", [1])), "a\nb\nc");
  });

  it("treats an empty original as an insert, keeping the text verbatim", () => {
    const events = diff("", "x = 1\ny", [2]);
    assert.deepEqual(hunksOf(events), [{ start: 0, end: 0, inserted: ["x = 1\n", "y"] }]);
  });

  it("removes everything for an empty replacement", () => {
    assert.deepEqual(hunksOf(diff("a\nb\n", "")), [{ start: 0, end: 2, inserted: [] }]);
  });

  it("settles nothing more after stop", () => {
    const differ = new StreamingLineDiff("a\nb\n", "\n");
    differ.push("x\n");
    assert.deepEqual(differ.stop(), [{ kind: "stop" }]);
    assert.deepEqual(differ.push("a\n"), []);
    assert.deepEqual(differ.finish(), []);
  });

  it("does not take a new line that repeats one further down for a skip over the lines between", () => {
    const original = "const a = load();\nconst b = parse(a);\nconst c = check(b);\nreturn c;\n";
    // A new first line that happens to equal the third original line, followed by the old code.
    const proposal = "const c = check(b);\nlog(c);\n" + original;
    const events = diff(original, proposal);
    assert.deepEqual(hunksOf(events), [{ start: 0, end: 0, inserted: ["const c = check(b);\n", "log(c);\n"] }]);
    assert.equal(result(original, events), proposal);
  });

  it(`takes the skip once ${CONFIRM_SKIP_LINES} more lines go on matching, and shows the held lines then`, () => {
    const original = "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\n";
    const differ = new StreamingLineDiff(original, "\n");
    assert.deepEqual(differ.push("alpha\ndelta\n"), [{ kind: "keep" }], "delta waits: it would remove two lines");
    assert.deepEqual(differ.push("epsilon\n"), [], "one more match is not yet enough");
    assert.deepEqual(differ.push("zeta\n"), [
      { kind: "remove", count: 2 },
      { kind: "keep" },
      { kind: "keep" },
      { kind: "keep" },
    ]);
    assert.deepEqual(differ.finish(), []);
  });

  it("takes a held match when the stream ends on it, and shows held lines as inserts when it stops", () => {
    const original = "alpha\nbeta\ngamma\ndelta\nepsilon\n";
    assert.deepEqual(hunksOf(diff(original, "alpha\ndelta\n")), [
      { start: 1, end: 3, inserted: [] },
      { start: 4, end: 5, inserted: [] },
    ]);
    const differ = new StreamingLineDiff(original, "\n");
    differ.push("alpha\ndelta\n");
    assert.deepEqual(differ.stop(), [{ kind: "insert", line: "delta\n" }, { kind: "stop" }]);
  });
});
