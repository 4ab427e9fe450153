/**
 * Inline edits in a real VS Code (code-server + Chromium), as a user makes them: select lines,
 * Ctrl+I, type the instruction, watch the proposal stream into the editor as a diff, then accept or
 * reject it. The model is a script served by `bora engine serve` (a remote engine to the host), so
 * the replacement is exact and arrives word by word at a pace the test can act in; everything below
 * the model — the extension, the host, LSP, the document sync — is the real one.
 *
 * The script's turns are consumed in order, one per edit: the tests run in the order written.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { waitFor } from "../support/hostProcess.js";
import { HANG_MS, runCommand, type VsCode } from "./support/codeServer.js";
import { startScriptedVsCode, type ScriptedVsCode } from "./support/scriptedVsCode.js";
import {
  editorLines,
  goToLine,
  openFile,
  save,
  selectLines,
  sha256,
  waitForDisk,
  waitForEditorLine,
} from "./support/editor.js";

const TOTAL_TS = [
  "export function total(items: number[]): number {",
  "  let sum = 0;",
  "  for (const item of items) {",
  "    sum += item;",
  "  }",
  "  return sum;",
  "}",
  "",
].join("\n");
const TOTAL_REDUCED = "  return items.reduce((sum, item) => sum + item, 0);\n";

/** CRLF line ends and no final newline: the two things a careless reject gets wrong. */
const CRLF_TS = "const a = 1;\r\nconst b = 2;\r\nconst c = a + b;";

const ITEMS = Array.from({ length: 16 }, (_, i) => `export const item${i} = ${i};`);
const ITEMS_TS = ["// items", ...ITEMS, "// end", ""].join("\n");
/** Every other line changed: eight hunks, with unchanged lines between them. */
const ITEMS_EDITED = ITEMS.map((line, i) => (i % 2 === 0 ? `export const item${i} = ${(i + 1) * 10};` : line));

const LONG_TS = ["// long", "const x = 0;", ""].join("\n");
const LONG_ANSWER = Array.from({ length: 200 }, (_, i) => `const x${i} = ${i}; // one of many lines`).join("\n");

const BROKEN_JSON = '{\n  "name": "bora",\n  "size": 1,\n}\n';
const FIXED_JSON = '{\n  "name": "bora",\n  "size": 1\n}\n';

const AREA_TS = [
  "export function area(w: number, h: number): number {",
  "  const result = w * h;",
  "  return result;",
  "}",
  "",
];
const AREA_RENAMED = "  const area = w * h;\n  return area;\n";
const AREA_REFINED = "  return w * h;\n";
const GREETING_TS = "export const greeting = 'hello';\nexport const target = 'world';\n";

/**
 * The streamed walk takes the answer's first line for the original's second, finds nothing after it
 * to confirm that, and marks all 6 lines changed; the minimal diff, drawn when the stream ends, keeps
 * the first `runAll();` and marks 4: two hunks.
 */
const STEPS_TS = "setUp();\nrunAll();\nrunAll();\n// done\n";
const STEPS_ANSWER = "runAll();\nreport();\nreport();\n";

const SCRIPT = {
  // Word by word at 30 ms: a few lines stream for a second or more, the long answer for many.
  chunkDelayMs: 30,
  turns: [
    { content: TOTAL_REDUCED },
    { content: "const a = 1;\nconst b = 3;\nconst c = a * b;" },
    { content: `${ITEMS_EDITED.join("\n")}\n` },
    { content: LONG_ANSWER },
    { content: FIXED_JSON },
    { content: AREA_RENAMED },
    { content: "export const greeting = 'hi';\n" },
    { content: AREA_REFINED },
    { content: STEPS_ANSWER },
  ],
};

describe("inline edits in a real VS Code", function () {
  let vscode: VsCode;
  let scripted: ScriptedVsCode | undefined;

  before(async function () {
    scripted = await startScriptedVsCode(SCRIPT, {
      files: {
        "src/total.ts": TOTAL_TS,
        "src/crlf.ts": CRLF_TS,
        "src/items.ts": ITEMS_TS,
        "src/long.ts": LONG_TS,
        "data/config.json": BROKEN_JSON,
        "src/area.ts": AREA_TS.join("\n"),
        "src/greeting.ts": GREETING_TS,
        "src/steps.ts": STEPS_TS,
      },
      settings: { "editor.codeLens": true },
    });
    vscode = scripted.vscode;
  });
  after(async () => {
    await scripted?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode
        .screenshot(`failed-inline-edit-${this.currentTest.title.replace(/\W+/g, "-")}`)
        .catch(() => "");
      // Every inline-edit line in full (a stop's reason among them), then the tail for the rest.
      const log = vscode.boraLog();
      const edits = log
        .split("\n")
        .filter((line) => line.includes("inline edit"))
        .join("\n");
      process.stderr.write(
        `screenshot: ${file}\nBora's inline-edit lines:\n${edits}\nBora log tail:\n${log.slice(-3000)}\n`,
      );
    }
  });

  const statusItem = () => vscode.page.locator("#workbench\\.parts\\.statusbar .statusbar-item", { hasText: /Bora:/ });
  const lens = (title: string | RegExp) =>
    vscode.page.locator(".monaco-editor .codelens-decoration a", { hasText: title });
  const file = (relative: string) => path.join(vscode.workspace, relative);

  /** Ctrl+I on the selection, the instruction typed into Bora's box (titled `title`), Enter. */
  async function instruct(instruction: string, expected = /Bora: (Edit Selection|Refine Edit)/): Promise<void> {
    await vscode.page.keyboard.press("Control+I");
    const title = vscode.page.locator(".quick-input-widget .quick-input-title", { hasText: expected });
    await title.waitFor({ timeout: HANG_MS });
    const input = vscode.page.locator(".quick-input-widget .quick-input-box input");
    await input.fill(instruction);
    await input.press("Enter");
    await title.waitFor({ state: "hidden", timeout: HANG_MS });
  }

  /** Waits until the edit has stopped streaming: the status bar no longer says "editing" and a hunk offers Accept. */
  async function whenStreamed(): Promise<void> {
    await lens(/^Accept \(/)
      .first()
      .waitFor({ timeout: HANG_MS });
    await statusItem().filter({ hasNotText: "editing" }).waitFor({ timeout: HANG_MS });
  }

  it("streams the proposal in as a diff; Accept writes it, and one Undo brings the original back", async () => {
    await openFile(vscode, "src/total.ts");
    await selectLines(vscode.page, 2, 6);
    await instruct("use reduce");
    await waitForEditorLine(vscode.page, TOTAL_REDUCED.trimEnd());
    await whenStreamed();
    // Proposed and original lines are both in view until decided.
    const shown = await editorLines(vscode.page);
    assert.ok(shown.includes("  let sum = 0;"), `the original lines stay until decided:\n${shown.join("\n")}`);
    await vscode.screenshot("inline-edit-01-diff");
    await vscode.page.keyboard.press("Control+Enter");
    await lens(/^Accept \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    const accepted = `${TOTAL_TS.split("\n")[0]}\n${TOTAL_REDUCED}}\n`;
    await waitForDisk(file("src/total.ts"), accepted);
    await vscode.screenshot("inline-edit-02-accepted");
    await vscode.page.keyboard.press("Control+Z");
    await waitForEditorLine(vscode.page, "  let sum = 0;");
    await save(vscode.page);
    await waitForDisk(file("src/total.ts"), TOTAL_TS);
  });

  it("Reject leaves a CRLF file without a final newline byte for byte as it was", async () => {
    const before = sha256(readFileSync(file("src/crlf.ts")));
    await openFile(vscode, "src/crlf.ts");
    await vscode.page.keyboard.press("Control+A");
    await instruct("multiply");
    await waitForEditorLine(vscode.page, "const c = a * b;");
    await whenStreamed();
    await vscode.screenshot("inline-edit-03-crlf-diff");
    await vscode.page.keyboard.press("Escape");
    await lens(/^Reject \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    assert.equal(sha256(readFileSync(file("src/crlf.ts"))), before, "the file is byte-identical after Reject");
  });

  it("keeps every keystroke typed above and below the edit while it streams, and accepts what the hunks said", async () => {
    await openFile(vscode, "src/items.ts");
    await selectLines(vscode.page, 2, 17);
    await instruct("multiply the even items by ten");
    await waitForEditorLine(vscode.page, ITEMS_EDITED[0]!);
    // While the rest streams in, type on the first line and then at the end of the file.
    const above = "typed above ";
    const below = "typed below";
    await vscode.page.keyboard.press("Control+Home");
    await vscode.page.keyboard.type(above, { delay: 40 });
    await vscode.page.keyboard.press("Control+End");
    await vscode.page.keyboard.type(below, { delay: 40 });
    await vscode.screenshot("inline-edit-04-typing-while-streaming");
    await whenStreamed();
    await runCommand(vscode.page, "Bora: Accept Edit");
    await lens(/^Accept \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    const expected = [`${above}// items`, ...ITEMS_EDITED, "// end", below].join("\n");
    await waitForDisk(file("src/items.ts"), expected);
  });

  it("Escape while streaming stops the request and keeps what arrived; a second Escape rejects it", async () => {
    await openFile(vscode, "src/long.ts");
    await selectLines(vscode.page, 2, 2);
    await instruct("make many constants");
    await waitForEditorLine(vscode.page, "const x1 = 1; // one of many lines");
    await vscode.page.keyboard.press("Escape");
    await statusItem().filter({ hasNotText: "editing" }).waitFor({ timeout: HANG_MS });
    // The warning row has no command, so it is not a link.
    await vscode.page
      .locator(".monaco-editor .codelens-decoration", { hasText: "incomplete" })
      .first()
      .waitFor({ timeout: HANG_MS });
    // The stream stopped: the last line shown does not change any more.
    const stopped = await editorLines(vscode.page);
    await vscode.screenshot("inline-edit-05-escape-stopped");
    await waitFor(
      "the stream to stay stopped",
      async () => {
        await new Promise((r) => setTimeout(r, 1_000));
        return JSON.stringify(await editorLines(vscode.page)) === JSON.stringify(stopped);
      },
      10_000,
    );
    assert.ok(!stopped.some((l) => l.startsWith("const x199")), "the answer did not finish");
    await vscode.page.keyboard.press("Escape");
    await lens(/^Reject \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    await waitForDisk(file("src/long.ts"), LONG_TS);
  });

  it("offers Fix with Bora on a diagnostic's quick fixes and fixes it through the same diff", async () => {
    await openFile(vscode, "data/config.json");
    await vscode.page.locator(".monaco-editor .squiggly-error").first().waitFor({ timeout: HANG_MS });
    // On the trailing comma the JSON service complains about.
    await goToLine(vscode.page, 3, 12);
    await vscode.page.keyboard.press("Control+.");
    const fix = vscode.page.locator(".action-widget .monaco-list-row", { hasText: "Fix with Bora" });
    await fix.first().waitFor({ timeout: HANG_MS });
    await vscode.screenshot("inline-edit-06-quick-fix");
    // The row is highlighted in the menu; Enter applies it (a click meets the menu's pointer guard).
    await waitFor(
      "Fix with Bora to be highlighted",
      async () => {
        if ((await fix.first().getAttribute("class"))?.includes("focused")) return true;
        await vscode.page.keyboard.press("ArrowDown");
        return false;
      },
      10_000,
    );
    await vscode.page.keyboard.press("Enter");
    await waitForEditorLine(vscode.page, '  "size": 1');
    await whenStreamed();
    await vscode.page.keyboard.press("Control+Enter");
    await lens(/^Accept \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    await waitForDisk(file("data/config.json"), FIXED_JSON);
  });

  it("keeps a pending edit in each of two files; a second Ctrl+I refines one, Accept writes it; a save of the other warns, and its Reject All leaves it as it was", async () => {
    const greetingBefore = sha256(readFileSync(file("src/greeting.ts")));
    await openFile(vscode, "src/area.ts");
    await selectLines(vscode.page, 2, 3);
    await instruct("name the result area", /Bora: Edit Selection/);
    await waitForEditorLine(vscode.page, "  return area;");
    await whenStreamed();

    await openFile(vscode, "src/greeting.ts");
    await selectLines(vscode.page, 1, 1);
    await instruct("say hi", /Bora: Edit Selection/);
    await waitForEditorLine(vscode.page, "export const greeting = 'hi';");
    await whenStreamed();

    // Back in the first file its proposal is still pending, next to its original lines.
    await openFile(vscode, "src/area.ts");
    await lens(/^Accept \(/)
      .first()
      .waitFor({ timeout: HANG_MS });
    const pending = await editorLines(vscode.page);
    assert.ok(
      pending.includes("  return area;") && pending.includes("  return result;"),
      `the first file's proposal waits beside its original:\n${pending.join("\n")}`,
    );
    await vscode.screenshot("inline-edit-07-two-files-pending");

    // A second Ctrl+I on the pending edit refines it: the new proposal replaces the first one.
    await instruct("shorter", /Bora: Refine Edit/);
    await waitForEditorLine(vscode.page, AREA_REFINED.trimEnd());
    await whenStreamed();
    const refined = await editorLines(vscode.page);
    assert.ok(!refined.includes("  return area;"), `the first proposal is gone:\n${refined.join("\n")}`);
    assert.ok(refined.includes("  return result;"), "the original lines stay until decided");
    await vscode.screenshot("inline-edit-08-refined");
    await vscode.page.keyboard.press("Control+Enter");
    await lens(/^Accept \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    await waitForDisk(file("src/area.ts"), [AREA_TS[0], AREA_REFINED.trimEnd(), ...AREA_TS.slice(3)].join("\n"));

    // The other file's edit waited in its background tab. Saved undecided, the file on disk holds
    // both versions: Bora says so, and its Reject All makes the file what it was.
    await openFile(vscode, "src/greeting.ts");
    await lens(/^Reject \(/)
      .first()
      .waitFor({ timeout: HANG_MS });
    await save(vscode.page);
    const warning = vscode.page
      .locator(".notifications-toasts .notification-toast", { hasText: "saved with an undecided edit" })
      .last();
    await warning.waitFor({ timeout: HANG_MS });
    assert.match(readFileSync(file("src/greeting.ts"), "utf8"), /'hi';\n.*'hello';/s, "both versions on disk");
    await vscode.page
      .locator(".notifications-toasts .notification-fade-in-done", { hasText: "saved with an undecided edit" })
      .waitFor({ timeout: HANG_MS });
    await vscode.screenshot("inline-edit-09-saved-undecided");
    await warning.locator(".monaco-button", { hasText: "Reject All" }).click();
    await lens(/^Reject \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    assert.equal(sha256(readFileSync(file("src/greeting.ts"))), greetingBefore, "byte-identical after Reject");
  });

  it("redraws the hunks as a minimal diff when the stream ends; one Undo brings the streamed ones back, and Accept writes the answer", async () => {
    await openFile(vscode, "src/steps.ts");
    await selectLines(vscode.page, 1, 3);
    await instruct("report after the run", /Bora: Edit Selection/);
    await waitForEditorLine(vscode.page, "report();");
    await whenStreamed();
    // Two hunks: `setUp();` removed, the second `runAll();` rewritten; the first one kept.
    await waitFor("two hunks", async () => (await lens(/^Accept \(/).count()) === 2, HANG_MS);
    assert.deepEqual(await editorLines(vscode.page), [
      "setUp();",
      "runAll();",
      "report();",
      "report();",
      "runAll();",
      "// done",
      "",
    ]);
    await vscode.screenshot("inline-edit-10-minimal-hunks");
    // The redraw is an edit of its own: Undo shows the hunk as it streamed (every line changed).
    await vscode.page.keyboard.press("Control+Z");
    await waitFor("the streamed hunk", async () => (await lens(/^Accept \(/).count()) === 1, HANG_MS);
    assert.deepEqual(await editorLines(vscode.page), [
      "runAll();",
      "report();",
      "report();",
      "setUp();",
      "runAll();",
      "runAll();",
      "// done",
      "",
    ]);
    await vscode.page.keyboard.press("Control+Enter");
    await lens(/^Accept \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    await waitForDisk(file("src/steps.ts"), `${STEPS_ANSWER}// done\n`);
  });
});
