/**
 * The inline edit, ghost text and a chat answer on the bundled engine, in a real VS Code: the host
 * runs the generated copy model in process (llama.cpp through node-llama-cpp, on the CPU here). The copy
 * model writes its chain of letters and digits after any control token (see
 * `inference/src/testModels/copyChain.ts`), so what it proposes is known exactly: an edit is the
 * chain for as many tokens as the host reports generating, a completion the chain from its start.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { copyChain } from "@bora/inference";
import { ensureTestModel } from "../support/testModels.js";
import { waitFor } from "../support/hostProcess.js";
import { HANG_MS, startVsCode, waitForLog, type VsCode } from "./support/codeServer.js";
import {
  editorLines,
  goToLine,
  openFile,
  save,
  selectLines,
  waitForDisk,
  waitForEditorLine,
} from "./support/editor.js";

const SOURCE = ["function greet(name) {", "  return 'hello ' + name;", "}", "", "const who = ", ""].join("\n");

describe("inline edit and ghost text on the bundled engine", function () {
  let vscode: VsCode;
  const chain = copyChain();

  before(async function () {
    const model = await ensureTestModel("copy");
    // The copy model has one token per character, so the agent's tool definitions alone fill its
    // 4096-token window: chat runs on the tiny model (a real BPE vocabulary), edits and ghost text
    // on the copy model, whose output is known exactly. Even on the tiny model's vocabulary the
    // agent's prompt needs more than 4096 tokens of window, as on real models once files are read.
    const tiny = await ensureTestModel("tiny");
    vscode = await startVsCode({
      files: { "src/greet.js": SOURCE },
      settings: {
        "bora.models.chat": tiny,
        "bora.models.edit": model,
        "bora.models.fim": model,
        "bora.local.contextSize": 8192,
        // The copy model writes one endless word, which the time budget never shows (no word boundary),
        // and how much of it decodes within the budget depends on the machine: this test waits for the whole answer.
        "bora.completions.budgetMs": 0,
        "bora.host.logLevel": "debug",
        "editor.codeLens": true,
        // The suggest widget of the built-in JavaScript service hides ghost text that does not extend its pick.
        "editor.quickSuggestions": { other: false, comments: false, strings: false },
        "editor.suggestOnTriggerCharacters": false,
      },
    });
    await statusItem()
      .filter({ hasText: "Bora: ready ·" })
      .filter({ hasNotText: /no model|model missing|loading/ })
      .waitFor({ timeout: HANG_MS });
  });
  after(async () => {
    await vscode?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode
        .screenshot(`failed-local-engine-${this.currentTest.title.replace(/\W+/g, "-")}`)
        .catch(() => "");
      process.stderr.write(`screenshot: ${file}\nBora log tail:\n${vscode.boraLog().slice(-3000)}\n`);
    }
  });

  const statusItem = () => vscode.page.locator("#workbench\\.parts\\.statusbar .statusbar-item", { hasText: /Bora:/ });
  const lens = (title: string | RegExp) =>
    vscode.page.locator(".monaco-editor .codelens-decoration a", { hasText: title });
  const file = () => path.join(vscode.workspace, "src/greet.js");

  it("streams the model's edit in, marks an answer cut at the token limit, accepts it onto disk, and one Undo restores the file", async () => {
    await openFile(vscode, "src/greet.js");
    await selectLines(vscode.page, 2, 2);
    await vscode.page.keyboard.press("Control+I");
    const input = vscode.page.locator(".quick-input-widget .quick-input-box input");
    await vscode.page
      .locator(".quick-input-widget .quick-input-title", { hasText: "Bora: Edit Selection" })
      .waitFor({ timeout: HANG_MS });
    await input.fill("say hi instead");
    await input.press("Enter");
    const log = await waitForLog(vscode, /inline edit: (\d+) tokens \((\d+) predicted\)/);
    const generated = Number(/inline edit: (\d+) tokens/.exec(log)?.[1]);
    // The chain is letters and digits only; the host keeps the selection's indentation and final newline.
    const proposal = `  ${chain.text(generated)}`;
    await waitForEditorLine(vscode.page, proposal);
    await lens(/^Accept \(/)
      .first()
      .waitFor({ timeout: HANG_MS });
    // The copy model never ends its answer, so the host stops it at the answer's token limit: the
    // client says so, and does not delete original lines the answer never reached.
    await vscode.page
      .locator(".monaco-editor .codelens-decoration", { hasText: "cut short at the model's token limit" })
      .first()
      .waitFor({ timeout: HANG_MS });
    await vscode.screenshot("local-engine-01-edit-diff");
    await vscode.page.keyboard.press("Control+Enter");
    await lens(/^Accept \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    const lines = SOURCE.split("\n");
    await waitForDisk(file(), [lines[0], proposal, ...lines.slice(1)].join("\n"));
    await vscode.page.keyboard.press("Control+Z");
    await waitForEditorLine(vscode.page, lines[1]!);
    await save(vscode.page);
    await waitForDisk(file(), SOURCE);
  });

  it("shows ghost text from the model as the user types, and Tab accepts it", async () => {
    await goToLine(vscode.page, 5, 13);
    // Typing a letter asks for a completion after it; the chain goes on from any control token, so
    // the model proposes the chain from its start whatever the letter.
    await vscode.page.keyboard.type("x");
    const ghost = vscode.page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text");
    let shown = "";
    await waitFor(
      "ghost text to appear",
      async () => {
        shown = ((await ghost.allInnerTexts()).join("") ?? "").replace(/\u00a0/g, " ");
        return shown.length > 0;
      },
      HANG_MS,
      { seen: () => `ghost text: ${JSON.stringify(shown)}` },
    );
    await vscode.screenshot("local-engine-02-ghost-text");
    assert.match(shown, /^[A-Za-z0-9]+$/, "the copy model writes letters and digits only");
    assert.ok(chain.text(chain.order.length * 2).includes(shown), `${shown} follows the model's chain`);
    await vscode.page.keyboard.press("Tab");
    await waitForEditorLine(vscode.page, `const who = x${shown}`);
    await save(vscode.page);
    assert.ok(
      readFileSync(file(), "utf8").includes(`const who = x${shown}\n`),
      "the accepted ghost text is in the file",
    );
    const after = await editorLines(vscode.page);
    assert.equal(after.filter((l) => l.includes(shown)).length, 1, "inserted once");
  });

  it("answers a chat question in the Chat view with the bundled engine, streamed", async () => {
    await vscode.page.locator('.activitybar .action-item .action-label[aria-label="Bora"]').click();
    const chat = vscode.page.frameLocator("iframe.webview").frameLocator("#active-frame");
    const input = chat.locator("#input");
    await input.waitFor({ timeout: HANG_MS });
    await input.fill("What does greet do?");
    await input.press("Enter");
    // The copy model's words mean nothing; what counts is that they stream into the answer while it runs.
    const answer = chat.locator(".answer").first();
    await answer.waitFor({ timeout: HANG_MS });
    const whileRunning = (await answer.innerText()).length;
    await chat.locator(".status", { hasText: "Bora is working" }).waitFor({ state: "detached", timeout: HANG_MS });
    const final = (await answer.innerText()).length;
    assert.ok(whileRunning > 0 && final >= whileRunning, `the answer grew from ${whileRunning} to ${final} characters`);
    await vscode.screenshot("local-engine-03-chat");
  });
});
