/**
 * A real install: the linux-x64 VSIX that `npm run package` builds is installed with code-server's
 * own installer into an empty extensions folder (nothing links to the checkout), a workspace is
 * opened, a generated model is pulled from a loopback URL through **Bora: Pull Model…**, and an
 * inline edit runs on the engine the VSIX carries, to the accepted result on disk.
 *
 * The model is the generated copy model: after any control token it writes a fixed chain of letters
 * and digits (see `inference/src/testModels/copyChain.ts`), so the edit it proposes is known exactly.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { lstatSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { copyChain } from "@bora/inference";
import { ensureTestModel } from "../support/testModels.js";
import { REPO_ROOT } from "../support/paths.js";
import { startModelFileServer, type ModelFileServer } from "../integration/modelStore/modelFileServer.js";
import { HANG_MS, runCommand, startVsCode, waitForLog, waitForOneProcess, type VsCode } from "./support/codeServer.js";
import { openFile, save, selectLines, waitForDisk, waitForEditorLine } from "./support/editor.js";

/** Packaging builds the bundles and zips about 190 MiB: 45–90 s on two busy cores. */
const PACKAGE_TIMEOUT_MS = 10 * 60_000;

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
const VSIX = path.join(REPO_ROOT, `dist/vsix/bora-linux-x64-${VERSION}.vsix`);

const SOURCE = ["function greet(name) {", "  return 'hello ' + name;", "}", ""].join("\n");

describe("the linux-x64 VSIX installed into a clean code-server", function () {
  let vscode: VsCode;
  let server: ModelFileServer;
  const chain = copyChain();

  before(async function () {
    this.timeout(PACKAGE_TIMEOUT_MS);
    const packaged = spawnSync(process.execPath, ["scripts/package.mjs", "--target", "linux-x64"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(packaged.status, 0, `npm run package failed:\n${packaged.stdout.slice(-4000)}\n${packaged.stderr}`);
    server = await startModelFileServer();
    server.files.set("/models/copy.gguf", { data: readFileSync(await ensureTestModel("copy")) });
    vscode = await startVsCode({
      vsix: VSIX,
      files: { "src/greet.js": SOURCE },
      settings: { "editor.codeLens": true, "bora.host.logLevel": "debug" },
    });
  });
  after(async () => {
    await vscode?.close();
    await server?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode
        .screenshot(`failed-vsix-${this.currentTest.title.replace(/\W+/g, "-")}`)
        .catch(() => "");
      process.stderr.write(`screenshot: ${file}\nBora log tail:\n${vscode.boraLog().slice(-3000)}\n`);
    }
  });

  const statusItem = () => vscode.page.locator("#workbench\\.parts\\.statusbar .statusbar-item", { hasText: /Bora:/ });
  const lens = (title: string | RegExp) =>
    vscode.page.locator(".monaco-editor .codelens-decoration a", { hasText: title });

  it("is installed as a folder of its own, and its host runs from there", async () => {
    const extensions = path.join(path.dirname(vscode.workspace), "extensions");
    const installed = readdirSync(extensions).filter((name) => name.startsWith("bora.bora-"));
    assert.equal(installed.length, 1, `extensions: ${readdirSync(extensions).join(", ")}`);
    const folder = path.join(extensions, installed[0]!);
    assert.ok(!lstatSync(folder).isSymbolicLink(), "the extension is a copy, not a link to the checkout");
    // The host starts at activation (onStartupFinished), forked from the installed bundle.
    const bundle = path.join(folder, "server/dist/bora.mjs").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    await waitForOneProcess("the agent host to run from the installed extension", vscode.pid, new RegExp(bundle));
    await statusItem().filter({ hasText: "Bora: ready · no model" }).waitFor({ timeout: HANG_MS });
  });

  it("pulls a model from a loopback URL with Bora: Pull Model… and makes it the chat model", async () => {
    await runCommand(vscode.page, "Bora: Pull Model");
    await vscode.page.locator(".quick-input-widget .quick-input-title", { hasText: "Bora: Pull Model" }).waitFor();
    const box = vscode.page.locator(".quick-input-widget .quick-input-box input");
    await box.fill(server.url("/models/copy.gguf"));
    await box.press("Enter");
    await vscode.page
      .locator(".notifications-toasts .notification-toast", {
        hasText: "copy is in the model store and is now the chat model",
      })
      .waitFor({ timeout: HANG_MS });
    // The status bar names the model as its GGUF metadata does; the check mark says it runs.
    await statusItem()
      .filter({ hasText: "Bora: ready ·" })
      .filter({ hasNotText: /no model|model missing|loading/ })
      .waitFor({ timeout: HANG_MS });
    assert.equal(await statusItem().locator(".codicon-check").count(), 1, "a check mark once the model runs");
    assert.ok(readdirSync(vscode.boraDirs.modelsDir).includes("copy.gguf"), "the model is in the run's store");
    await vscode.screenshot("vsix-01-model-pulled");
  });

  it("runs an inline edit on the VSIX's engine and accepts it onto disk", async () => {
    await openFile(vscode, "src/greet.js");
    await selectLines(vscode.page, 2, 2);
    await vscode.page.keyboard.press("Control+I");
    await vscode.page
      .locator(".quick-input-widget .quick-input-title", { hasText: "Bora: Edit Selection" })
      .waitFor({ timeout: HANG_MS });
    const input = vscode.page.locator(".quick-input-widget .quick-input-box input");
    await input.fill("say hi instead");
    await input.press("Enter");
    const log = await waitForLog(vscode, /inline edit: (\d+) tokens \((\d+) predicted\)/);
    const generated = Number(/inline edit: (\d+) tokens/.exec(log)?.[1]);
    // The chain is letters and digits only; the host keeps the selection's indentation.
    const proposal = `  ${chain.text(generated)}`;
    await waitForEditorLine(vscode.page, proposal);
    await lens(/^Accept \(/)
      .first()
      .waitFor({ timeout: HANG_MS });
    await vscode.screenshot("vsix-02-inline-edit");
    await vscode.page.keyboard.press("Control+Enter");
    await lens(/^Accept \(/)
      .first()
      .waitFor({ state: "detached", timeout: HANG_MS });
    await save(vscode.page);
    const lines = SOURCE.split("\n");
    await waitForDisk(path.join(vscode.workspace, "src/greet.js"), [lines[0], proposal, ...lines.slice(1)].join("\n"));
  });
});
