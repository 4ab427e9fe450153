import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ScriptedEngine, type EditRequest } from "@bora/inference";
import type { InlineEditParams } from "@bora/protocol";
import { TextDocument } from "vscode-languageserver-textdocument";
import { loadRules } from "../../../../server/src/agent/rules.js";
import { EditRefusal, runInlineEdit, type InlineEditDeps } from "../../../../server/src/edits/inlineEditService.js";

const TEXT = [
  "import { log } from './log';",
  "",
  "export function sum(xs: number[]): number {",
  "  let total = 0;",
  "  for (const x of xs) total += x;",
  "  return total;",
  "}",
  "",
].join("\n");

const root = mkdtempSync(path.join(os.tmpdir(), "bora-edit-unit-"));
mkdirSync(path.join(root, "src"));
writeFileSync(path.join(root, "AGENTS.md"), "Prefer reduce over loops.\n");
const uri = pathToFileURL(path.join(root, "src/sum.ts")).href;

function setup(answer: string, options: { contextSize?: number; text?: string } = {}) {
  const engine = new ScriptedEngine({ turns: [{ content: answer }] }, { contextSize: options.contextSize ?? 8192 });
  const document = TextDocument.create(uri, "typescript", 3, options.text ?? TEXT);
  const deps: InlineEditDeps = {
    document: (u) => (u === uri ? document : undefined),
    engine: () => Promise.resolve(engine),
    workspaceRoot: () => Promise.resolve(root),
    loadRules,
  };
  return { engine, deps, document };
}

const lines = (start: number, end: number): InlineEditParams["range"] => ({
  start: { line: start, character: 0 },
  end: { line: end, character: 0 },
});

const params = (over: Partial<InlineEditParams> = {}): InlineEditParams => ({
  textDocument: { uri, version: 3 },
  range: lines(3, 5),
  instruction: "use reduce",
  ...over,
});

const edits = (requests: ScriptedEngine["requests"]): EditRequest[] =>
  requests.flatMap((r) => (r.kind === "edit" ? [r.request] : []));

describe("inline edit service", () => {
  it("streams the cleaned replacement and answers one edit for the version asked about", async () => {
    const { engine, deps } = setup(
      "Here is the updated code:\n```ts\n  const total = xs.reduce((a, b) => a + b, 0);\n```\nDone!",
    );
    const deltas: string[] = [];
    const result = await runInlineEdit(params(), deps, {
      signal: new AbortController().signal,
      onDelta: (d) => deltas.push(d),
    });
    const expected = "  const total = xs.reduce((a, b) => a + b, 0);\n";
    assert.ok(deltas.length > 1, "more than one delta");
    assert.equal(deltas.join(""), expected);
    assert.deepEqual(result.edit.documentChanges, [
      { textDocument: { uri, version: 3 }, edits: [{ range: lines(3, 5), newText: expected }] },
    ]);
    assert.equal(result.finishReason, "stop");
    const [request] = edits(engine.requests);
    assert.equal(
      request?.prediction,
      "  let total = 0;\n  for (const x of xs) total += x;\n",
      "the selection is the prediction",
    );
    assert.equal(request?.priority, "interactive");
    assert.ok((request?.maxTokens ?? 0) > 20);
    assert.match(request!.messages[0]!.content, /Prefer reduce over loops\./, "the workspace rules");
    assert.match(request!.messages[1]!.content, /File: src\/sum\.ts/);
  });

  it("refuses an unknown document, a stale version and ranges outside the document, before asking the engine", async () => {
    const { engine, deps } = setup("x");
    const refused = async (p: InlineEditParams, reason: string, message: RegExp): Promise<void> => {
      await assert.rejects(runInlineEdit(p, deps, { signal: new AbortController().signal }), (error: unknown) => {
        assert.ok(error instanceof EditRefusal);
        assert.equal(error.reason, reason);
        assert.match(error.message, message);
        return true;
      });
    };
    await refused(params({ textDocument: { uri: `${uri}x`, version: 3 } }), "unknownDocument", /not open in the host/);
    await refused(params({ textDocument: { uri, version: 2 } }), "staleVersion", /version 3 in the host, not 2/);
    await refused(params({ range: lines(3, 9) }), "rangeOutside", /past its last line \(7\)/);
    await refused(
      params({ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 17 } } }),
      "rangeOutside",
      /past the end of line 3 \(16 characters\)/,
    );
    await refused(params({ range: lines(5, 3) }), "rangeOutside", /ends before it starts/);
    assert.equal(engine.requests.length, 0, "nothing was generated");
  });

  it("refuses a selection too large for the context, with the numbers, before generating", async () => {
    const big = Array.from({ length: 200 }, (_, i) => `  total += ${i};`).join("\n") + "\n";
    const { engine, deps } = setup("x", { contextSize: 512, text: big });
    await assert.rejects(
      runInlineEdit(params({ range: lines(0, 200) }), deps, { signal: new AbortController().signal }),
      (error: unknown) => {
        assert.ok(error instanceof EditRefusal);
        assert.equal(error.problem.code, "editTooLarge");
        assert.match(error.message, /context holds 512/);
        assert.match(error.message, /it is [\d,]+ tokens/);
        return true;
      },
    );
    assert.equal(engine.requests.length, 0);
  });

  it("gives a follow-up the previous attempt as the prediction", async () => {
    const { engine, deps } = setup("  return xs.reduce((a, b) => a + b, 0);\n");
    const previous = { instruction: "use reduce", text: "  const total = xs.reduce((a, b) => a + b, 0);\n" };
    await runInlineEdit(params({ instruction: "return it directly", previous }), deps, {
      signal: new AbortController().signal,
    });
    const [request] = edits(engine.requests);
    assert.equal(request?.prediction, previous.text);
    assert.match(
      request!.messages[1]!.content,
      /First instruction: use reduce[\s\S]*Now refine your previous answer: return it directly/,
    );
  });

  it("inserts at an empty range: whole lines at the cursor's indentation, above the code on that line", async () => {
    const { deps } = setup("```ts\nif (xs.length === 0) return 0;\n```");
    const at = { line: 3, character: 0 };
    const result = await runInlineEdit(params({ range: { start: at, end: at }, instruction: "guard empty" }), deps, {
      signal: new AbortController().signal,
    });
    const change = result.edit.documentChanges![0] as { edits: { newText: string; range: unknown }[] };
    assert.deepEqual(change.edits[0], { range: { start: at, end: at }, newText: "  if (xs.length === 0) return 0;\n" });
  });

  it("stops when aborted and says it was cancelled", async () => {
    const engine = new ScriptedEngine(
      { turns: [{ content: "a b c d e f g h i j k l m n o p" }] },
      { chunkDelayMs: 20 },
    );
    const { deps } = setup("unused");
    const controller = new AbortController();
    const pending = runInlineEdit(
      params(),
      { ...deps, engine: () => Promise.resolve(engine) },
      {
        signal: controller.signal,
        onDelta: () => controller.abort(),
      },
    );
    await assert.rejects(pending, (error: unknown) => error instanceof EditRefusal && error.reason === "cancelled");
  });
});
