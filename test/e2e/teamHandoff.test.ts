/**
 * Hand Off to Team from the Tasks tree in a real VS Code (code-server + Chromium): the user sets up
 * the team queue in **Bora: Configure Integrations…** (the team's PostgreSQL URL typed in, kept in
 * secret storage, checked by listing its tasks), starts Issue → PR on a GitHub issue, and while it
 * waits for approval hands it off from the task's context menu. A real `bora worker` on the team's
 * database takes it from its last recorded step; the tree shows it as the team's, waiting; the user
 * approves it from the tree, and the worker opens the PR: the fake holds exactly one PR and one
 * comment.
 */
import assert from "node:assert/strict";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger } from "../../server/src/host/logger.js";
import { openWorkflowDatabase, type WorkflowDatabase } from "../../server/src/workflows/database.js";
import { Spawner } from "../../server/src/workspace/spawner.js";
import { GitHubFake } from "../fakes/github.js";
import { GitRemoteFake } from "../fakes/gitRemote.js";
import { SECRETS } from "../integration/integrations/support.js";
import { createShopRepo } from "../integration/workflows/support/shopRepo.js";
import { exitOf, spawnCli, waitFor } from "../support/hostProcess.js";
import { HANG_MS, runCommand, type VsCode } from "./support/codeServer.js";
import { startScriptedVsCode, type ScriptedVsCode } from "./support/scriptedVsCode.js";
import { shopFixScript, sidebarDriver, workspaceAsCheckout } from "./support/sidebar.js";

const REPO = "acme/shop";

describe("Hand Off to Team from the Tasks tree in a real VS Code", function () {
  // The editor's embedded PostgreSQL, the team's, a worker, and a whole durable task.
  this.timeout(600_000);
  let vscode: VsCode;
  let scripted: ScriptedVsCode | undefined;
  let github: GitHubFake;
  let remote: GitRemoteFake;
  let spawner: Spawner;
  let database: WorkflowDatabase | undefined;
  let worker: ChildProcessWithoutNullStreams | undefined;
  let workerLog = "";
  let tmp: string;
  let number: number;
  const shots: string[] = [];
  const { view, row, answer } = sidebarDriver(() => vscode);

  before(async function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), "bora-e2e-team-"));
    // As root (CI), PostgreSQL runs as "postgres", which must reach the folders in here.
    chmodSync(tmp, 0o755);
    const seed = path.join(tmp, "seed");
    createShopRepo(seed);
    github = await new GitHubFake().start();
    github.addToken(SECRETS.github, "bora-bot");
    github.addRepo(REPO, { defaultBranch: "main" });
    number = github.addIssue(REPO, { title: "Discount is multiplied in instead of taken off", assignee: "bora-bot" });
    remote = await new GitRemoteFake(SECRETS.github).start();
    remote.createRepo(`${REPO}.git`, seed);
    // The team's database: an embedded PostgreSQL owned by the test, reached by URL, as a team's server is.
    spawner = new Spawner();
    database = await openWorkflowDatabase({
      stateDir: path.join(tmp, "team-db"),
      spawner,
      log: createLogger("warn", { write: () => undefined }),
    });
    scripted = await startScriptedVsCode(shopFixScript(), { settings: { "bora.workflows.approve": true } });
    vscode = scripted.vscode;
    workspaceAsCheckout(vscode, seed, remote.repoUrl(`${REPO}.git`));

    // The team's worker: its own state folder, the team's database, the same trackers.
    worker = spawnCli(["worker", "--concurrency", "1"], {
      env: {
        BORA_STATE_DIR: path.join(tmp, "worker"),
        BORA_EXECUTOR_ID: "team-worker",
        BORA_DATABASE_URL: database.url,
        GITHUB_TOKEN: SECRETS.github,
        BORA_GITHUB_URL: github.url,
        BORA_CRASH_AT: "",
      },
    });
    worker.stdin.end();
    worker.stdout.on("data", (c: Buffer) => (workerLog += c.toString()));
    worker.stderr.on("data", (c: Buffer) => (workerLog += c.toString()));
    await waitFor("the worker to be ready", () => /ready as executor team-worker/.test(workerLog), 120_000, {
      seen: () => workerLog,
    });
  });

  after(async () => {
    if (worker !== undefined && worker.exitCode === null && worker.signalCode === null) {
      worker.kill("SIGTERM");
      await exitOf(worker);
    }
    await scripted?.close();
    await database?.close();
    await spawner?.close();
    await github?.close();
    await remote?.close();
    rmSync(tmp, { recursive: true, force: true });
    if (shots.length > 0) process.stderr.write(`team handoff screenshots:\n${shots.join("\n")}\n`);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && vscode) {
      const file = await vscode
        .screenshot(`failed-teamHandoff-${this.currentTest.title.replace(/\W+/g, "-")}`)
        .catch(() => "");
      process.stderr.write(
        `screenshot: ${file}\nBora log tail:\n${vscode.boraLog().slice(-4000)}\nworker log tail:\n${workerLog.slice(-3000)}\n`,
      );
    }
  });

  it("sets up GitHub and the team queue in the guided flow; the queue's URL is checked by listing its tasks", async () => {
    await runCommand(vscode.page, "Bora: Configure Integrations");
    await answer(/Bora: Configure Integrations/, "GitHub Enterprise Server");
    await answer(/GitHub Enterprise Server \(1\/2\)/, github.url);
    await answer(/GitHub Enterprise Server \(2\/2\)/, SECRETS.github);
    await vscode.page
      .locator(".notifications-toasts .notification-list-item", { hasText: "signed in as bora-bot" })
      .waitFor({ timeout: HANG_MS });

    await runCommand(vscode.page, "Bora: Configure Integrations");
    await answer(/Bora: Configure Integrations/, "Team queue");
    await answer(/Team queue/, database!.url);
    await vscode.page
      .locator(".notifications-toasts .notification-list-item", {
        hasText: "Team queue is set up: no tasks on it yet.",
      })
      .waitFor({ timeout: HANG_MS });
    shots.push(await vscode.screenshot("team-0-queue-configured"));
    const password = new URL(database!.url).password;
    if (password !== "") assert.doesNotMatch(vscode.boraLog(), new RegExp(password), "the password is in no log");
  });

  it("hands a waiting task off from its context menu; the worker takes it, the user approves it in the tree, one PR", async () => {
    await vscode.page.locator('.activitybar .action-item .action-label[aria-label^="Bora"]').click();
    const item = row("Work Items", `${REPO}#${number}`);
    await item.waitFor({ timeout: HANG_MS });
    await item.hover();
    await item.getByRole("button", { name: "Start Issue → PR…" }).click();

    const title = `Issue to PR: ${REPO}#${number}`;
    await view("Tasks").locator(".monaco-list-row", { hasText: "Needs you" }).waitFor({ timeout: 300_000 });
    const task = row("Tasks", title);
    await task.waitFor({ timeout: HANG_MS });
    assert.doesNotMatch((await task.textContent()) ?? "", /team ·/, "a task of this editor's host");
    shots.push(await vscode.screenshot("team-1-waiting-here"));

    await task.click({ button: "right" });
    const menuItem = vscode.page.getByRole("menuitem", { name: /Hand Off Task to Team/ });
    const dialog = vscode.page.locator(".monaco-dialog-box");
    // A click that lands while the menu is still opening is taken for the right-click's own release,
    // and the menu stays open: click again until the dialog shows.
    await waitFor(
      "the Hand Off dialog",
      async () => {
        if (await dialog.isVisible()) return true;
        if (await menuItem.isVisible()) await menuItem.click().catch(() => undefined);
        return false;
      },
      HANG_MS,
      { intervalMs: 1000 },
    );
    assert.match((await dialog.textContent()) ?? "", /a team worker continues from its last recorded step/);
    await dialog.getByRole("button", { name: "Hand Off", exact: true }).click();
    await vscode.page
      .locator(".notifications-toasts .notification-list-item", { hasText: "is on the team's queue" })
      .waitFor({ timeout: 120_000 });

    // The worker takes it over and stops at the same gate; the tree, listing again on its own while
    // a team task is live, shows it once, as the team's, needing the user.
    await waitFor("the worker to take the task over", () => /started task issue-acme-shop-/.test(workerLog), 120_000, {
      seen: () => workerLog,
    });
    const onTeam = row("Tasks", title).filter({ hasText: "team ·" });
    await view("Tasks").locator(".monaco-list-row", { hasText: "Needs you" }).waitFor({ timeout: 120_000 });
    await onTeam.waitFor({ timeout: 120_000 });
    await waitFor(
      "the team's task to wait for approval",
      async () => /waiting|approval/.test((await onTeam.textContent()) ?? ""),
      120_000,
      {
        seen: async () => `${(await onTeam.textContent()) ?? ""}\n${workerLog.slice(-1500)}`,
      },
    );
    assert.equal(await row("Tasks", title).count(), 1, "listed once");
    shots.push(await vscode.screenshot("team-2-handed-off-waiting"));
    assert.equal(github.repoState(REPO).pulls.length, 0, "nothing is opened before the approval");

    // Approved from the tree: the answer goes to the team's database, where the worker reads it.
    await onTeam.hover();
    await onTeam.getByRole("button", { name: "Approve Task…" }).click();
    await waitFor(
      "the worker's pull request",
      () => {
        const pulls = github.repoState(REPO).pulls.filter((p) => p.head.startsWith(`bora/acme-shop-${number}-`));
        return pulls.length > 0 ? pulls : undefined;
      },
      240_000,
      { seen: () => workerLog.slice(-2000) },
    );
    await view("Tasks").locator(".monaco-list-row", { hasText: "Finished" }).waitFor({ timeout: 120_000 });
    // The task is finished once its last step (the comment on the issue) is recorded.
    assert.equal(
      github.repoState(REPO).pulls.filter((p) => p.head.startsWith(`bora/acme-shop-${number}-`)).length,
      1,
      "one PR",
    );
    const comments = (github.repoState(REPO).comments.get(number) ?? []).filter((c) => c.body.includes("<!-- bora:"));
    assert.equal(comments.length, 1, "one comment on the issue");
    assert.match(workerLog, /finished task issue-acme-shop-\S+: done/);
    const finished = row("Tasks", title).filter({ hasText: "team ·" });
    await finished.hover();
    await finished.getByRole("button", { name: "Open Task's Pull Request" }).waitFor({ timeout: HANG_MS });
    shots.push(await vscode.screenshot("team-3-finished-on-team"));
  });
});
