import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { applyEditBlocks } from "../../../../server/src/agent/editBlocks.js";
import { editFileTool } from "../../../../server/src/agent/tools/editFile.js";
import { DEFAULT_TOOL_LIMITS, ToolError, type ToolContext } from "../../../../server/src/agent/tools/types.js";
import { headlessQuestions } from "../../../../server/src/agent/questions.js";
import { Spawner } from "../../../../server/src/workspace/spawner.js";

describe("edit blocks", () => {
  const source = "function add(a, b) {\n  return a - b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n";

  it("applies an exact, unique block", () => {
    const out = applyEditBlocks(source, [
      { old: "function add(a, b) {\n  return a - b;", new: "function add(a, b) {\n  return a + b;" },
    ]);
    assert.equal(out.applied, 1);
    assert.deepEqual(out.blocks[0], { index: 0, status: "applied", match: "exact", line: 1 });
    assert.equal(out.text, source.replace("return a - b;", "return a + b;"));
  });

  it("reports a block that matches twice and changes nothing for it", () => {
    const out = applyEditBlocks(source, [{ old: "  return a - b;", new: "  return 0;" }]);
    assert.equal(out.applied, 0);
    const block = out.blocks[0]!;
    assert.equal(block.status, "failed");
    assert.equal(block.status === "failed" && block.code, "ambiguous");
    assert.match(block.status === "failed" ? block.message : "", /matches 2 places \(lines 2, 6\)/);
    assert.equal(out.text, source);
  });

  it("reports a block that matches nowhere, pointing at the closest line", () => {
    const out = applyEditBlocks(source, [{ old: "function add(x, y) {", new: "function add(p, q) {" }]);
    const block = out.blocks[0]!;
    assert.equal(block.status === "failed" && block.code, "no_match");
    assert.match(block.status === "failed" ? block.message : "", /closest .* line 1/);
    assert.equal(out.text, source);
  });

  it("keeps applying the other blocks when one fails", () => {
    const out = applyEditBlocks(source, [
      { old: "function add(a, b) {\n  return a - b;", new: "function add(a, b) {\n  return a + b;" },
      { old: "does not exist", new: "x" },
      { old: "function sub(a, b) {", new: "function subtract(a, b) {" },
    ]);
    assert.equal(out.applied, 2);
    assert.deepEqual(
      out.blocks.map((b) => b.status),
      ["applied", "failed", "applied"],
    );
    assert.match(out.text, /return a \+ b;[\s\S]*function subtract/);
  });

  it("applies blocks in order, so a block overlapping an earlier one no longer matches", () => {
    const out = applyEditBlocks("alpha beta gamma\n", [
      { old: "alpha beta", new: "ALPHA BETA" },
      { old: "beta gamma", new: "BETA GAMMA" },
    ]);
    assert.equal(out.text, "ALPHA BETA gamma\n");
    assert.deepEqual(
      out.blocks.map((b) => (b.status === "applied" ? "applied" : b.code)),
      ["applied", "no_match"],
    );
  });

  it("matches with whitespace ignored and re-indents the replacement", () => {
    const file = "class A {\n    run() {\n        return 1;   \n    }\n}\n";
    const out = applyEditBlocks(file, [{ old: "run() {\n    return 1;\n}", new: "run() {\n    return 2;\n}" }]);
    assert.deepEqual(out.blocks[0], { index: 0, status: "applied", match: "whitespace", line: 2 });
    assert.equal(out.text, "class A {\n    run() {\n        return 2;\n    }\n}\n");
  });

  it("refuses an empty old and a no-op block", () => {
    const out = applyEditBlocks(source, [
      { old: "", new: "x" },
      { old: "add", new: "add" },
    ]);
    assert.deepEqual(
      out.blocks.map((b) => b.status === "failed" && b.code),
      ["empty_old", "no_change"],
    );
  });

  it("keeps CRLF line ends in a CRLF file", () => {
    const out = applyEditBlocks("a\r\nb\r\nc\r\n", [{ old: "a\nb", new: "a\nB" }]);
    assert.equal(out.text, "a\r\nB\r\nc\r\n");
  });
});

/** A small seeded generator (mulberry32), so a failure repeats with the printed seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reference semantics for exact-only blocks: replace when the text occurs exactly once. */
function reference(text: string, blocks: { old: string; new: string }[]): { text: string; applied: boolean[] } {
  const applied: boolean[] = [];
  for (const block of blocks) {
    const first = text.indexOf(block.old);
    const unique =
      block.old !== "" && block.old !== block.new && first !== -1 && text.indexOf(block.old, first + 1) === -1;
    applied.push(unique);
    if (unique) text = text.slice(0, first) + block.new + text.slice(first + block.old.length);
  }
  return { text, applied };
}

describe("edit_file property test", function () {
  this.timeout(30000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "bora-edit-fuzz-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const context = (): ToolContext => ({
    root: dir,
    runId: "test-run",
    signal: new AbortController().signal,
    questions: headlessQuestions,
    limits: DEFAULT_TOOL_LIMITS,
    commands: () => Promise.reject(new Error("no commands here")),
    spawner: new Spawner(),
    beforeWrite: () => Promise.resolve(),
    remainingMs: () => 60000,
    noteWrite: () => undefined,
    noteCommand: () => undefined,
  });

  it("never leaves a file that is neither the old content nor the correct new content (120 seeded sequences of 4 edits)", async () => {
    const words = ["let", "x", "=", "1;", "foo()", "bar", "{", "}", "return", "y", "if", "(a)", "b"];
    const file = path.join(dir, "subject.txt");
    for (let seed = 1; seed <= 120; seed++) {
      const random = rng(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const lines = Array.from({ length: 3 + Math.floor(random() * 12) }, () =>
        Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(words)).join(" "),
      );
      let content = `${lines.join("\n")}\n`;
      await writeFile(file, content);
      for (let step = 0; step < 4; step++) {
        const blocks = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
          const kind = random();
          if (kind < 0.6) {
            // A real substring of the current content: unique or not, it must be handled exactly.
            const start = Math.floor(random() * content.length);
            const end = Math.min(content.length, start + 1 + Math.floor(random() * 20));
            return { old: content.slice(start, end), new: pick(["", "Z", "QQ\n", pick(words)]) };
          }
          // Made of letters the content never has, so it cannot match, not even with whitespace ignored.
          return { old: pick(["@@@", "%%% ^^^", "~~~\n~~~"]), new: "never" };
        });
        const expected = reference(content, blocks);
        let reported: boolean[] = [];
        try {
          const out = await editFileTool.run({ path: "subject.txt", edits: blocks }, context());
          reported = [...out.matchAll(/^block \d+: (applied|NOT applied)/gm)].map((m) => m[1] === "applied");
        } catch (error) {
          assert.ok(
            error instanceof ToolError && error.code === "no_edits_applied",
            `seed ${seed}: unexpected ${String(error)}`,
          );
          reported = blocks.map(() => false);
        }
        const now = await readFile(file, "utf8");
        const anyApplied = reported.some(Boolean);
        if (anyApplied) {
          assert.deepEqual(reported, expected.applied, `seed ${seed} step ${step}: blocks reported differently`);
          assert.equal(now, expected.text, `seed ${seed} step ${step}: file is not the correct new content`);
        } else {
          assert.ok(!expected.applied.some(Boolean), `seed ${seed} step ${step}: a unique block was not applied`);
          assert.equal(now, content, `seed ${seed} step ${step}: file changed although no block applied`);
        }
        content = now;
      }
    }
    // Atomic writes leave no temporary files behind.
    assert.deepEqual(await readdir(dir), ["subject.txt"]);
  });
});
