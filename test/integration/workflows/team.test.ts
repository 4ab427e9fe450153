/**
 * The team tier with real processes: one PostgreSQL shared by two `bora worker` processes, tasks put
 * on the team queue by `bora issue --team`, and one worker killed with SIGKILL in the middle of a
 * task. The other worker sees its heartbeat go stale, takes its task over and finishes it from the
 * last recorded step: the fakes hold exactly one PR, one issue comment and one Slack message per
 * task, and no process of the test is left running.
 */
import assert from "node:assert/strict";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger } from "../../../server/src/host/logger.js";
import { openWorkflowDatabase, type WorkflowDatabase } from "../../../server/src/workflows/database.js";
import { WorkerReaper } from "../../../server/src/workflows/reaper.js";
import { reaperSession } from "../../../server/src/workflows/team.js";
import { Spawner } from "../../../server/src/workspace/spawner.js";
import { GitHubFake } from "../../fakes/github.js";
import { GitRemoteFake } from "../../fakes/gitRemote.js";
import { SlackFake } from "../../fakes/slack.js";
import { Approve, CheckOutTask, HandOffTask, ListTasks, StartIssueToPr } from "@bora/protocol";
import { ExitNotification, ShutdownRequest } from "vscode-languageserver-protocol/node";
import { startEngineServe } from "../../support/engineServe.js";
import { exitOf, spawnCli, startHostWithSettings, waitFor, type HostWithSettings } from "../../support/hostProcess.js";
import { processes } from "../../support/processTree.js";
import { SECRETS } from "../integrations/support.js";
import { createShopRepo, FIXED, git, writeFixScript } from "./support/shopRepo.js";

const REPO = "acme/shop";
/** Low, so the test sees a takeover within seconds; the default (30 s) suits real teams. */
const STALE_MS = 4000;

interface Proc {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe("team workers: bora worker on a shared PostgreSQL, bora issue --team, a dead worker's task taken over", function () {
  this.timeout(240_000);
  let tmp: string;
  let seed: string;
  let script: string;
  let github: GitHubFake;
  let slack: SlackFake;
  let remote: GitRemoteFake;
  let channel: string;
  let spawner: Spawner;
  let database: WorkflowDatabase;
  const started: Proc[] = [];

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "bora-team-"));
    // PostgreSQL will not run as root; as root (CI) Bora runs it as "postgres", which must reach this folder.
    chmodSync(tmp, 0o755);
    seed = path.join(tmp, "seed");
    createShopRepo(seed);
    script = path.join(tmp, "fix.json");
    writeFixScript(script);
    github = await new GitHubFake().start();
    github.addToken(SECRETS.github, "bora-bot");
    github.addRepo(REPO, { defaultBranch: "main" });
    slack = await new SlackFake(SECRETS.slackBot).start();
    channel = slack.addChannel("builds");
    remote = await new GitRemoteFake(SECRETS.github).start();
    remote.createRepo(`${REPO}.git`, seed);
    // The team's database: one embedded PostgreSQL, owned by the test process, reached by URL.
    spawner = new Spawner();
    database = await openWorkflowDatabase({
      stateDir: path.join(tmp, "team-db"),
      spawner,
      log: createLogger("warn", { write: () => undefined }),
    });
  });

  after(async () => {
    for (const proc of started)
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
    await Promise.all(started.map((p) => p.exited));
    await database?.close();
    await spawner?.close();
    await github?.close();
    await slack?.close();
    await remote?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  function start(args: string[], env: NodeJS.ProcessEnv): Proc {
    const child = spawnCli(args, {
      env: {
        GITHUB_TOKEN: SECRETS.github,
        BORA_GITHUB_URL: github.url,
        SLACK_BOT_TOKEN: SECRETS.slackBot,
        BORA_SLACK_CHANNEL: channel,
        BORA_SLACK_API_URL: `${slack.url}/api`,
        BORA_DATABASE_URL: database.url,
        BORA_WORKER_STALE_MS: String(STALE_MS),
        BORA_CRASH_AT: "",
        ...env,
      },
    });
    child.stdin.end();
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const proc = { child, stdout: () => stdout, stderr: () => stderr, exited: exitOf(child) };
    started.push(proc);
    return proc;
  }

  function worker(name: string, env: NodeJS.ProcessEnv = {}): Proc {
    return start(["worker", "--concurrency", "1"], {
      BORA_STATE_DIR: path.join(tmp, name),
      BORA_EXECUTOR_ID: name,
      ...env,
    });
  }

  /** A developer's checkout whose origin is the fake remote. */
  function checkout(name: string): string {
    const dir = path.join(tmp, name);
    git(["clone", "--quiet", seed, dir], tmp);
    git(["remote", "set-url", "origin", remote.repoUrl(`${REPO}.git`)], dir);
    git(["config", "user.name", "Shop Dev"], dir);
    git(["config", "user.email", "dev@shop.example"], dir);
    return dir;
  }

  /** `bora issue` for issue `number` of the shop with the fixing script, on the team queue unless `extra` says otherwise. */
  function issueArgs(number: number, repo: string, extra: string[] = ["--team"], check = "node --test"): string[] {
    return ["issue", `${REPO}#${number}`, "--repo", repo, "--engine", `script:${script}`, "--check", check, ...extra];
  }

  function effects(number: number) {
    const repo = github.repoState(REPO);
    const prs = repo.pulls.filter((p) => p.head.startsWith(`bora/acme-shop-${number}-`));
    const comments = (repo.comments.get(number) ?? []).filter((c) => c.body.includes("<!-- bora:"));
    const taskId = /<!-- bora:([^:]+):/.exec(comments[0]?.body ?? "")?.[1];
    const messages = slack.messages.filter(
      (m) => taskId !== undefined && JSON.stringify(m.metadata ?? {}).includes(taskId),
    );
    return { prs, comments, messages };
  }

  it("two workers share the queue; one is killed with SIGKILL mid-task and the other finishes its task: one PR, one comment, one Slack message each", async () => {
    const numbers = [1, 2].map((i) => github.addIssue(REPO, { title: `Discount bug for the team ${i}` }));
    const repo = checkout("team");
    // Worker A alone first, so that it surely holds a task when it dies (at the checks of its first task).
    const a = worker("worker-a", { BORA_CRASH_AT: "during:checks" });
    await waitFor("worker A to be ready", () => /ready as executor worker-a/.test(a.stderr()), 60_000, {
      seen: a.stderr,
    });
    const issues = numbers.map((n) => start(issueArgs(n, repo), { BORA_STATE_DIR: path.join(tmp, `cli-${n}`) }));
    await Promise.all(
      issues.map((issue) =>
        waitFor("the task to be queued", () => /queued task \S+ on the team queue/.test(issue.stderr()), 60_000, {
          seen: issue.stderr,
        }),
      ),
    );
    const taken = await waitFor("worker A to start a task", () => /started task (\S+)/.exec(a.stderr())?.[1], 60_000, {
      seen: a.stderr,
    });
    const b = worker("worker-b");
    const died = await a.exited;
    assert.equal(died.signal, "SIGKILL", `worker A died at its crash point:\n${a.stderr()}`);
    assert.match(a.stderr(), /crash point during:checks#1/);
    // A's machine is gone with it: B has only what A pushed (the work branch after each tool call).
    rmSync(path.join(tmp, "worker-a"), { recursive: true, force: true });

    const results = await Promise.all(issues.map((issue) => issue.exited));
    results.forEach((result, i) => assert.equal(result.code, 0, issues[i]!.stderr()));
    assert.match(b.stderr(), new RegExp(`worker-a stopped beating; took over [^\\n]*${taken}`));
    assert.match(b.stderr(), new RegExp(`finished task ${taken}: done`), "worker B finished the task A held");
    const rebuilt = readdirSync(path.join(tmp, "worker-b", "worktrees"));
    assert.ok(rebuilt.includes(taken), "B rebuilt A's worktree in its own state folder");
    numbers.forEach((n, i) => {
      const { prs, comments, messages } = effects(n);
      assert.equal(prs.length, 1, `one PR for #${n}`);
      assert.match(issues[i]!.stdout(), new RegExp(`/pull/${prs[0]!.number}\\n`));
      assert.equal(comments.length, 1, `one comment on #${n}`);
      assert.equal(messages.length, 1, `one Slack message for #${n}`);
      const head = remote.branch(`${REPO}.git`, prs[0]!.head);
      assert.equal(
        git(["--git-dir", path.join(remote.root, `${REPO}.git`), "show", `${head}:src/cart.js`], tmp),
        FIXED,
      );
    });

    // SIGTERM stops worker B cleanly; nothing of the test's folders is left running.
    b.child.kill("SIGTERM");
    const stopped = await b.exited;
    assert.equal(stopped.code, 0, b.stderr());
    assert.match(b.stderr(), /bora worker: stopped/);
    const pids = new Set(started.map((p) => p.child.pid));
    const left = processes().filter(
      (p) => pids.has(p.pid) || (p.cmdline.includes(tmp) && !p.cmdline.includes("team-db")),
    );
    assert.deepEqual(
      left.map((p) => p.cmdline),
      [],
      "no worker, CLI, git or sandbox process is left (the team's own database is the test's)",
    );
  });

  it("a worker that was only paused (SIGSTOP) and wakes after its task was taken over parks it: no second PR, comment or message", async () => {
    const number = github.addIssue(REPO, { title: "Discount bug on a laptop that slept" });
    const repo = checkout("zombie");
    // Debug level, so that DBOS's word on the parked task reaches stderr.
    const a = worker("zombie-a", { BORA_LOG_LEVEL: "debug" });
    await waitFor("worker A to be ready", () => /ready as executor zombie-a/.test(a.stderr()), 60_000, {
      seen: a.stderr,
    });
    // Slow checks: A is caught inside the step, its call under way and its output not yet recorded.
    const issue = start(issueArgs(number, repo, ["--team"], "sleep 3; node --test"), {
      BORA_STATE_DIR: path.join(tmp, "cli-zombie"),
    });
    await waitFor("the checks to start on worker A", () => /\[checks\] running/.test(issue.stderr()), 60_000, {
      seen: issue.stderr,
    });
    const taskId = /started task (\S+)/.exec(a.stderr())?.[1];
    assert.ok(taskId, a.stderr());
    a.child.kill("SIGSTOP");
    let b: Proc | undefined;
    try {
      b = worker("zombie-b");
      const result = await issue.exited;
      assert.equal(result.code, 0, issue.stderr());
      assert.match(b.stderr(), new RegExp(`zombie-a stopped beating; took over ${taskId}`));
    } finally {
      a.child.kill("SIGCONT");
    }
    await waitFor(
      "worker A to find the task no longer its own",
      () => new RegExp(`${taskId} is no longer owned by this execution`).test(a.stderr()),
      60_000,
      { seen: a.stderr },
    );
    assert.doesNotMatch(
      a.stderr(),
      new RegExp(`finished task ${taskId}`),
      `A did not carry on with the task:\n${a.stderr()}`,
    );
    const { prs, comments, messages } = effects(number);
    assert.deepEqual(
      { prs: prs.length, comments: comments.length, messages: messages.length },
      { prs: 1, comments: 1, messages: 1 },
    );
    for (const w of [a, b!]) {
      w.child.kill("SIGTERM");
      assert.equal((await w.exited).code, 0, w.stderr());
    }
  });

  it("a worker on a machine without the repository clones its origin and opens the PR from there", async () => {
    const number = github.addIssue(REPO, { title: "Discount bug fixed on another machine" });
    const repo = checkout("elsewhere");
    const issue = start(issueArgs(number, repo), { BORA_STATE_DIR: path.join(tmp, "cli-elsewhere") });
    await waitFor("the task to be queued", () => /queued task \S+ on the team queue/.test(issue.stderr()), 60_000, {
      seen: issue.stderr,
    });
    // The worker's machine has no such folder: it has only what the task recorded, the origin's URL.
    rmSync(repo, { recursive: true, force: true });
    const identity = { name: "Team Worker", email: "worker@team.example" };
    const w = worker("clone-worker", {
      GIT_AUTHOR_NAME: identity.name,
      GIT_AUTHOR_EMAIL: identity.email,
      GIT_COMMITTER_NAME: identity.name,
      GIT_COMMITTER_EMAIL: identity.email,
    });
    const result = await issue.exited;
    assert.equal(result.code, 0, `${issue.stderr()}\n${w.stderr()}`);
    const { prs, comments, messages } = effects(number);
    assert.deepEqual(
      { prs: prs.length, comments: comments.length, messages: messages.length },
      { prs: 1, comments: 1, messages: 1 },
    );
    const bare = path.join(remote.root, `${REPO}.git`);
    assert.equal(git(["--git-dir", bare, "show", `${prs[0]!.head}:src/cart.js`], tmp), FIXED);
    const clones = readdirSync(path.join(tmp, "clone-worker", "repos"));
    assert.equal(clones.length, 1, "one clone of the origin in the worker's state folder");
    assert.ok(
      !readFileSync(path.join(tmp, "clone-worker", "repos", clones[0]!, "config"), "utf8").includes(SECRETS.github),
      "the token is not in the clone's config",
    );
    w.child.kill("SIGTERM");
    assert.equal((await w.exited).code, 0, w.stderr());
  });

  it("handoff both ways: a developer's crashed task continues on a worker from its last recorded step; a team task is checked out into a local worktree", async () => {
    const handedNumber = github.addIssue(REPO, { title: "Discount bug handed to the team" });
    const checkedNumber = github.addIssue(REPO, { title: "Discount bug checked out from the team" });
    const repo = checkout("handoff");
    const dev = path.join(tmp, "dev-host");
    const w = start(["worker", "--concurrency", "1", "--team-concurrency", "3"], {
      BORA_STATE_DIR: path.join(tmp, "handoff-worker"),
      BORA_EXECUTOR_ID: "handoff-worker",
    });
    await waitFor(
      "the worker to be ready",
      () => /ready as executor handoff-worker, 1 at once, 3 across the team/.test(w.stderr()),
      60_000,
      { seen: w.stderr },
    );
    // The team's limit is the queue's, in the shared database, where DBOS enforces it for every worker.
    const sql = reaperSession(database.url);
    try {
      const { rows } = await sql.query(
        "SELECT concurrency, worker_concurrency FROM dbos.queues WHERE name = 'bora-tasks'",
      );
      assert.deepEqual(rows, [{ concurrency: 3, worker_concurrency: 1 }]);
    } finally {
      await sql.end();
    }

    // 1. The developer's own host (its embedded database) runs the task and dies after the fix is written.
    const local = start(issueArgs(handedNumber, repo, []), {
      BORA_STATE_DIR: dev,
      BORA_DATABASE_URL: "",
      BORA_CRASH_AT: "after:agent.executeCall",
    });
    assert.equal((await local.exited).signal, "SIGKILL", local.stderr());
    const taskId = /(?:queued|attached to) task (\S+)/.exec(local.stderr())?.[1];
    assert.ok(taskId, local.stderr());

    const handoff = start(["tasks", "handoff", taskId], { BORA_STATE_DIR: dev });
    assert.equal((await handoff.exited).code, 0, handoff.stderr());
    assert.match(handoff.stderr(), new RegExp(`pushed bora/acme-shop-${handedNumber}-`));
    const carried = Number(/with its (\d+) recorded steps/.exec(handoff.stderr())?.[1]);
    assert.ok(carried >= 4, `fetchItem, worktree, agent.start, a turn and a call go with it:\n${handoff.stderr()}`);
    await waitFor(
      "the worker to finish the handed-off task",
      () => new RegExp(`finished task ${taskId}: done`).test(w.stderr()),
      120_000,
      { seen: w.stderr },
    );
    const handed = effects(handedNumber);
    assert.deepEqual(
      { prs: handed.prs.length, comments: handed.comments.length, messages: handed.messages.length },
      { prs: 1, comments: 1, messages: 1 },
    );
    const bare = path.join(remote.root, `${REPO}.git`);
    assert.equal(git(["--git-dir", bare, "show", `${handed.prs[0]!.head}:src/cart.js`], tmp), FIXED);
    // The fix came with the branch; the worker went on from the recorded turn and did not write it again.
    const toolsIn = (stateDir: string) =>
      readFileSync(path.join(stateDir, "runs", `${taskId}.jsonl`), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; name?: string })
        .filter((e) => e.type === "tool")
        .map((e) => e.name);
    assert.deepEqual(toolsIn(dev), ["write_file"], "the developer's host wrote the fix");
    assert.deepEqual(toolsIn(path.join(tmp, "handoff-worker")), [], "the worker ran no tool call again");
    // The developer's host does not take the task up again: its record says it was cancelled.
    const listed = start(["tasks", "list"], { BORA_STATE_DIR: dev, BORA_DATABASE_URL: "" });
    assert.equal((await listed.exited).code, 0, listed.stderr());
    assert.match(listed.stdout(), new RegExp(`${taskId} .* cancelled \\(was `));
    assert.equal(effects(handedNumber).prs.length, 1);

    // 2. A team task waiting for approval comes to the developer: stopped on the team, its branch checked out here.
    const team = start(issueArgs(checkedNumber, repo, ["--team", "--approve"]), {
      BORA_STATE_DIR: path.join(tmp, "cli-checkout"),
    });
    assert.equal((await team.exited).code, 3, team.stderr());
    const teamTask = /queued task (\S+)/.exec(team.stderr())?.[1];
    assert.ok(teamTask, team.stderr());
    const checkedOut = start(["tasks", "checkout", teamTask, "--repo", repo], { BORA_STATE_DIR: dev });
    assert.equal((await checkedOut.exited).code, 0, checkedOut.stderr());
    assert.match(checkedOut.stderr(), new RegExp(`stopped ${teamTask} on the team \\(it was \\[approval\\] waiting`));
    const dir = checkedOut.stdout().trim();
    assert.equal(
      readFileSync(path.join(dir, "src/cart.js"), "utf8"),
      FIXED,
      "the team's work is in the local worktree",
    );
    assert.match(git(["symbolic-ref", "--short", "HEAD"], dir).trim(), new RegExp(`^bora/acme-shop-${checkedNumber}-`));
    assert.equal(effects(checkedNumber).prs.length, 0, "nothing was opened for the stopped task");
    // A second checkout finds the worktree it made.
    const again = start(["tasks", "checkout", teamTask, "--repo", repo], { BORA_STATE_DIR: dev });
    assert.equal((await again.exited).code, 0, again.stderr());
    assert.equal(again.stdout().trim(), dir);

    w.child.kill("SIGTERM");
    assert.equal((await w.exited).code, 0, w.stderr());
    const left = processes().filter((p) => p.cmdline.includes(dev));
    assert.deepEqual(
      left.map((p) => p.cmdline),
      [],
      "the developer's embedded postgres is stopped",
    );
  });

  it("from the editor: the host hands its waiting task off (bora/handOffTask), lists it as the team's, approves it there, and checks the team's branch out (bora/checkOutTask)", async () => {
    const number = github.addIssue(REPO, { title: "Discount bug handed off from the editor" });
    const repo = checkout("editor-handoff");
    const dev = path.join(tmp, "editor-host");
    const conversationScript = path.join(tmp, "fix-by-conversation.json");
    writeFixScript(conversationScript, { turnFrom: "conversation" });
    const served = await startEngineServe([
      "--engine",
      `script:${conversationScript}`,
      "--model-name",
      "scripted-model",
    ]);
    const w = worker("editor-worker");
    let host: HostWithSettings | undefined;
    try {
      host = await startHostWithSettings(
        () => ({
          engine: "remote",
          models: { chat: "scripted-model" },
          remote: { preset: "bora", baseUrl: served.baseUrl },
        }),
        {
          BORA_STATE_DIR: dev,
          // The host's own tasks are in its embedded database; the team's queue is another.
          BORA_DATABASE_URL: "",
          BORA_TEAM_DATABASE_URL: database.url,
          GITHUB_TOKEN: SECRETS.github,
          BORA_GITHUB_URL: github.url,
          SLACK_BOT_TOKEN: SECRETS.slackBot,
          BORA_SLACK_CHANNEL: channel,
          BORA_SLACK_API_URL: `${slack.url}/api`,
          BORA_CRASH_AT: "",
        },
        { workspaceFolders: [repo] },
      );
      const lsp = host.host.connection;
      await waitFor("the engine", () => host!.statuses.find((s) => s.engine.state === "ready"), 60_000);
      const listed = async (taskId: string) =>
        (await lsp.sendRequest(ListTasks.type, {})).tasks.filter((t) => t.taskId === taskId);

      // 1. The task runs on the developer's host and waits for approval before its commit.
      const { taskId } = await lsp.sendRequest(StartIssueToPr.type, { ref: `${REPO}#${number}`, approve: true });
      const waiting = await waitFor(
        "the task to wait for approval on the developer's host",
        async () => (await listed(taskId)).find((t) => t.state === "waiting"),
        120_000,
        { seen: () => host!.host.stderr().slice(-2000) },
      );
      assert.equal(waiting.team, undefined, "a task of this host");

      // 2. Hand Off to Team: its record and its worktree go; it is listed once, as the team's.
      const handed = await lsp.sendRequest(HandOffTask.type, { taskId });
      assert.ok(handed.operations >= 5, `its recorded steps go with it: ${handed.operations}`);
      assert.match(handed.branch ?? "", new RegExp(`^bora/acme-shop-${number}-`));
      const onTeam = await waitFor(
        "the team's worker to take the task and wait for approval",
        async () => {
          const rows = await listed(taskId);
          return rows.length === 1 && rows[0]!.team === true && rows[0]!.state === "waiting" && rows[0];
        },
        60_000,
        { seen: async () => JSON.stringify(await listed(taskId)) },
      );
      assert.equal(onTeam.executor, "editor-worker");
      assert.equal(onTeam.worktree, undefined, "its worktree is on the worker's disk");
      await assert.rejects(lsp.sendRequest(HandOffTask.type, { taskId }), /ended|already/);

      // 3. Approved from the editor: the answer goes to the team's database, where the worker reads it.
      await lsp.sendRequest(Approve.type, { taskId, approved: true });
      const done = await waitFor(
        "the worker to finish the task",
        async () => (await listed(taskId)).find((t) => t.state === "done"),
        120_000,
        { seen: w.stderr },
      );
      assert.equal(done.team, true);
      const effects1 = effects(number);
      assert.deepEqual(
        { prs: effects1.prs.length, comments: effects1.comments.length },
        { prs: 1, comments: 1 },
        "one PR and one comment, from the worker",
      );
      assert.equal(done.pr?.number, effects1.prs[0]!.number);

      // 4. Check Out Locally: the team's branch comes into the worktree the task had here, fast-forwarded.
      const out = await lsp.sendRequest(CheckOutTask.type, { taskId });
      assert.equal(out.branch, handed.branch);
      assert.equal(out.stopped, undefined, "a finished task is not stopped");
      assert.equal(readFileSync(path.join(out.dir, "src/cart.js"), "utf8"), FIXED);
      assert.equal(
        git(["rev-parse", "HEAD"], out.dir).trim(),
        // Read from the remote's own folder: its HTTP server runs in this process, which a synchronous git call would block.
        git(["--git-dir", path.join(remote.root, `${REPO}.git`), "rev-parse", `refs/heads/${out.branch}`], tmp).trim(),
        "the worktree is at the team's branch head",
      );
      await assert.rejects(lsp.sendRequest(CheckOutTask.type, { taskId: "no-such-task" }), /no task no-such-task/);
    } finally {
      if (host !== undefined) {
        await host.host.connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
        await host.host.connection.sendNotification(ExitNotification.type).catch(() => undefined);
        await host.host.exited;
        await host.host.dispose();
      }
      await served.stop();
      w.child.kill("SIGTERM");
      await w.exited;
    }
  });

  it("only one of two live workers takes a dead worker's tasks over, however close together they look", async () => {
    const calls: string[] = [];
    const slowHandover = {
      async takeOver(executorId: string) {
        calls.push(executorId);
        // Long enough for the other reaper's round to run meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 500));
        return ["task-1"];
      },
    };
    const quiet = { info: () => undefined, warn: (m: string) => assert.fail(m) };
    const sessions = [reaperSession(database.url), reaperSession(database.url), reaperSession(database.url)];
    try {
      const dead = new WorkerReaper(sessions[0]!, "gone-worker", slowHandover, quiet, STALE_MS);
      await dead.start();
      await dead.stop();
      // The earlier tests' workers have stopped; their rows would be taken over too.
      await sessions[0]!.query("DELETE FROM bora.workers WHERE executor_id <> 'gone-worker'");
      // Its heartbeat, as a worker killed a minute ago left it.
      await sessions[0]!.query(
        "UPDATE bora.workers SET heartbeat_at = now() - interval '1 minute' WHERE executor_id = 'gone-worker'",
      );
      const live = [1, 2].map((i) => new WorkerReaper(sessions[i]!, `live-${i}`, slowHandover, quiet, STALE_MS));
      await Promise.all(live.map((r) => r.start()));
      await Promise.all(live.map((r) => r.stop()));
      await Promise.all(live.map((r) => r.tick()));
      assert.deepEqual(calls, ["gone-worker"], "one takeover");
      const { rows } = await sessions[0]!.query(
        "SELECT executor_id FROM bora.workers WHERE executor_id = 'gone-worker'",
      );
      assert.deepEqual(rows, [], "the dead worker's row is gone with its tasks");
      // A live worker's heartbeat is not stale: a second round takes nothing.
      await Promise.all(live.map((r) => r.tick()));
      assert.deepEqual(calls, ["gone-worker"]);
    } finally {
      await sessions[0]!.query("DELETE FROM bora.workers WHERE executor_id LIKE 'live-%'");
      await Promise.all(sessions.map((s) => s.end()));
    }
  });
});
