import assert from "node:assert/strict";
import {
  INSERT_MAX_TOKENS,
  answerLimit,
  buildEditMessages,
  chooseSurroundings,
  tooLargeMessage,
  type EditSource,
} from "../../../../server/src/edits/editPrompt.js";

const source = (over: Partial<EditSource> = {}): EditSource => ({
  path: "src/sum.ts",
  languageId: "typescript",
  selection: "  let total = 0;\n  for (const x of xs) total += x;\n",
  startLine: 4,
  linePrefix: "",
  lineSuffix: "  return total;",
  linesBefore: ["import x from 'y';", "", "export function sum(xs: number[]) {"],
  linesAfter: ["}"],
  instruction: "use reduce",
  diagnostics: [],
  rules: [],
  ...over,
});

/** A token count of one per character: easy to reason about in budgets. */
const perChar = (text: string): Promise<number> => Promise.resolve(text.length);

describe("edit prompt", () => {
  it("shows the language, the file, the exact selection between the code before and after it, and the instruction", () => {
    const [system, user] = buildEditMessages(source(), {
      before: ["export function sum(xs: number[]) {"],
      after: ["}"],
    });
    assert.match(system!.content, /replacement text only/);
    assert.match(system!.content, /no markdown code fences/i);
    const text = user!.content;
    assert.match(text, /Language: typescript/);
    assert.match(text, /File: src\/sum\.ts/);
    assert.match(text, /<selection>\n {2}let total = 0;\n {2}for \(const x of xs\) total \+= x;\n<\/selection>/);
    assert.match(text, /<code_before>\nexport function sum\(xs: number\[\]\) \{\n<\/code_before>/);
    assert.match(text, /<code_after>\n {2}return total;\n\}<\/code_after>/);
    assert.match(text, /lines 5-6/);
    assert.match(text, /Instruction: use reduce$/);
    assert.ok(text.indexOf("<code_before>") < text.indexOf("<selection>"));
    assert.ok(text.indexOf("<selection>") < text.indexOf("<code_after>"));
  });

  it("keeps a range that starts and ends inside lines exact: the rest of those lines is context", () => {
    const [, user] = buildEditMessages(source({ selection: "total", linePrefix: "  return ", lineSuffix: ";" }), {
      before: [],
      after: [],
    });
    assert.match(user!.content, /<code_before>\n {2}return <\/code_before>/);
    assert.match(user!.content, /<selection>\ntotal<\/selection>/);
    assert.match(user!.content, /<code_after>\n;<\/code_after>/);
  });

  it("lists the diagnostics sent, with line, severity, source and code, and their related information", () => {
    const [, user] = buildEditMessages(
      source({
        diagnostics: [
          {
            range: { start: { line: 5, character: 2 }, end: { line: 5, character: 7 } },
            message: "Cannot find name 'totl'.",
            severity: 1,
            source: "ts",
            code: 2304,
            relatedInformation: [
              {
                location: {
                  uri: "file:///w/src/a.ts",
                  range: { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } },
                },
                message: "declared here",
              },
            ],
          },
        ],
      }),
      { before: [], after: [] },
    );
    assert.match(user!.content, /- line 6, error \[ts 2304\]: Cannot find name 'totl'\./);
    assert.match(user!.content, /related \(line 2 of file:\/\/\/w\/src\/a\.ts\): declared here/);
  });

  it("puts the workspace rules in the system message, naming their files", () => {
    const [system] = buildEditMessages(source({ rules: [{ path: "AGENTS.md", text: "Use tabs.\n" }] }), {
      before: [],
      after: [],
    });
    assert.match(system!.content, /From AGENTS\.md:\nUse tabs\./);
  });

  it("gives a follow-up the original text, the previous attempt and both instructions, after the shared part", () => {
    const first = buildEditMessages(source(), { before: [], after: [] });
    const follow = buildEditMessages(
      source({
        instruction: "make it shorter",
        previous: { instruction: "use reduce", text: "  return xs.reduce((a, b) => a + b, 0);\n" },
      }),
      { before: [], after: [] },
    );
    const text = follow[1]!.content;
    assert.match(text, /<selection>\n {2}let total = 0;/);
    assert.match(text, /First instruction: use reduce/);
    assert.match(text, /<previous_answer>\n {2}return xs\.reduce/);
    assert.match(text, /Now refine your previous answer: make it shorter/);
    const shared = first[1]!.content.slice(0, first[1]!.content.indexOf("Instruction:"));
    assert.ok(text.startsWith(shared), "a follow-up shares the first attempt's prefix (KV cache reuse)");
  });

  it("asks an insert for the text at the cursor", () => {
    const [system, user] = buildEditMessages(source({ selection: "", lineSuffix: "" }), { before: [], after: [] });
    assert.match(system!.content, /insert at the cursor/);
    assert.match(user!.content, /The cursor is at line 5/);
    assert.doesNotMatch(user!.content, /<selection>/);
  });

  it("sizes the answer from the rewritten text with a margin, and an insert by a fixed limit", () => {
    assert.equal(answerLimit(0), INSERT_MAX_TOKENS);
    assert.ok(answerLimit(1) >= 32, "a one-token selection may still become a few lines");
    assert.ok(answerLimit(400) >= 600);
  });

  it("says the numbers when an edit is too large", () => {
    const message = tooLargeMessage({
      selectionTokens: 5000,
      promptTokens: 5200,
      answerTokens: 7564,
      contextSize: 4096,
    });
    for (const n of ["5,000", "5,200", "7,564", "12,764", "4,096"])
      assert.ok(message.includes(n), `${n} in ${message}`);
  });

  it("takes the nearest surrounding lines within the budget, more before than after, checked by the real count", async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(3, "0")} xxxxxxxxxxxxxxx`);
    const picked = await chooseSurroundings({ linesBefore: lines, linesAfter: lines }, 300, perChar);
    assert.ok(picked.before.length > picked.after.length);
    assert.equal(picked.before[picked.before.length - 1], lines[99], "the nearest line before is kept");
    assert.equal(picked.after[0], lines[0], "the nearest line after is kept");
    assert.ok([...picked.before, ...picked.after].join("\n").length <= 300);
    // When the code after is short, the code before may use what it leaves.
    const short = await chooseSurroundings({ linesBefore: lines, linesAfter: ["}"] }, 300, perChar);
    assert.ok(short.before.length > picked.before.length);
    assert.deepEqual(await chooseSurroundings({ linesBefore: lines, linesAfter: lines }, 0, perChar), {
      before: [],
      after: [],
    });
  });
});
