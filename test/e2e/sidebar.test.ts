/**
 * Issue to PR from the sidebar in a real VS Code (code-server + Chromium), as a user does it:
 * **Bora: Configure Integrations…** sets up GitHub (the server's URL and a token typed into the
 * flow, kept in secret storage, checked: "signed in as bora-bot"); the Work Items tree lists the
 * GitHub fake's issue assigned to the user; Start Issue → PR on it runs
 * the whole durable flow (real host, embedded PostgreSQL, git pushed to a real HTTP remote, the
 * GitHub fake) with a scripted model; the Tasks tree shows the task waiting, the badge counts it,
 * the user approves it in the tree, and the task ends with its PR: the fake holds exactly one PR and
 * one comment. Screenshots of each state are kept under the run's folder.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GitHubFake } from "../fakes/github.js";
import { GitRemoteFake } from "../fakes/gitRemote.js";
import { SECRETS } from "../integration/integrations/support.js";
import { createShopRepo } from "../integration/workflows/support/shopRepo.js";
import { HANG_MS, runCommand, type VsCode } from "./support/codeServer.js";
import { shopFixScript, sidebarDriver, workspaceAsCheckout } from "./support/sidebar.js";
import { startScriptedVsCode, type ScriptedVsCode } from "./support/scriptedVsCode.js";
import { waitFor } from "../support/hostProcess.js";

const REPO = "acme/shop";

describe("issue to PR from the sidebar in a real VS Code", function () {
  // A whole durable task: the embedded PostgreSQL's first start, the agent, the checks, the push.
  this.timeout(600_000);
  let vscode: VsCode;
  let scripted: ScriptedVsCode | undefined;
  let github: GitHubFake;
  let remote: GitRemoteFake;
  let tmp: string;
  let number: number;
  const shots: string[] = [];

  before(async function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), "bora-e2e-sidebar-"));
    const seed = path.join(tmp, "seed");
    createShopRepo(seed);
    github = await new GitHubFake().start();
    github.addToken(SECRETS.github, "bora-bot");
    github.addRepo(REPO, { defaultBranch: "main" });
    number = github.addIssue(REPO, {
      title: "Discount is multiplied in instead of taken off",
      assignee: "bora-bot",
    });
    remote = await new GitRemoteFake(SECRETS.github).start();
    remote.createRepo(`${REPO}.git`, seed);
    scripted = await startScriptedVsCode(shopFixScript(), { settings: { "bora.workflows.approve": true } });
    vscode = scripted.vscode;
    // The workspace is a checkout of the remote, as a developer's is (fetched from the seed: the
    // remote's server runs in this process, which a synchronous git call would block).
    workspaceAsCheckout(vscode, seed, remote.repoUrl(`${REPO}.git`));
  });

  after(async () => {
    await scripted?.close();
    await github?.close();
    await remote?.close();
    rmSync(tmp, { recursive: true, force: true });
    if (shots.length > 0) process.stderr.write(`sidebar screenshots:\n${shots.join("\n")}\n`);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode
        .screenshot(`failed-sidebar-${this.currentTest.title.replace(/\W+/g, "-")}`)
        .catch(() => "");
      process.stderr.write(`screenshot: ${file}\nBora log tail:\n${vscode.boraLog().slice(-3000)}\n`);
    }
  });

  const { view, row, answer } = sidebarDriver(() => vscode);

  it("configures GitHub in the guided flow: the token goes to secret storage and is checked", async () => {
    await runCommand(vscode.page, "Bora: Configure Integrations");
    await answer(/Bora: Configure Integrations/, "GitHub Enterprise Server");
    // The fake serves GitHub's REST API on loopback, as an Enterprise server's /api/v3 would.
    await answer(/GitHub Enterprise Server \(1\/2\)/, github.url);
    await answer(/GitHub Enterprise Server \(2\/2\)/, SECRETS.github);
    await vscode.page
      .locator(".notifications-toasts .notification-list-item", {
        hasText: "GitHub Enterprise Server is set up: signed in as bora-bot.",
      })
      .waitFor({ timeout: HANG_MS });
    shots.push(await vscode.screenshot("sidebar-0-github-configured"));
    assert.doesNotMatch(vscode.boraLog(), new RegExp(SECRETS.github), "the token is in no log");
  });

  it("lists the issue assigned to the user, starts it, waits for approval in the Tasks tree, and ends with one PR", async () => {
    await vscode.page.locator('.activitybar .action-item .action-label[aria-label^="Bora"]').click();
    const item = row("Work Items", `${REPO}#${number}`);
    await item.waitFor({ timeout: HANG_MS });
    shots.push(await vscode.screenshot("sidebar-1-work-items"));

    await item.hover();
    await item.getByRole("button", { name: "Start Issue → PR…" }).click();

    const task = row("Tasks", `Issue to PR: ${REPO}#${number}`);
    await view("Tasks").locator(".monaco-list-row", { hasText: "Needs you" }).waitFor({ timeout: 300_000 });
    await task.waitFor({ timeout: HANG_MS });
    shots.push(await vscode.screenshot("sidebar-2-waiting-for-approval"));
    // The container's badge counts the task waiting for the user (its label then names the count too).
    await vscode.page
      .locator('.activitybar .action-item:has(.action-label[aria-label^="Bora"]) .badge-content', { hasText: "1" })
      .waitFor({ timeout: HANG_MS });
    assert.equal(github.repoState(REPO).pulls.length, 0, "nothing is opened before the approval");

    await task.hover();
    await task.getByRole("button", { name: "Approve Task…" }).click();
    await view("Tasks").locator(".monaco-list-row", { hasText: "Finished" }).waitFor({ timeout: 240_000 });
    shots.push(await vscode.screenshot("sidebar-3-finished"));

    const prs = await waitFor(
      "the pull request",
      () => {
        const pulls = github.repoState(REPO).pulls.filter((p) => p.head.startsWith(`bora/acme-shop-${number}-`));
        return pulls.length > 0 ? pulls : undefined;
      },
      HANG_MS,
    );
    assert.equal(prs.length, 1, "one PR");
    const comments = (github.repoState(REPO).comments.get(number) ?? []).filter((c) => c.body.includes("<!-- bora:"));
    assert.equal(comments.length, 1, "one comment on the issue");
    const finished = row("Tasks", `Issue to PR: ${REPO}#${number}`);
    await finished.hover();
    await finished.getByRole("button", { name: "Open Task's Pull Request" }).waitFor({ timeout: HANG_MS });
    const notes = await vscode.notifications();
    assert.ok(
      notes.some((n) => /needs you/.test(n)) && notes.some((n) => /pull request opened/.test(n)),
      `the user was told when the task needed them and when its PR opened:\n${notes.join("\n")}`,
    );
  });
});
