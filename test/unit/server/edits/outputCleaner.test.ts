import assert from "node:assert/strict";
import { StreamingCleaner, cleanOutput, type CleanerTarget } from "../../../../server/src/edits/outputCleaner.js";

const SUM = "function sum(xs) {\n  let total = 0;\n  for (const x of xs) total += x;\n  return total;\n}\n";
const REDUCE = "function sum(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}\n";

/**
 * Feeds `raw` in two pieces split at every position, and in pieces of 1, 2, 3 and 7 characters;
 * every split must give the same text as the whole, and every piece emitted must be a prefix of it
 * (what the client showed is never taken back).
 */
function assertStreamsTo(raw: string, target: CleanerTarget, expected: string): void {
  assert.equal(cleanOutput(raw, target), expected, "the whole output at once");
  const splits: string[][] = [];
  for (let at = 0; at <= raw.length; at++) splits.push([raw.slice(0, at), raw.slice(at)]);
  for (const size of [1, 2, 3, 7]) {
    const pieces: string[] = [];
    for (let i = 0; i < raw.length; i += size) pieces.push(raw.slice(i, i + size));
    splits.push(pieces);
  }
  for (const pieces of splits) {
    const cleaner = new StreamingCleaner(target);
    let shown = "";
    for (const piece of pieces) {
      shown += cleaner.push(piece);
      assert.ok(expected.startsWith(shown), `emitted ${JSON.stringify(shown)} for pieces ${JSON.stringify(pieces)}`);
    }
    shown += cleaner.finish();
    assert.equal(shown, expected, `pieces ${JSON.stringify(pieces)}`);
  }
}

describe("edit output cleanup", () => {
  it("passes a clean answer through unchanged", () => {
    assertStreamsTo(REDUCE, { original: SUM }, REDUCE);
  });

  it("strips a fence with a language tag", () => {
    assertStreamsTo("```javascript\n" + REDUCE + "```\n", { original: SUM }, REDUCE);
  });

  it("strips a fence without a language tag", () => {
    assertStreamsTo("```\n" + REDUCE + "```", { original: SUM }, REDUCE);
  });

  it("drops a preamble before the fence and chatter after it", () => {
    const raw =
      "Sure! Here is the updated code:\n\n```js\n" +
      REDUCE +
      "```\n\nThis uses `reduce` to add the numbers instead of a loop.\n";
    assertStreamsTo(raw, { original: SUM }, REDUCE);
  });

  it("drops a one-line preamble ending in a colon when no fence follows", () => {
    assertStreamsTo("Here's the refactored version:\n" + REDUCE, { original: SUM }, REDUCE);
  });

  it("keeps a fence that never closes because generation stopped, without a half-written closing fence", () => {
    const cut = "function sum(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n";
    assertStreamsTo("```ts\n" + cut, { original: SUM }, cut);
    assertStreamsTo("```ts\n" + cut + "``", { original: SUM }, cut);
  });

  it("keeps the final newline the selection had, and adds none it did not have", () => {
    assertStreamsTo("const a = 1;", { original: "let a = 1;\n" }, "const a = 1;\n");
    assertStreamsTo("const a = 1;\n\n\n", { original: "let a = 1;\n" }, "const a = 1;\n");
    assertStreamsTo("```ts\nconst a = 1;\n```\n", { original: "let a = 1" }, "const a = 1;");
  });

  it("puts back the base indentation the model dropped", () => {
    const original = "    if (x) {\n      y();\n    }\n";
    assertStreamsTo("if (x) {\n  z();\n}\n", { original }, "    if (x) {\n      z();\n    }\n");
  });

  it("does not repeat the indentation the document has before a range that starts after it", () => {
    const original = "return total;\n";
    assertStreamsTo("    return xs.length;\n", { original, linePrefix: "    " }, "return xs.length;\n");
    // The lines after the first keep their place relative to the document.
    const two = "foo();\n    bar();\n";
    assertStreamsTo("foo();\nbaz();\n", { original: two, linePrefix: "    " }, "foo();\n    baz();\n");
  });

  it("indents with tabs in a tab file when the model used spaces", () => {
    const original = "\tif (x) {\n\t\ty();\n\t}\n";
    assertStreamsTo("    if (x) {\n        z();\n    }\n", { original }, "\tif (x) {\n\t\tz();\n\t}\n");
    assertStreamsTo("if (x) {\n  z();\n}\n", { original }, "\tif (x) {\n\t\tz();\n\t}\n");
  });

  it("indents with spaces in a space file when the model used tabs", () => {
    const original = "  if (x) {\n    y();\n  }\n";
    assertStreamsTo("\tif (x) {\n\t\tz();\n\t}\n", { original }, "  if (x) {\n    z();\n  }\n");
  });

  it("writes the document's CRLF line endings, whatever the model used", () => {
    const original = "let a = 1;\r\nlet b = 2;\r\n";
    assertStreamsTo("```\nconst a = 1;\nconst b = 2;\n```", { original }, "const a = 1;\r\nconst b = 2;\r\n");
    assertStreamsTo("const a = 1;\r\nconst b = 2;\r\n", { original }, "const a = 1;\r\nconst b = 2;\r\n");
  });

  it("keeps fences that are content when the selection is markdown with code blocks", () => {
    const original = "Install:\n\n```sh\nnpm i\n```\n";
    const answer = "Install it with npm:\n\n```sh\nnpm install bora\n```\n";
    assertStreamsTo(answer, { original }, answer);
    assertStreamsTo("````markdown\n" + answer + "````\n", { original }, answer);
  });

  it("keeps code blocks inside a fenced markdown answer", () => {
    const original = "Usage:\n\n```ts\nrun();\n```\n";
    const answer = "Usage:\n\n```ts\nawait run();\n```\n";
    assertStreamsTo("```markdown\n" + answer + "```\nDone.\n", { original: "Text\n" }, answer);
    void original;
  });

  it("does not take code that starts like prose for a preamble", () => {
    const original = "ok := check()\n";
    assertStreamsTo("ok := check(ctx)\n", { original }, "ok := check(ctx)\n");
    assertStreamsTo("this.total = 0;\n", { original: "this.sum = 0;\n" }, "this.total = 0;\n");
    assertStreamsTo("Here is a comment line\nx = 1\n", { original: "x = 0\n" }, "Here is a comment line\nx = 1\n");
  });

  it("drops a closing fence and the explanation after an answer that had no opening fence", () => {
    assertStreamsTo("const a = 1;\n```\nI renamed the variable.\n", { original: "let a = 1;\n" }, "const a = 1;\n");
  });

  it("answers an insert at the start of a line with whole lines at the cursor's indentation", () => {
    assertStreamsTo(
      "```python\nlog.info('start')\n```",
      { original: "", baseIndent: "    ", trailingNewline: true },
      "    log.info('start')\n",
    );
  });

  it("holds back only what it cannot decide yet", () => {
    const cleaner = new StreamingCleaner({ original: SUM });
    assert.equal(cleaner.push("``"), "", "may be a fence");
    assert.equal(cleaner.push("`ts\nfunc"), "func", "the fence is gone, code streams");
    assert.equal(cleaner.push("tion sum(xs) {\n  "), "tion sum(xs) {", "a newline and the indentation after it wait");
    assert.equal(cleaner.push("return 0;\n"), "\n  return 0;", "a trailing newline waits");
    assert.equal(cleaner.push("}\n`"), "\n}", "a line that may close the fence waits");
    assert.equal(cleaner.push("``\nDone."), "");
    assert.equal(cleaner.finish(), "\n");
  });

  it("gives nothing for an answer that is only fences or whitespace", () => {
    assertStreamsTo("```\n```\n", { original: "x\n", trailingNewline: false }, "");
    assertStreamsTo("  \n\n", { original: "x", trailingNewline: false }, "");
  });
});
