/**
 * What a new user meets in a real VS Code (code-server + Chromium): with no model the status bar says
 * so, without a check mark, and a click (or the tooltip's link) opens Bora: Pull Model; a failed
 * pull shows the host's message once, with a button; a pulled model becomes the chat model when
 * none is set (and Undo puts the setting back), or is offered for chat or edits and stays in the
 * status bar until the user chooses; a missing model is shown with its problem. Each settings change
 * reaches the host by its pulling the settings (the client pushes none): the status bar follows it.
 */
import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { ensureTestModel } from "../support/testModels.js";
import { runCommand, startVsCode, type VsCode } from "./support/codeServer.js";

/** The user settings of the code-server instance (`scripts/codeServerLaunch.mjs` puts them next to the workspace). */
function userSettingsFile(vscode: VsCode): string {
  return path.join(path.dirname(vscode.workspace), "user-data/User/settings.json");
}

function readUserSettings(vscode: VsCode): Record<string, unknown> {
  return JSON.parse(readFileSync(userSettingsFile(vscode), "utf8")) as Record<string, unknown>;
}

/** Sets a string setting as a user would, in the Settings editor; an empty value unsets it. */
async function setSetting(vscode: VsCode, key: string, value: string): Promise<void> {
  const page = vscode.page;
  await runCommand(page, "Preferences: Open User Settings");
  const search = page.locator(
    ".settings-editor .settings-header .suggest-input-container textarea, .settings-editor .settings-header textarea",
  );
  await search.first().waitFor({ timeout: 15_000 });
  await search.first().focus();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(key);
  const input = page.locator(`.settings-editor [data-key="${key}"] input`);
  await input.first().waitFor({ timeout: 15_000 });
  await input.first().fill(value);
  await input.first().press("Tab");
  await waitForSetting(vscode, key, value === "" ? undefined : value);
  // Closed with a click: the Settings editor takes the focus back when it redraws the changed
  // setting, which would close a command palette opened meanwhile.
  const tab = page.locator(".tabs-container .tab", { hasText: "Settings" });
  await tab.locator(".tab-actions .action-label").first().click();
  await tab.waitFor({ state: "detached" });
}

async function waitForSetting(vscode: VsCode, key: string, expected: string | undefined): Promise<void> {
  const deadline = Date.now() + 20_000;
  let actual: unknown;
  while (Date.now() < deadline) {
    try {
      actual = readUserSettings(vscode)[key];
    } catch {
      // Read while VS Code wrote it: try again.
    }
    // An empty string setting is the same as an unset one (the settings' default is empty).
    if ((actual === "" ? undefined : actual) === expected) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${key} is ${JSON.stringify(actual)} in the user settings, expected ${JSON.stringify(expected)}`);
}

function toast(page: Page, text: string | RegExp): Locator {
  return page.locator(".notifications-toasts .notification-toast", { hasText: text });
}

async function pullModel(page: Page, uri: string): Promise<void> {
  await runCommand(page, "Bora: Pull Model");
  const box = page.locator(".quick-input-widget .quick-input-box input");
  await page.locator(".quick-input-widget .quick-input-title", { hasText: "Bora: Pull Model" }).waitFor();
  await box.fill(uri);
  await box.press("Enter");
}

async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, "Notifications: Clear All Notifications");
  await page.locator(".notifications-toasts .notification-toast").first().waitFor({ state: "detached" });
}

describe("Bora's problems and their fixes in a real VS Code", function () {
  let vscode: VsCode;
  let tinyModel: string;

  before(async function () {
    tinyModel = await ensureTestModel("tiny");
    vscode = await startVsCode({ files: { "README.md": "# e2e\n" } });
  });
  after(async () => {
    await vscode?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode
        .screenshot(`failed-problems-${this.currentTest.title.replace(/\W+/g, "-")}`)
        .catch(() => "");
      process.stderr.write(`screenshot: ${file}\ncode-server log tail:\n${vscode.log().slice(-3000)}\n`);
    }
  });

  const statusItem = () => vscode.page.locator("#workbench\\.parts\\.statusbar .statusbar-item", { hasText: /Bora:/ });
  const pullBox = () => vscode.page.locator(".quick-input-widget .quick-input-title", { hasText: "Bora: Pull Model" });

  it("says there is no model, without a check mark, and a click opens Bora: Pull Model", async () => {
    await statusItem().filter({ hasText: "Bora: ready · no model" }).waitFor({ timeout: 90_000 });
    assert.equal(await statusItem().locator(".codicon-check").count(), 0, "no check mark while nothing can run");
    // The tooltip links the fix; a link runs only because the tooltip trusts that command.
    await statusItem().hover();
    const link = vscode.page.locator(".monaco-hover a, .workbench-hover a", { hasText: "Pull Model" });
    await link.first().waitFor({ timeout: 15_000 });
    await vscode.screenshot("problems-01-no-model-tooltip");
    await link.first().click();
    await pullBox().waitFor({ timeout: 15_000 });
    await vscode.page.keyboard.press("Escape");
    await pullBox().waitFor({ state: "hidden" });
    await statusItem().click();
    await pullBox().waitFor({ timeout: 15_000 });
    await vscode.page.keyboard.press("Escape");
  });

  it("shows a failed pull once, as the host words it, with Open Logs", async () => {
    await pullModel(vscode.page, "/nonexistent/bora-e2e/missing.gguf");
    const failed = toast(vscode.page, /Bora: .*missing\.gguf/);
    await failed.waitFor({ timeout: 30_000 });
    await failed.locator(".monaco-button", { hasText: "Open Logs" }).waitFor();
    assert.equal(await toast(vscode.page, /Bora: .*missing\.gguf/).count(), 1);
    await vscode.screenshot("problems-02-pull-failed");
    await clearNotifications(vscode.page);
  });

  it("makes a pulled model the chat model when none is set, and Undo puts the setting back", async () => {
    const name = path.basename(tinyModel, ".gguf");
    await pullModel(vscode.page, tinyModel);
    const used = toast(vscode.page, `${name} is in the model store and is now the chat model`);
    await used.waitFor({ timeout: 60_000 });
    // VS Code hides an information toast after 15 s unless the mouse is on it; keep it for Undo.
    await used.hover();
    await waitForSetting(vscode, "bora.models.chat", name);
    // The host pulled the new settings and found the model by its store name: it runs, with the check
    // mark (the status bar names the model as its GGUF metadata does, not by its file).
    await statusItem()
      .filter({ hasText: "Bora: ready ·" })
      .filter({ hasNotText: /no model|model missing|loading/ })
      .waitFor({ timeout: 60_000 });
    assert.equal(await statusItem().locator(".codicon-check").count(), 1, "a check mark once the model runs");
    await vscode.screenshot("problems-03-used-for-chat");
    await used.locator(".monaco-button", { hasText: "Undo" }).click();
    await waitForSetting(vscode, "bora.models.chat", undefined);
    await statusItem().filter({ hasText: "Bora: ready · no model" }).waitFor({ timeout: 30_000 });
    await clearNotifications(vscode.page);
  });

  it("offers a pulled model for chat or edits when a chat model is set, and keeps it in the status bar until chosen", async () => {
    await setSetting(vscode, "bora.models.chat", path.basename(tinyModel, ".gguf"));
    await statusItem().filter({ hasNotText: "no model" }).filter({ hasText: "Bora: ready ·" }).waitFor();
    const second = path.join(path.dirname(vscode.workspace), "bora-e2e-second.gguf");
    copyFileSync(tinyModel, second);
    await pullModel(vscode.page, second);
    const offer = toast(vscode.page, "bora-e2e-second is in the model store. Use it for chat or for edits?");
    await offer.waitFor({ timeout: 60_000 });
    await offer.hover();
    await statusItem().filter({ hasText: "bora-e2e-second unused" }).waitFor();
    await vscode.screenshot("problems-04-offer");
    await offer.locator(".monaco-button", { hasText: "Use for Edits" }).click();
    await waitForSetting(vscode, "bora.models.edit", "bora-e2e-second");
    await statusItem().filter({ hasNotText: "unused" }).waitFor();
    await clearNotifications(vscode.page);
  });

  it("shows a missing model with its problem, in the status bar and once as a notification", async () => {
    const missing = "hf:bora-e2e/none/bora-e2e-missing.gguf";
    await setSetting(vscode, "bora.models.edit", "");
    await setSetting(vscode, "bora.models.chat", missing);
    await statusItem().filter({ hasText: "Bora: ready · model missing" }).waitFor({ timeout: 30_000 });
    assert.equal(await statusItem().locator(".codicon-check").count(), 0);
    const shown = toast(vscode.page, /Bora: .*bora-e2e-missing\.gguf/);
    await shown.waitFor({ timeout: 15_000 });
    // The host words it for the editor: the button is Pull Model, and the box it opens holds the reference.
    assert.doesNotMatch((await shown.innerText()).replace(/\s+/g, " "), /bora models pull/, "no terminal command");
    await shown.locator(".monaco-button", { hasText: "Open Logs" }).waitFor();
    await vscode.screenshot("problems-05-model-missing");
    await shown.locator(".monaco-button", { hasText: "Pull Model" }).click();
    await pullBox().waitFor({ timeout: 15_000 });
    const box = vscode.page.locator(".quick-input-widget .quick-input-box input");
    assert.equal(await box.inputValue(), missing);
    await vscode.page.keyboard.press("Escape");
  });
});
