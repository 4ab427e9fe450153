/**
 * Agent tasks in a real VS Code (code-server + Chromium), as a user runs them: Explain Selection
 * answers in the Chat view; Run Task asks an approval in the Chat view's transcript, the user allows
 * it there, the task finishes, the review in the Chat view lists the changed files, and Undo puts one back byte for
 * byte. The model is a script served by `bora engine serve`; everything below it (extension,
 * host, LSP, the sandboxed `npm test`, the checkpoint) is real. The script's turns are consumed in
 * order: the tests run in the order written.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { FrameLocator } from "playwright-core";
import { REPO_ROOT, waitFor } from "../support/hostProcess.js";
import { HANG_MS, fixtureFiles, runCommand, type VsCode } from "./support/codeServer.js";
import { startScriptedVsCode, type ScriptedVsCode } from "./support/scriptedVsCode.js";
import { openFile, save, selectLines, sha256, waitForDisk, waitForEditorLine } from "./support/editor.js";

const EXPLANATION = "`cartTotal` adds up the prices and then **subtracts** the discount as if it were cents.";

const BROKEN_LINE = "  return sum - discountPercent;";
const FIXED_LINE = "  return Math.round(sum * (1 - discountPercent / 100));";

const SCRIPT = {
  // Word by word: the answer visibly streams, and the task is still running when the approval comes.
  chunkDelayMs: 20,
  turns: [
    { content: EXPLANATION },
    {
      content: "I will fix the discount and note it.",
      tool_calls: [
        {
          name: "edit_file",
          arguments: {
            path: "src/cart.js",
            edits: [
              {
                old: "  return sum - discountPercent;",
                new: "  return Math.round(sum * (1 - discountPercent / 100));",
              },
            ],
          },
        },
        { name: "write_file", arguments: { path: "NOTES.md", content: "The discount is a percentage.\n" } },
      ],
    },
    { tool_calls: [{ name: "run_command", arguments: { command: "npm test", timeout_s: 60 } }] },
    { content: "Fixed the discount; `npm test` passes." },
    { content: `Apply the discount as a percentage of the sum:\n\n\`\`\`js\n${FIXED_LINE}\n\`\`\`\n` },
  ],
};

describe("agent tasks and the Chat view in a real VS Code", function () {
  let vscode: VsCode;
  let scripted: ScriptedVsCode | undefined;

  before(async function () {
    scripted = await startScriptedVsCode(SCRIPT, {
      files: fixtureFiles(path.join(REPO_ROOT, "test/fixtures/agentRepo")),
    });
    vscode = scripted.vscode;
  });
  after(async () => {
    await scripted?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode
        .screenshot(`failed-tasks-${this.currentTest.title.replace(/\W+/g, "-")}`)
        .catch(() => "");
      process.stderr.write(`screenshot: ${file}\nBora log tail:\n${vscode.boraLog().slice(-3000)}\n`);
    }
  });

  /** The Chat view's document: a webview view is two nested iframes. */
  const chat = (): FrameLocator => vscode.page.frameLocator("iframe.webview").frameLocator("#active-frame");
  const file = (relative: string): string => path.join(vscode.workspace, relative);

  it("Explain Selection streams the answer into the Chat view, rendered as Markdown", async () => {
    await openFile(vscode, "src/cart.js");
    await selectLines(vscode.page, 1, 6);
    await runCommand(vscode.page, "Bora: Explain Selection");
    const answer = chat().locator(".answer").first();
    await answer.locator("strong", { hasText: "subtracts" }).waitFor({ timeout: HANG_MS });
    await answer.locator("code", { hasText: "cartTotal" }).waitFor({ timeout: HANG_MS });
    await waitFor("the whole answer", async () => (await answer.innerText()).includes("as if it were cents"), HANG_MS);
    // The question names what it was about.
    assert.match(await chat().locator(".turn .question").first().innerText(), /^Explain src\/cart\.js:1-6$/);
    await vscode.screenshot("tasks-01-explain-in-chat");
  });

  it("Run Task asks before a command, runs after Allow, and the review's Undo restores one file exactly", async () => {
    const cartBefore = sha256(readFileSync(file("src/cart.js")));
    await runCommand(vscode.page, "Bora: Run Task");
    const input = vscode.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ timeout: HANG_MS });
    await input.fill("fix the failing cart test");
    await input.press("Enter");
    // The Chat view is open, so the approval is answered in it: the pending row has the three
    // answers, and a notification points there until it is answered.
    const row = chat().locator(".approval.pending", { hasText: "npm test" });
    await row.waitFor({ timeout: HANG_MS });
    for (const label of ["Allow once", "Always for this workspace", "Deny"]) {
      await row.getByRole("button", { name: label }).waitFor({ timeout: HANG_MS });
    }
    const pointer = vscode.page.locator(".notifications-toasts .notification-list-item", {
      hasText: /^Answer in the Bora Chat view: Bora \(fix the failing cart test\) wants to run a command: npm test/,
    });
    await pointer.waitFor({ timeout: HANG_MS });
    await vscode.screenshot("tasks-02-approval");
    await row.getByRole("button", { name: "Allow once" }).click();
    await chat().locator(".approval.allowed", { hasText: "npm test" }).waitFor({ timeout: HANG_MS });
    await pointer.waitFor({ state: "detached", timeout: HANG_MS });
    await chat().locator(".answer", { hasText: "passes" }).waitFor({ timeout: HANG_MS });
    await chat().locator(".tool.ok", { hasText: "run_command: npm test" }).waitFor({ timeout: HANG_MS });
    // The review lists both changed files.
    const review = chat().locator("#review");
    await review.locator("li", { hasText: "src/cart.js" }).waitFor({ timeout: HANG_MS });
    await review.locator("li", { hasText: "NOTES.md" }).waitFor({ timeout: HANG_MS });
    assert.notEqual(sha256(readFileSync(file("src/cart.js"))), cartBefore, "the task changed cart.js");
    await vscode.screenshot("tasks-03-review");
    await review.locator("li", { hasText: "src/cart.js" }).getByRole("button", { name: "Undo" }).click();
    // git's checkout-index replaces a file by unlinking it first, so a poll can land in the moment
    // the file is missing: that is "not restored yet", not a failure.
    await waitFor(
      "cart.js to be restored",
      () => {
        try {
          return sha256(readFileSync(file("src/cart.js"))) === cartBefore;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
          throw error;
        }
      },
      HANG_MS,
    );
    await review.locator("li.undone", { hasText: "src/cart.js" }).waitFor({ timeout: HANG_MS });
    assert.equal(readFileSync(file("NOTES.md"), "utf8"), "The discount is a percentage.\n", "NOTES.md is kept");
    await vscode.screenshot("tasks-04-undone-one");
  });

  it("a chat answer's code block applies as a pending inline edit that Accept writes", async () => {
    const cart = file("src/cart.js");
    const before = readFileSync(cart, "utf8");
    assert.ok(before.includes(BROKEN_LINE), "the earlier test put cart.js back");
    await openFile(vscode, "src/cart.js");
    const line = before.split("\n").indexOf(BROKEN_LINE) + 1;
    await selectLines(vscode.page, line, line);
    const input = chat().locator("#input");
    await input.fill("how should the discount be applied?");
    await input.press("Enter");
    const turn = chat().locator(".turn").nth(2);
    await turn.locator(".code-block code", { hasText: "Math.round" }).waitFor({ timeout: HANG_MS });
    await vscode.screenshot("tasks-05-chat-code-block");
    await turn.getByRole("button", { name: "Apply" }).click();
    // The block arrives in the editor as Bora's usual pending diff, decided with Accept.
    const accept = vscode.page.locator(".monaco-editor .codelens-decoration a", { hasText: /^Accept \(/ });
    await accept.first().waitFor({ timeout: HANG_MS });
    await waitForEditorLine(vscode.page, FIXED_LINE);
    await vscode.screenshot("tasks-06-applied-pending");
    await vscode.page.keyboard.press("Control+Enter");
    await accept.first().waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    await waitForDisk(cart, before.replace(BROKEN_LINE, FIXED_LINE));
  });
});
