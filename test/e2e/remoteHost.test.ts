/**
 * The extension against a remote agent host (`bora serve --websocket`): started by the test with a
 * token file, the editor pointed at it by `bora.agentHost.url`. The user connects with
 * **Bora: Connect to Remote Agent Host…**: a wrong token is refused with a notification that names
 * the token and offers Retry; the right one connects, the status bar names the remote host, and no
 * host is spawned locally.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { REPO_ROOT } from "../support/paths.js";
import { exitOf, spawnCli, waitFor } from "../support/hostProcess.js";
import {
  HANG_MS,
  countMatches,
  descendantPids,
  fixtureFiles,
  runCommand,
  startVsCode,
  waitForNotification,
  waitForStatus,
  type VsCode,
} from "./support/codeServer.js";

const TOKEN = "e2e-remote-host-token-5c1f02";
const REFUSED = "refused the token: set it with Bora: Connect to Remote Agent Host";
const LOCAL_HOST_PROCESS = /server\/dist\/bora\.mjs serve/;

describe("Bora with a remote agent host (bora serve --websocket)", function () {
  let dir: string;
  let host: ChildProcessWithoutNullStreams | undefined;
  let hostStderr = "";
  let url = "";
  let vscode: VsCode;

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "bora-e2e-remote-"));
    const tokenFile = path.join(dir, "token");
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    host = spawnCli(["serve", "--websocket", "127.0.0.1:0", "--token-file", tokenFile], {
      // The host's own folders, never the user's.
      env: { BORA_MODELS_DIR: path.join(dir, "models"), BORA_STATE_DIR: path.join(dir, "state") },
    });
    host.stdin.end();
    host.stderr.on("data", (chunk: Buffer) => (hostStderr += chunk.toString()));
    url = await waitFor("the remote host to listen", () => /listening on (ws:\/\/\S+)/.exec(hostStderr)?.[1], 30_000, {
      seen: () => hostStderr,
    });
    vscode = await startVsCode({
      files: fixtureFiles(path.join(REPO_ROOT, "test/fixtures/workspace")),
      settings: { "bora.agentHost.url": url },
    });
  });

  after(async () => {
    await vscode?.close();
    if (host !== undefined && host.exitCode === null && host.signalCode === null) {
      host.kill("SIGTERM");
      await exitOf(host);
    }
    rmSync(dir, { recursive: true, force: true });
    assert.doesNotMatch(hostStderr, /network guard: blocked/);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode.screenshot(`failed-${this.currentTest.title.replace(/\W+/g, "-")}`).catch(() => "");
      process.stderr.write(
        `screenshot: ${file}\nstatus-bar texts: ${JSON.stringify(await vscode.statusHistory().catch(() => []))}\n` +
          `host stderr:\n${hostStderr.slice(-3000)}\nBora log tail:\n${vscode.boraLog().slice(-3000)}\n`,
      );
    }
  });

  /** Runs Connect to Remote Agent Host… and types the URL and the token. */
  async function connect(token: string): Promise<void> {
    await runCommand(vscode.page, "Bora: Connect to Remote Agent Host");
    const urlBox = vscode.page.locator(".quick-input-widget input:not([type='password'])");
    await urlBox.waitFor();
    await urlBox.fill(url);
    await urlBox.press("Enter");
    const tokenBox = vscode.page.locator(".quick-input-widget input[type='password']");
    await tokenBox.waitFor();
    await tokenBox.fill(token);
    await tokenBox.press("Enter");
  }

  it("refuses a wrong token with a notification that offers Retry", async () => {
    // Without a stored token the first start is refused already; the wrong token must be refused again.
    await waitFor("the tokenless start to be refused", () => /no token/.test(hostStderr), HANG_MS, {
      seen: () => hostStderr,
    });
    // VS Code shows an identical message once, so the refusals are counted in the Bora log.
    const refusedBefore = countMatches(vscode.boraLog(), /refused the token/);
    await connect(`${TOKEN}-wrong`);
    await waitFor("the wrong token to reach the host", () => /a wrong token/.test(hostStderr), HANG_MS, {
      seen: () => hostStderr,
    });
    await waitFor(
      "the refusal in the Bora log",
      () => countMatches(vscode.boraLog(), /refused the token/) > refusedBefore,
      HANG_MS,
    );
    await waitForNotification(vscode, REFUSED);
    const toast = vscode.page.locator(".notifications-toasts .notification-toast", { hasText: REFUSED }).last();
    await toast.waitFor();
    await toast.locator(".monaco-button", { hasText: "Retry" }).waitFor();
    // The toast slides in; the screenshot waits until it is all there.
    await vscode.page
      .locator(".notifications-toasts .notification-fade-in-done", { hasText: REFUSED })
      .first()
      .waitFor({ timeout: HANG_MS });
    await waitForStatus(vscode, /Bora: disconnected · remote 127\.0\.0\.1:\d+/);
    await vscode.screenshot("remote-01-token-refused");
    // One try per Connect: the settings listener and the command do not both connect.
    assert.equal(countMatches(hostStderr, /a wrong token/), 1);
    assert.deepEqual(descendantPids(vscode.pid, LOCAL_HOST_PROCESS), [], "no host was spawned locally");
    assert.equal(hostStderr.includes(TOKEN), false, "the token is never in the host's log");
  });

  it("connects with the right token and names the remote host in the status bar and the Tasks view", async () => {
    await runCommand(vscode.page, "Notifications: Clear All Notifications");
    await connect(TOKEN);
    await waitFor("the host to start a session", () => countMatches(hostStderr, /session started/) === 1, HANG_MS, {
      seen: () => hostStderr,
    });
    await waitForStatus(vscode, /Bora: ready · .* · remote 127\.0\.0\.1:\d+/);
    await vscode.page.locator('.activitybar .action-item .action-label[aria-label^="Bora"]').click();
    await vscode.page
      .locator(".pane-header", { hasText: "Tasks" })
      .locator(".description", { hasText: /remote 127\.0\.0\.1:\d+/ })
      .waitFor({ timeout: HANG_MS });
    await vscode.screenshot("remote-02-connected");
    assert.deepEqual(descendantPids(vscode.pid, LOCAL_HOST_PROCESS), [], "no host was spawned locally");
    assert.match(vscode.boraLog(), /connecting to the agent host at ws:\/\/127\.0\.0\.1:\d+\/lsp with a token/);
    assert.equal(vscode.boraLog().includes(TOKEN), false, "the token is never in the Bora log");
    assert.equal(hostStderr.includes(TOKEN), false, "the token is never in the host's log");
  });

  it("says the connection to the remote host was lost, with Retry, when the host goes away", async () => {
    assert.ok(host !== undefined);
    host.kill("SIGTERM");
    const exited = await Promise.race([
      exitOf(host),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000).unref()),
    ]);
    assert.ok(exited, `the host did not exit within 30 s of SIGTERM:\n${hostStderr.slice(-2000)}`);
    const lost = "Bora lost the connection to the agent host at ws://127.0.0.1:";
    await waitForNotification(vscode, lost);
    await vscode.page
      .locator(".notifications-toasts .notification-toast", { hasText: lost })
      .locator(".monaco-button", { hasText: "Retry" })
      .waitFor();
    await waitForStatus(vscode, /Bora: disconnected · remote 127\.0\.0\.1:\d+/);
    await vscode.screenshot("remote-03-connection-lost");
    assert.deepEqual(descendantPids(vscode.pid, LOCAL_HOST_PROCESS), [], "nothing was spawned locally instead");
  });
});
