/**
 * Sentry in the sidebar, and an agent host killed in the middle of an issue-to-PR task, in a real VS
 * Code (code-server + Chromium) driven as a user does it:
 * - **Bora: Configure Integrations…** sets up Sentry against its fake (site, organization, project,
 *   and the token typed into the flow, checked: "signed in as acme/shop"); the Work Items tree lists
 *   the Sentry error under its group; **Show Details** shows its stack trace with the frame in the
 *   workspace's `src/cart.js` linked; the Problems panel shows the error as a warning from "Sentry"
 *   with its event count on that file's line.
 * - GitHub set up the same way; the issue is past the tree's first page, and **Load more…** under
 *   the GitHub group (with the tree filtered) brings it; Start Issue → PR runs the durable flow with a scripted model that
 *   streams slowly; while the agent step runs, the host process is killed; **Restart Agent Host** on
 *   the crash message brings a new host, which resumes the task: it finishes with **Open PR**, and
 *   the GitHub fake holds exactly one PR.
 * Screenshots of each state are kept under test-results/e2e.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GitHubFake } from "../fakes/github.js";
import { GitRemoteFake } from "../fakes/gitRemote.js";
import { SentryFake } from "../fakes/sentry.js";
import { SECRETS } from "../integration/integrations/support.js";
import { createShopRepo } from "../integration/workflows/support/shopRepo.js";
import { waitFor } from "../support/hostProcess.js";
import {
  descendantPids,
  HANG_MS,
  runCommand,
  waitForNotification,
  waitForOneProcess,
  waitForStatus,
  type VsCode,
} from "./support/codeServer.js";
import { shopFixScript, sidebarDriver, workspaceAsCheckout } from "./support/sidebar.js";
import { startScriptedVsCode, type ScriptedVsCode } from "./support/scriptedVsCode.js";

const REPO = "acme/shop";
const HOST_PROCESS = /server\/dist\/bora\.mjs serve/;
/**
 * Between the scripted model's streamed words: its first answer (nine words) then takes over ten
 * seconds, long enough to see the agent step running and kill the host inside it.
 */
const CHUNK_DELAY_MS = 1_500;
/** Issues assigned to the user besides the one the task is for: the GitHub group's first page is 50. */
const FILLER_ISSUES = 55;

describe("Sentry in the sidebar and a host killed mid-task, in a real VS Code", function () {
  // A whole durable task twice over (killed, then resumed): PostgreSQL's first start, the agent, the push.
  this.timeout(600_000);
  let vscode: VsCode;
  let scripted: ScriptedVsCode | undefined;
  let github: GitHubFake;
  let sentry: SentryFake;
  let remote: GitRemoteFake;
  let tmp: string;
  let number: number;
  let sentryTitle: string;
  const shots: string[] = [];

  before(async function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), "bora-e2e-sidebar-sentry-"));
    const seed = path.join(tmp, "seed");
    createShopRepo(seed);
    github = await new GitHubFake().start();
    github.addToken(SECRETS.github, "bora-bot");
    github.addRepo(REPO, { defaultBranch: "main" });
    number = github.addIssue(REPO, { title: "Discount is multiplied in instead of taken off", assignee: "bora-bot" });
    // Newer issues than it, more than the tree's first page (50): it is found with Load more….
    for (let i = 1; i <= FILLER_ISSUES; i++)
      github.addIssue(REPO, { title: `Backlog chore ${i}`, assignee: "bora-bot" });
    sentry = await new SentryFake("acme", SECRETS.sentry).start();
    sentry.addProject("shop");
    sentryTitle = "TypeError: discount.toFixed is not a function";
    sentry.addIssue("shop", {
      title: sentryTitle,
      count: 42,
      users: 7,
      frames: [
        { absPath: "/srv/app/node_modules/express/lib/router.js", function: "handle", lineNo: 120, inApp: false },
        { absPath: "/srv/app/src/cart.js", function: "total", lineNo: 1 },
      ],
    });
    remote = await new GitRemoteFake(SECRETS.github).start();
    remote.createRepo(`${REPO}.git`, seed);
    scripted = await startScriptedVsCode(shopFixScript({ chunkDelayMs: CHUNK_DELAY_MS }), {
      settings: { "bora.workflows.approve": false },
    });
    vscode = scripted.vscode;
    // The workspace is a checkout of the remote, as a developer's is (see sidebar.test.ts).
    workspaceAsCheckout(vscode, seed, remote.repoUrl(`${REPO}.git`));
  });

  after(async () => {
    await scripted?.close();
    await github?.close();
    await sentry?.close();
    await remote?.close();
    rmSync(tmp, { recursive: true, force: true });
    if (shots.length > 0) process.stderr.write(`sidebar (Sentry, host kill) screenshots:\n${shots.join("\n")}\n`);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode
        .screenshot(`failed-sidebarSentry-${this.currentTest.title.replace(/\W+/g, "-")}`)
        .catch(() => "");
      process.stderr.write(`screenshot: ${file}\nBora log tail:\n${vscode.boraLog().slice(-4000)}\n`);
    }
  });

  const { view, row, answer } = sidebarDriver(() => vscode);

  it("configures Sentry in the guided flow: the token goes to secret storage and is checked", async () => {
    await runCommand(vscode.page, "Bora: Configure Integrations");
    await answer(/Bora: Configure Integrations/, "Sentry");
    await answer(/Sentry \(1\/4\)/, sentry.url);
    await answer(/Sentry \(2\/4\)/, "acme");
    await answer(/Sentry \(3\/4\)/, "shop");
    await answer(/Sentry \(4\/4\)/, SECRETS.sentry);
    await waitForNotification(vscode, "Sentry is set up: signed in as acme/shop.");
    shots.push(await vscode.screenshot("sidebarSentry-0-sentry-configured"));
    assert.doesNotMatch(vscode.boraLog(), new RegExp(SECRETS.sentry), "the token is in no log");
  });

  it("lists the Sentry error under its group, shows its stack trace linked to the workspace file, and a warning in Problems", async () => {
    await vscode.page.locator('.activitybar .action-item .action-label[aria-label^="Bora"]').click();
    await row("Work Items", /^Sentry/).waitFor({ timeout: HANG_MS });
    const item = row("Work Items", sentryTitle);
    await item.waitFor({ timeout: HANG_MS });
    shots.push(await vscode.screenshot("sidebarSentry-1-work-items"));

    // A click on the item is Show Details: a markdown preview with the trace, newest frame first.
    await item.click();
    const preview = vscode.page
      .frameLocator('iframe.webview[src*="markdown-language-features"]')
      .frameLocator("#active-frame");
    const link = preview.locator("a", { hasText: "src/cart.js:1" });
    await link.waitFor({ timeout: HANG_MS });
    const href = (await link.getAttribute("data-href")) ?? (await link.getAttribute("href")) ?? "";
    assert.match(href, /^\/src\/cart\.js#L1$/, `the frame links to the workspace file: ${href}`);
    await preview
      .locator("li", { hasText: "router.js" })
      .filter({ hasText: "(library)" })
      .waitFor({ timeout: HANG_MS });
    shots.push(await vscode.screenshot("sidebarSentry-2-details"));
    // The link opens the workspace's file.
    await link.click();
    await vscode.page.locator(".tabs-container .tab.active", { hasText: "cart.js" }).waitFor({ timeout: HANG_MS });

    await runCommand(vscode.page, "Problems: Focus on Problems View");
    const problem = vscode.page.locator(".markers-panel .monaco-list-row", { hasText: "42 events" });
    await problem.waitFor({ timeout: HANG_MS });
    const text = (await problem.innerText()).replace(/\u00a0/g, " ");
    assert.match(text, /discount\.toFixed is not a function \(42 events, 7 users\)/);
    assert.match(text, /Sentry/);
    assert.match(text, /\[Ln 1, Col 1\]/);
    assert.equal(
      (await vscode.page.locator(".markers-panel .monaco-list-row .codicon-warning", {}).count()) > 0,
      true,
      "a warning",
    );
    shots.push(await vscode.screenshot("sidebarSentry-3-problems"));
  });

  it("resumes an issue-to-PR task after its host was killed mid-run and restarted from the crash message", async () => {
    await runCommand(vscode.page, "Bora: Configure Integrations");
    await answer(/Bora: Configure Integrations/, "GitHub Enterprise Server");
    await answer(/GitHub Enterprise Server \(1\/2\)/, github.url);
    await answer(/GitHub Enterprise Server \(2\/2\)/, SECRETS.github);
    await waitForNotification(vscode, "GitHub Enterprise Server is set up: signed in as bora-bot.");

    // The list is the first page (newest first), so the issue is not in it; the filter narrows the
    // tree to it, and the GitHub group's Load more… asks GitHub for a page more.
    await row("Work Items", /^GitHub\s*50\+/).waitFor({ timeout: HANG_MS });
    await runCommand(vscode.page, "Bora: Filter Work Items");
    await answer(/Bora: Filter Work Items/, "Discount");
    const item = row("Work Items", `${REPO}#${number}: Discount`);
    await row("Work Items", /Nothing matches/).waitFor({ timeout: HANG_MS });
    shots.push(await vscode.screenshot("sidebarSentry-4-load-more-offered"));
    await row("Work Items", "Load more…").click();
    await item.waitFor({ timeout: HANG_MS });
    await row("Work Items", /^GitHub\s*1 matching/).waitFor({ timeout: HANG_MS });
    assert.equal(await row("Work Items", "Load more…").count(), 0, "GitHub has no more");
    shots.push(await vscode.screenshot("sidebarSentry-4-load-more-loaded"));
    await item.hover();
    await item.getByRole("button", { name: "Start Issue → PR…" }).click();

    // The agent step runs (the scripted model streams its first answer slowly): kill the host now.
    const task = row("Tasks", `Issue to PR: ${REPO}#${number}`);
    await task.filter({ hasText: "[agent]" }).waitFor({ timeout: 300_000 });
    shots.push(await vscode.screenshot("sidebarSentry-5-agent-running"));
    const killed = await waitForOneProcess("the agent host", vscode.pid, HOST_PROCESS);
    process.kill(killed, "SIGKILL");
    const toast = vscode.page.locator(".notifications-toasts .notification-toast", {
      hasText: "The Bora agent host stopped unexpectedly.",
    });
    const restart = toast.locator(".monaco-button", { hasText: "Restart Agent Host" });
    await restart.waitFor({ timeout: HANG_MS });
    await waitForStatus(vscode, /Bora: host stopped/);
    assert.equal(github.repoState(REPO).pulls.length, 0, "killed before any PR");
    shots.push(await vscode.screenshot("sidebarSentry-6-host-crashed"));

    const mark = (await vscode.statusHistory()).length;
    await restart.click();
    await waitForOneProcess("a new agent host", vscode.pid, HOST_PROCESS, (pid) => pid !== killed);
    await waitForStatus(vscode, /Bora: ready/, mark);

    await view("Tasks").locator(".monaco-list-row", { hasText: "Finished" }).waitFor({ timeout: 300_000 });
    const finished = row("Tasks", `Issue to PR: ${REPO}#${number}`);
    await finished.hover();
    await finished.getByRole("button", { name: "Open Task's Pull Request" }).waitFor({ timeout: HANG_MS });
    shots.push(await vscode.screenshot("sidebarSentry-7-finished-after-restart"));
    const prs = await waitFor(
      "the pull request",
      () => {
        const pulls = github.repoState(REPO).pulls;
        return pulls.length > 0 ? pulls : undefined;
      },
      HANG_MS,
    );
    assert.equal(prs.length, 1, "exactly one PR, though the task ran its agent step twice");
    assert.ok(prs[0]!.head.startsWith(`bora/acme-shop-${number}-`), prs[0]!.head);
    assert.equal(descendantPids(vscode.pid, HOST_PROCESS).length, 1, "one host runs");
  });
});
