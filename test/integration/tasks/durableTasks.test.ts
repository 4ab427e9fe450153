/**
 * Durable issue-to-PR tasks through the built host over a real LSP connection, as the editor drives
 * them: `bora/startIssueToPr`, `bora/taskUpdated` through to the PR, `bora/listTasks`,
 * `bora/approve`, `bora/retryTask`. Real processes below the host: the embedded PostgreSQL, git with
 * a remote served over HTTP with a token check, the sandboxed checks, the GitHub and Slack fakes, and
 * a scripted model behind `bora engine serve` that answers by conversation (as durable tasks need).
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  StartTask,
  Approve,
  CancelTask,
  ListTasks,
  RetryTask,
  StartIssueToPr,
  TaskUpdated,
  type StartIssueToPrParams,
  type TaskUpdatedParams,
} from "@bora/protocol";
import { ExitNotification, ShutdownRequest } from "vscode-languageserver-protocol/node";
import { GitHubFake } from "../../fakes/github.js";
import { GitRemoteFake } from "../../fakes/gitRemote.js";
import { SlackFake } from "../../fakes/slack.js";
import { startEngineServe, type ServedEngine } from "../../support/engineServe.js";
import { startHostWithSettings, waitFor, type HostWithSettings } from "../../support/hostProcess.js";
import { processes } from "../../support/processTree.js";
import { SECRETS } from "../integrations/support.js";
import { createShopRepo, FIXED, git, writeFixScript } from "../workflows/support/shopRepo.js";

const REPO = "acme/shop";

interface DurableHost {
  started: HostWithSettings;
  /** The latest update per task (by `seq`), and every update in arrival order. */
  latest: Map<string, TaskUpdatedParams>;
  log: TaskUpdatedParams[];
  stop(): Promise<void>;
}

describe("durable tasks over LSP (issue to PR: real host, database, git remote, fakes, scripted model)", function () {
  this.timeout(600_000);
  let tmp: string;
  let seed: string;
  let github: GitHubFake;
  let slack: SlackFake;
  let remote: GitRemoteFake;
  let served: ServedEngine;
  let channel: string;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "bora-durable-lsp-"));
    // PostgreSQL will not run as root; as root (CI) Bora runs it as "postgres", which must reach the state folder.
    chmodSync(tmp, 0o755);
    seed = path.join(tmp, "seed");
    createShopRepo(seed, { testScript: false });

    const script = path.join(tmp, "fix.json");
    // Each task's conversation picks its turn, so tasks (and a retried one) do not share a counter.
    writeFixScript(script, { turnFrom: "conversation" });
    served = await startEngineServe(["--engine", `script:${script}`, "--model-name", "scripted-model"]);
    github = await new GitHubFake().start();
    github.addToken(SECRETS.github, "bora-bot");
    github.addRepo(REPO, { defaultBranch: "main" });
    slack = await new SlackFake(SECRETS.slackBot).start();
    channel = slack.addChannel("builds");
    remote = await new GitRemoteFake(SECRETS.github).start();
    remote.createRepo(`${REPO}.git`, seed);
  });

  after(async () => {
    await served?.stop();
    await github?.close();
    await slack?.close();
    await remote?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A clone whose origin is the fake remote, as a developer's checkout. */
  function checkout(name: string): string {
    const dir = path.join(tmp, name);
    git(["clone", "--quiet", seed, dir], tmp);
    git(["remote", "set-url", "origin", remote.repoUrl(`${REPO}.git`)], dir);
    git(["config", "user.name", "Shop Dev"], dir);
    git(["config", "user.email", "dev@shop.example"], dir);
    return dir;
  }

  async function durableHost(workspace: string, state: string): Promise<DurableHost> {
    const settings = {
      engine: "remote",
      models: { chat: "scripted-model" },
      remote: { preset: "bora", baseUrl: served.baseUrl },
      workflows: { concurrency: 3 },
    };
    const started = await startHostWithSettings(
      () => settings,
      {
        BORA_STATE_DIR: state,
        GITHUB_TOKEN: SECRETS.github,
        BORA_GITHUB_URL: github.url,
        SLACK_BOT_TOKEN: SECRETS.slackBot,
        BORA_SLACK_CHANNEL: channel,
        BORA_SLACK_API_URL: `${slack.url}/api`,
        BORA_CRASH_AT: "",
      },
      { workspaceFolders: [workspace] },
    );
    await waitFor("engine ready", () => started.statuses.find((s) => s.engine.state === "ready"), 60_000);
    const latest = new Map<string, TaskUpdatedParams>();
    const log: TaskUpdatedParams[] = [];
    started.host.connection.onNotification(TaskUpdated.type, (update) => {
      log.push(update);
      const known = latest.get(update.taskId);
      if (known === undefined || update.seq > known.seq) latest.set(update.taskId, update);
    });
    return {
      started,
      latest,
      log,
      async stop() {
        await started.host.connection.sendRequest(ShutdownRequest.type);
        await started.host.connection.sendNotification(ExitNotification.type);
        await started.host.exited;
        await started.host.dispose();
      },
    };
  }

  function stateOf(host: DurableHost, taskId: string): string {
    const u = host.latest.get(taskId);
    return u ? `${u.status}/${u.state} [${u.step}] ${u.reason}` : "no update";
  }

  function until(host: DurableHost, taskId: string, state: string): Promise<TaskUpdatedParams> {
    return waitFor(
      `task ${taskId} to be ${state}`,
      () => {
        const u = host.latest.get(taskId);
        return u?.state === state ? u : undefined;
      },
      240_000,
      { seen: () => `${stateOf(host, taskId)}\n${host.started.host.stderr().slice(-3000)}` },
    );
  }

  function start(host: DurableHost, params: StartIssueToPrParams) {
    return host.started.host.connection.sendRequest(StartIssueToPr.type, params);
  }

  it("a host that gets no durable request never starts PostgreSQL, and lists no durable tasks", async () => {
    const repo = checkout("idle");
    const state = path.join(tmp, "idle-state");
    const host = await durableHost(repo, state);
    try {
      const listed = await host.started.host.connection.sendRequest(ListTasks.type, {});
      assert.deepEqual(listed, { tasks: [] });
    } finally {
      await host.stop();
    }
    assert.equal(existsSync(path.join(state, "postgres")), false, "no postgres folder in the state folder");
  });

  it("runs issue to PR from the editor: updates to done with the PR URL, listed; an --approve task answered with bora/approve, another cancelled; a bad REF fails naming the 404 and bora/retryTask re-runs it", async () => {
    const repo = checkout("work");
    const state = path.join(tmp, "state");
    const host = await durableHost(repo, state);
    try {
      // 1. The plain task: queued, running through its steps, done with the PR.
      const number = github.addIssue(REPO, { title: "Discount is applied the wrong way" });
      const started = await start(host, { ref: `${REPO}#${number}`, check: "node --test" });
      assert.equal(started.attached, false);
      const done = await until(host, started.taskId, "done");
      const prs = github.repoState(REPO).pulls.filter((p) => p.head.startsWith(`bora/acme-shop-${number}-`));
      assert.equal(prs.length, 1, "one PR");
      assert.equal(done.kind, "issueToPr");
      assert.equal(done.status, "completed");
      assert.match(done.pr!.url, new RegExp(`/${REPO}/pull/${prs[0]!.number}$`));
      assert.equal(done.outcome?.ok, true);
      const steps = new Set(host.log.filter((u) => u.taskId === started.taskId).map((u) => u.step));
      for (const step of ["fetchItem", "worktree", "agent", "checks", "push", "pullRequest"])
        assert.ok(steps.has(step), `an update for step ${step} (saw ${[...steps].join(", ")})`);
      const seqs = host.log.filter((u) => u.taskId === started.taskId).map((u) => u.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        "seq increases",
      );
      assert.equal(
        git(
          [
            "--git-dir",
            path.join(remote.root, `${REPO}.git`),
            "show",
            `${remote.branch(`${REPO}.git`, prs[0]!.head)}:src/cart.js`,
          ],
          tmp,
        ),
        FIXED,
      );

      // Starting it again attaches.
      const again = await start(host, { ref: `https://github.com/${REPO}/issues/${number}`, check: "node --test" });
      assert.deepEqual(again, { taskId: started.taskId, attached: true });

      const listed = await host.started.host.connection.sendRequest(ListTasks.type, {});
      const row = listed.tasks.find((t) => t.taskId === started.taskId);
      assert.ok(row, `listed: ${JSON.stringify(listed)}`);
      assert.equal(row.kind, "issueToPr");
      assert.equal(row.state, "done");
      assert.equal(row.pr?.url, done.pr!.url);
      assert.match(row.branch ?? "", new RegExp(`^bora/acme-shop-${number}-`));
      assert.ok(row.worktree?.startsWith(state), "the worktree is under the state folder");
      assert.ok(row.executor, "the executor is named");
      assert.ok(row.createdAt > 0);

      // 2. An --approve task waits, and bora/approve lets it finish.
      const gated = github.addIssue(REPO, { title: "Discount again, with a review" });
      const approveTask = await start(host, { ref: `${REPO}#${gated}`, check: "node --test", approve: true });
      const waiting = await until(host, approveTask.taskId, "waiting");
      assert.equal(waiting.status, "waiting");
      assert.equal(waiting.step, "approval");
      assert.equal(
        github.repoState(REPO).pulls.filter((p) => p.head.startsWith(`bora/acme-shop-${gated}-`)).length,
        0,
        "no PR before the approval",
      );
      assert.deepEqual(
        await host.started.host.connection.sendRequest(Approve.type, { taskId: approveTask.taskId, approved: true }),
        {},
      );
      const approved = await until(host, approveTask.taskId, "done");
      assert.ok(approved.pr?.url, "the approved task opened its PR");

      // bora/cancelTask takes durable ids too: a task waiting for approval ends cancelled, with no PR.
      const dropped = github.addIssue(REPO, { title: "Discount, then dropped" });
      const toCancel = await start(host, { ref: `${REPO}#${dropped}`, check: "node --test", approve: true });
      await until(host, toCancel.taskId, "waiting");
      assert.equal(await host.started.host.connection.sendRequest(CancelTask.type, { taskId: toCancel.taskId }), null);
      const cancelled = await until(host, toCancel.taskId, "cancelled");
      assert.equal(cancelled.status, "cancelled");
      assert.equal(
        github.repoState(REPO).pulls.filter((p) => p.head.startsWith(`bora/acme-shop-${dropped}-`)).length,
        0,
        "a cancelled task opens no PR",
      );

      // 3. A REF the tracker does not have: failed, naming the 404; once it exists, a retry finishes it.
      const missing = "acme/tracker#1";
      const bad = await start(host, { ref: missing, check: "node --test" });
      const failed = await until(host, bad.taskId, "failed");
      assert.equal(failed.status, "failed");
      assert.equal(failed.step, "fetchItem");
      assert.match(failed.reason ?? "", /404/);
      github.addRepo("acme/tracker", { defaultBranch: "main" });
      github.addIssue("acme/tracker", { title: "Discount bug reported elsewhere" });
      assert.deepEqual(await host.started.host.connection.sendRequest(RetryTask.type, { taskId: bad.taskId }), {});
      const retried = await until(host, bad.taskId, "done");
      assert.ok(retried.pr?.url, "the retried task opened its PR");

      // 5. A background task through bora/startTask: its own branch, ready for review, nothing pushed.
      const background = await host.started.host.connection.sendRequest(StartTask.type, {
        kind: "background",
        instruction: "make the discount a fraction",
      });
      const reviewed = await until(host, background.taskId, "needsReview");
      assert.equal(reviewed.kind, "background");
      assert.equal(reviewed.title, "Background: make the discount a fraction");
      assert.match(reviewed.branch ?? "", /^bora\/task-make-the-discount-a-fraction-[0-9a-f]{6}$/);
      assert.equal(git(["show", `${reviewed.branch}:src/cart.js`], repo), FIXED);
      assert.equal(remote.branch(`${REPO}.git`, reviewed.branch!), undefined, "nothing pushed");
    } finally {
      await host.stop();
    }
    assert.deepEqual(
      processes()
        .filter((p) => p.cmdline.includes(state))
        .map((p) => p.cmdline),
      [],
      "nothing of the state folder (postgres) is left running after shutdown",
    );
  });
});
