/**
 * The extension in a real VS Code: it starts the agent host, the status bar shows the host as
 * ready (so client → host over LSP works inside VS Code), the logs are one command away, a
 * restart brings a new host up, a remote API key goes from the secret storage to every new host
 * without being logged, and a crash is shown with a way to the logs and no restart loop.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { REPO_ROOT } from "../support/paths.js";
import {
  descendantPids,
  fixtureFiles,
  runCommand,
  startVsCode,
  waitForPanelText,
  type VsCode,
} from "./support/codeServer.js";

const HOST_PROCESS = /server\/dist\/bora\.mjs serve/;

describe("Bora in a real VS Code (code-server + Chromium)", function () {
  let vscode: VsCode;

  before(async function () {
    vscode = await startVsCode({ files: fixtureFiles(path.join(REPO_ROOT, "test/fixtures/workspace")) });
  });
  after(async () => {
    await vscode?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode.screenshot(`failed-${this.currentTest.title.replace(/\W+/g, "-")}`).catch(() => "");
      process.stderr.write(`screenshot: ${file}\ncode-server log tail:\n${vscode.log().slice(-3000)}\n`);
    }
  });

  const statusItem = () => vscode.page.locator("#workbench\\.parts\\.statusbar .statusbar-item", { hasText: /Bora:/ });

  it("shows the agent host as ready in the status bar", async () => {
    await statusItem().filter({ hasText: "Bora: ready" }).waitFor({ timeout: 90_000 });
    await vscode.screenshot("01-status-ready");
    assert.equal(descendantPids(vscode.pid, HOST_PROCESS).length, 1, "exactly one agent host runs");
  });

  it("opens the Bora log channel with Bora: Show Logs", async () => {
    await runCommand(vscode.page, "Bora: Show Logs");
    const output = vscode.page.locator(".part.panel .output-view, .part.panel [id='workbench.panel.output']");
    await output.first().waitFor({ timeout: 20_000 });
    // The host logs its version exchange once the connection is up.
    const text = await waitForPanelText(vscode.page, /agent host 0\.1\.0, protocol 0\.1\.0/);
    assert.match(text, /\[info\] initialize from code-server/);
    assert.doesNotMatch(text, /\[error\]/, `a clean start logs no errors:\n${text}`);
    await vscode.screenshot("02-show-logs");
  });

  it("restarts the host with Bora: Restart Agent Host", async () => {
    const before = descendantPids(vscode.pid, HOST_PROCESS);
    await runCommand(vscode.page, "Bora: Restart Agent Host");
    const deadline = Date.now() + 30_000;
    let after: number[] = before;
    while (Date.now() < deadline) {
      after = descendantPids(vscode.pid, HOST_PROCESS);
      if (after.length === 1 && after[0] !== before[0]) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(after.length, 1, "one host after the restart");
    assert.notEqual(after[0], before[0], "a new host process");
    await statusItem().filter({ hasText: "Bora: ready" }).waitFor({ timeout: 30_000 });
  });

  it("keeps a remote API key from Bora: Set Remote API Key in secret storage and hands it to every new host", async () => {
    const key = "e2e-remote-key-7d3a91c0";
    await runCommand(vscode.page, "Bora: Set Remote API Key");
    const box = vscode.page.locator(".quick-input-widget input[type='password']");
    await box.waitFor({ timeout: 15_000 });
    await box.fill(key);
    await box.press("Enter");
    await vscode.page
      .locator(".notifications-toasts .notification-toast", { hasText: "remote API key was saved" })
      .waitFor({ timeout: 15_000 });
    await runCommand(vscode.page, "Bora: Show Logs");
    await waitForPanelText(vscode.page, /secret remote\.apiKey received from the editor/);
    // A new host gets it again, from the secret storage, without asking.
    await runCommand(vscode.page, "Bora: Restart Agent Host");
    await statusItem().filter({ hasText: "Bora: ready" }).waitFor({ timeout: 30_000 });
    await runCommand(vscode.page, "Bora: Show Logs");
    const text = await waitForPanelText(vscode.page, /received from the editor[\s\S]*received from the editor/);
    assert.doesNotMatch(text, new RegExp(key), "the key is never logged");
    await vscode.screenshot("04-remote-api-key");
  });

  it("shows a crashed host with an Open Logs button and does not restart it on its own", async () => {
    const [pid] = descendantPids(vscode.pid, HOST_PROCESS);
    assert.ok(pid, "a host to crash");
    process.kill(pid, "SIGKILL");
    await statusItem().filter({ hasText: "Bora: host stopped" }).waitFor({ timeout: 30_000 });
    const toast = vscode.page.locator(".notifications-toasts .notification-toast", {
      hasText: "The Bora agent host stopped unexpectedly.",
    });
    await toast.waitFor({ timeout: 15_000 });
    await vscode.screenshot("03-host-crashed");
    // No restart loop: a few seconds later there is still no host.
    await new Promise((r) => setTimeout(r, 4000));
    assert.deepEqual(descendantPids(vscode.pid, HOST_PROCESS), []);
    await toast.locator(".monaco-button", { hasText: "Open Logs" }).click();
    await waitForPanelText(vscode.page, /agent host 0\.1\.0/);
  });
});
