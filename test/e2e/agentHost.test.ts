/**
 * The extension in a real VS Code: it starts the agent host, the status bar shows the host as
 * ready (so client → host over LSP works inside VS Code), the logs are one command away, a
 * restart brings a new host up, a remote API key goes from the secret storage to every new host
 * without being logged, and a crash is shown with a way to the logs and no restart loop.
 *
 * Each step waits for the state it means (see support/codeServer.ts): a host process, a line in the
 * Bora log, a status the status bar has left and come back to; never for time.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { PROTOCOL_VERSION } from "@bora/protocol";
import { REPO_ROOT } from "../support/paths.js";
import {
  countMatches,
  descendantPids,
  fixtureFiles,
  processEnv,
  runCommand,
  startVsCode,
  waitForLog,
  waitForNotification,
  waitForOneProcess,
  waitForOutputChannel,
  waitForOutputShowsLog,
  waitForStatus,
  type VsCode,
} from "./support/codeServer.js";

const HOST_PROCESS = /server\/dist\/bora\.mjs serve/;
const READY = /Bora: ready/;

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
      const status = await vscode.statusHistory().catch(() => []);
      process.stderr.write(
        `screenshot: ${file}\nstatus-bar texts: ${JSON.stringify(status)}\n` +
          `Bora log tail:\n${vscode.boraLog().slice(-3000)}\ncode-server log tail:\n${vscode.log().slice(-3000)}\n`,
      );
    }
  });

  it("shows the agent host as ready in the status bar", async () => {
    await waitForStatus(vscode, READY);
    await vscode.screenshot("01-status-ready");
    assert.equal(descendantPids(vscode.pid, HOST_PROCESS).length, 1, "exactly one agent host runs");
  });

  it("gives the agent host the model store and state folder it was launched with, never the user's", () => {
    const [pid] = descendantPids(vscode.pid, HOST_PROCESS);
    assert.ok(pid, "a host runs");
    const env = processEnv(pid);
    assert.equal(env["BORA_MODELS_DIR"], vscode.boraDirs.modelsDir);
    assert.equal(env["BORA_STATE_DIR"], vscode.boraDirs.stateDir);
  });

  it("opens the Bora log channel with Bora: Show Logs", async () => {
    // The host logs its version exchange once the connection is up.
    const text = await waitForLog(
      vscode,
      new RegExp(`agent host \\S+, protocol ${PROTOCOL_VERSION.replaceAll(".", "\\.")}`),
    );
    await waitForOutputChannel(vscode, "Bora");
    await runCommand(vscode.page, "Bora: Show Logs");
    await waitForOutputShowsLog(vscode);
    assert.match(text, /\[info\] initialize from code-server/);
    assert.doesNotMatch(text, /\[error\]/, `a clean start logs no errors:\n${text}`);
    await vscode.screenshot("02-show-logs");
  });

  it("restarts the host with Bora: Restart Agent Host", async () => {
    await waitForStatus(vscode, READY);
    const before = await waitForOneProcess("the agent host", vscode.pid, HOST_PROCESS);
    const mark = (await vscode.statusHistory()).length;
    await runCommand(vscode.page, "Bora: Restart Agent Host");
    const after = await waitForOneProcess("one new agent host", vscode.pid, HOST_PROCESS, (pid) => pid !== before);
    assert.notEqual(after, before, "a new host process");
    await waitForStatus(vscode, READY, mark);
  });

  it("keeps a remote API key from Bora: Set Remote API Key in secret storage and hands it to every new host", async () => {
    const key = "e2e-remote-key-7d3a91c0";
    const received = /secret remote\.apiKey received from the editor/;
    await waitForStatus(vscode, READY);
    const receivedBefore = countMatches(vscode.boraLog(), received);
    await runCommand(vscode.page, "Bora: Set Remote API Key");
    const box = vscode.page.locator(".quick-input-widget input[type='password']");
    await box.waitFor();
    await box.fill(key);
    await box.press("Enter");
    await waitForNotification(vscode, "remote API key was saved");
    await waitForLog(vscode, received, receivedBefore + 1);
    // A new host gets it again, from the secret storage, without asking.
    const mark = (await vscode.statusHistory()).length;
    await runCommand(vscode.page, "Bora: Restart Agent Host");
    await waitForStatus(vscode, READY, mark);
    const text = await waitForLog(vscode, received, receivedBefore + 2);
    assert.doesNotMatch(text, new RegExp(key), "the key is never logged");
    await runCommand(vscode.page, "Bora: Show Logs");
    await waitForOutputShowsLog(vscode);
    await vscode.screenshot("04-remote-api-key");
  });

  it("shows a crashed host with an Open Logs button and does not restart it on its own", async () => {
    // Crash a host that is up, not one still starting (that would be a failed start, another path).
    await waitForStatus(vscode, READY);
    const pid = await waitForOneProcess("the agent host", vscode.pid, HOST_PROCESS);
    process.kill(pid, "SIGKILL");
    await waitForStatus(vscode, /Bora: host stopped/);
    await waitForNotification(vscode, "The Bora agent host stopped unexpectedly.");
    const toast = vscode.page.locator(".notifications-toasts .notification-toast", {
      hasText: "The Bora agent host stopped unexpectedly.",
    });
    await toast.waitFor();
    await vscode.screenshot("03-host-crashed");
    // No restart loop: the language client has decided (and logged) that it will not restart the
    // host, and no host runs after that decision.
    await waitForLog(vscode, /Server will not be restarted/);
    assert.deepEqual(descendantPids(vscode.pid, HOST_PROCESS), []);
    await toast.locator(".monaco-button", { hasText: "Open Logs" }).click();
    await waitForOutputShowsLog(vscode);
    assert.match(vscode.boraLog(), /agent host \S+, protocol /);
    assert.deepEqual(descendantPids(vscode.pid, HOST_PROCESS), [], "still no host after the logs were opened");
    assert.match((await vscode.statusHistory()).at(-1) ?? "", /Bora: host stopped/);
  });
});
