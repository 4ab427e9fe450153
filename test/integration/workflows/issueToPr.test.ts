/**
 * `bora issue` end to end, with real processes: the built CLI, an embedded PostgreSQL, real git with a
 * remote served over HTTP with a token check, the sandboxed checks, and the GitHub and Slack fakes.
 * The model is scripted (by conversation, so a resumed run asks for the turn it asked for before);
 * everything below it is real. The crash tests kill the CLI with SIGKILL at exact points and resume it
 * with `bora tasks resume`: afterwards the fakes hold exactly one PR, one issue comment and one Slack
 * message per task, and nothing (postgres, sandbox) is left running.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeMarker } from "../../../server/src/integrations/markers.js";
import { GitHubFake } from "../../fakes/github.js";
import { JiraFake } from "../../fakes/jira.js";
import { SentryFake } from "../../fakes/sentry.js";
import { GitRemoteFake } from "../../fakes/gitRemote.js";
import { SlackFake } from "../../fakes/slack.js";
import { exitOf, spawnCli } from "../../support/hostProcess.js";
import { processes } from "../../support/processTree.js";
import { SECRETS } from "../integrations/support.js";
import { BUGGY, createShopRepo, FIXED, git, writeFixScript } from "./support/shopRepo.js";

const REPO = "acme/shop";

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

describe("bora issue: the durable issue-to-PR workflow (real processes, fakes, a scripted model)", function () {
  this.timeout(900_000);
  let tmp: string;
  let state: string;
  let seed: string;
  let script: string;
  let secondTry: string;
  let neverFixed: string;
  let github: GitHubFake;
  let slack: SlackFake;
  let remote: GitRemoteFake;
  let channel: string;
  let jira: JiraFake;
  let sentry: SentryFake;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "bora-issue-"));
    // PostgreSQL will not run as root; as root (CI) Bora runs it as "postgres", which must reach the state folder.
    chmodSync(tmp, 0o755);
    state = path.join(tmp, "state");
    seed = path.join(tmp, "seed");
    createShopRepo(seed);

    script = path.join(tmp, "fix.json");
    writeFixScript(script);
    const wrong = "exports.total = (items, discount) => items.reduce((sum, price) => sum + price, 0) - discount;\n";
    const write = (content: string) => ({
      tool_calls: [{ name: "write_file", arguments: { path: "src/cart.js", content } }],
    });
    // Wrong first, then right once the checks' output comes back.
    secondTry = path.join(tmp, "second-try.json");
    writeFileSync(
      secondTry,
      JSON.stringify({
        turns: [
          write(wrong),
          { content: "Subtracted the discount." },
          write(FIXED),
          { content: "Now it takes the discount off as a fraction." },
        ],
      }),
    );
    // Wrong, and wrong again after the checks' output.
    neverFixed = path.join(tmp, "never-fixed.json");
    writeFileSync(
      neverFixed,
      JSON.stringify({
        turns: [
          write(wrong),
          { content: "Subtracted the discount." },
          write(wrong.replace("- discount", "- discount * 2")),
          { content: "Tried again." },
        ],
      }),
    );

    github = await new GitHubFake().start();
    github.addToken(SECRETS.github, "bora-bot");
    github.addRepo(REPO, { defaultBranch: "main" });
    slack = await new SlackFake(SECRETS.slackBot).start();
    channel = slack.addChannel("builds");
    jira = await new JiraFake("cloud", { email: "bora@example.invalid", apiToken: SECRETS.jira }).start();
    sentry = await new SentryFake("acme", SECRETS.sentry).start();
    sentry.addProject("shop");
    remote = await new GitRemoteFake(SECRETS.github).start();
    remote.createRepo(`${REPO}.git`, seed);
  });

  after(async () => {
    await github?.close();
    await slack?.close();
    await remote?.close();
    await jira?.close();
    await sentry?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  afterEach(() => {
    assert.deepEqual(github.violations, [], "every GitHub response matched GitHub's schema");
    const left = processes().filter((p) => p.cmdline.includes(state));
    assert.deepEqual(
      left.map((p) => p.cmdline),
      [],
      "nothing of the state folder (postgres) is left running",
    );
  });

  /** A clone of the repository whose origin is the fake remote, as a developer's checkout. */
  function checkout(name: string): string {
    const dir = path.join(tmp, name);
    git(["clone", "--quiet", seed, dir], tmp);
    git(["remote", "set-url", "origin", remote.repoUrl(`${REPO}.git`)], dir);
    git(["config", "user.name", "Shop Dev"], dir);
    git(["config", "user.email", "dev@shop.example"], dir);
    return dir;
  }

  function bora(args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs?: number): Promise<CliRun> {
    const child = spawnCli(args, {
      env: {
        BORA_STATE_DIR: state,
        GITHUB_TOKEN: SECRETS.github,
        BORA_GITHUB_URL: github.url,
        SLACK_BOT_TOKEN: SECRETS.slackBot,
        BORA_SLACK_CHANNEL: channel,
        BORA_SLACK_API_URL: `${slack.url}/api`,
        BORA_JIRA_URL: jira.url,
        JIRA_EMAIL: "bora@example.invalid",
        JIRA_API_TOKEN: SECRETS.jira,
        BORA_SENTRY_URL: sentry.url,
        SENTRY_AUTH_TOKEN: SECRETS.sentry,
        SENTRY_ORG: "acme",
        SENTRY_PROJECT: "shop",
        BORA_CRASH_AT: "",
        ...env,
      },
    });
    child.stdin.end();
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    return exitOf(child).then(({ code, signal }) => {
      clearTimeout(timer);
      return { code, signal, stdout, stderr };
    });
  }

  function refArgs(ref: string, repo: string, extra: string[] = [], scriptFile = script): string[] {
    return ["issue", ref, "--repo", repo, "--engine", `script:${scriptFile}`, "--check", "node --test", ...extra];
  }

  function issueArgs(number: number, repo: string, extra: string[] = [], scriptFile = script): string[] {
    return refArgs(`${REPO}#${number}`, repo, extra, scriptFile);
  }

  function taskIdIn(stderr: string): string {
    const id = /(?:queued|attached to) task (\S+)/.exec(stderr)?.[1];
    assert.ok(id, `the command named its task:\n${stderr}`);
    return id;
  }

  function showAtRemote(head: string, file: string): string {
    return git(["--git-dir", path.join(remote.root, `${REPO}.git`), "show", `${head}:${file}`], tmp);
  }

  /** What the fakes hold for one issue's task: PRs for its branch, its marked comments, its Slack messages. */
  function effects(number: number) {
    const repo = github.repoState(REPO);
    const prs = repo.pulls.filter((p) => p.head.startsWith(`bora/acme-shop-${number}-`));
    const comments = (repo.comments.get(number) ?? []).filter((c) => c.body.includes("<!-- bora:"));
    const taskId = /<!-- bora:([^:]+):/.exec(comments[0]?.body ?? "")?.[1];
    const messages = slack.messages.filter(
      (m) => taskId !== undefined && JSON.stringify(m.metadata ?? {}).includes(taskId),
    );
    return { prs, comments, messages, taskId };
  }

  it("fixes the issue in a worktree, pushes the branch and opens one PR that shows the checks passed; comments once and tells Slack once", async () => {
    const number = github.addIssue(REPO, {
      title: "Discount is applied the wrong way",
      body: "total([10, 10], 0.1) gives 2, not 18.",
    });
    const repo = checkout("plain");
    const run = await bora(issueArgs(number, repo));
    assert.equal(run.code, 0, run.stderr);
    const { prs, comments, messages, taskId } = effects(number);
    assert.equal(prs.length, 1, "one PR");
    const pr = prs[0]!;
    assert.match(run.stdout.trim(), new RegExp(`/${REPO}/pull/${pr.number}$`));
    assert.equal(pr.base, "main");
    assert.equal(pr.draft, false);
    assert.match(pr.body, /`node --test` passed \(exit 0/);
    assert.match(pr.body, new RegExp(`Fixes #${number}`));
    assert.ok(pr.body.includes(writeMarker(taskId!, "pullRequest")), "the PR body carries the task's marker");
    assert.equal(comments.length, 1, "one issue comment");
    assert.match(comments[0]!.body, /opened a pull request for this: .*\/pull\/\d+ \(the checks pass\)/);
    assert.equal(messages.length, 1, "one Slack message");
    // The pushed branch holds the fix, committed with the repository's author and the key in the message.
    const head = remote.branch(`${REPO}.git`, pr.head);
    assert.ok(head, "the branch is on the remote");
    assert.equal(git(["--git-dir", path.join(remote.root, `${REPO}.git`), "show", `${head}:src/cart.js`], tmp), FIXED);
    const log = git(
      ["--git-dir", path.join(remote.root, `${REPO}.git`), "log", "-1", "--format=%an <%ae>%n%s%n%b", head!],
      tmp,
    );
    assert.match(log, /^Shop Dev <dev@shop\.example>\nacme\/shop#\d+: Discount is applied the wrong way/);
    assert.match(log, new RegExp(`Bora-Task: ${taskId}`));
    // The user's checkout is untouched: the work happened in the task's own worktree.
    assert.equal(git(["status", "--porcelain"], repo), "");
    assert.equal(git(["rev-parse", "--abbrev-ref", "HEAD"], repo).trim(), "main");

    // The same REF and repo again attaches to the finished task: same PR, nothing new anywhere.
    const again = await bora(issueArgs(number, repo));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`attached to task ${taskId}`));
    assert.equal(again.stdout, run.stdout);
    const after = effects(number);
    assert.equal(after.prs.length, 1);
    assert.equal(after.comments.length, 1);
    assert.equal(after.messages.length, 1);
  });

  /** Crash points: before a step, inside it, after its call but before its record, after it, mid-agent. */
  const CRASHES = [
    "before:fetchItem",
    "afterCall:agent.modelTurn",
    "afterCall:agent.executeCall",
    "during:checks",
    "afterCall:commit",
    "afterCall:push",
    "before:pullRequest",
    "afterCall:pullRequest",
    "after:pullRequest",
    "afterCall:writeBack",
    "afterCall:slack",
  ];
  for (const point of CRASHES) {
    it(`killed with SIGKILL at ${point}, then resumed: one PR, one comment, one Slack message, and the fix on the branch`, async () => {
      const number = github.addIssue(REPO, { title: `Discount bug seen at ${point}` });
      const repo = checkout(`crash-${point.replace(/[^a-z]/gi, "-")}`);
      const crashed = await bora(issueArgs(number, repo), { BORA_CRASH_AT: point });
      assert.equal(crashed.signal, "SIGKILL", `the run died at ${point}:\n${crashed.stderr}`);
      assert.match(crashed.stderr, new RegExp(`crash point ${point.replace(".", "\\.")}#1`));
      const resumed = await bora(["tasks", "resume"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const { prs, comments, messages } = effects(number);
      assert.equal(prs.length, 1, "one PR");
      assert.match(resumed.stdout, new RegExp(`/pull/${prs[0]!.number}\n`));
      assert.equal(comments.length, 1, "one issue comment");
      assert.equal(messages.length, 1, "one Slack message");
      const head = remote.branch(`${REPO}.git`, prs[0]!.head);
      assert.equal(
        git(["--git-dir", path.join(remote.root, `${REPO}.git`), "show", `${head}:src/cart.js`], tmp),
        FIXED,
      );
    });
  }

  it("--approve waits for approval (exit 3) and opens nothing; bora tasks approve then finishes it", async () => {
    const number = github.addIssue(REPO, { title: "Discount needs a second pair of eyes" });
    const waiting = await bora(issueArgs(number, checkout("approve"), ["--approve"]));
    assert.equal(waiting.code, 3, waiting.stderr);
    assert.match(waiting.stderr, /\[approval\] waiting: waiting for approval: bora tasks approve /);
    assert.equal(waiting.stdout.trim(), "");
    assert.equal(effects(number).prs.length, 0, "nothing is pushed or opened before the approval");
    const approved = await bora(["tasks", "approve", taskIdIn(waiting.stderr)]);
    assert.equal(approved.code, 0, approved.stderr);
    const { prs, comments, messages } = effects(number);
    assert.equal(prs.length, 1);
    assert.match(approved.stdout, new RegExp(`/pull/${prs[0]!.number}\\n`));
    assert.equal(comments.length, 1);
    assert.equal(messages.length, 1);
  });

  it("killed while waiting for approval, it gets the approval given while it was down, exactly once", async () => {
    const number = github.addIssue(REPO, { title: "Discount approved while the host was down" });
    const crashed = await bora(issueArgs(number, checkout("approve-crash"), ["--approve"]), {
      BORA_CRASH_AT: "recv:approval",
    });
    assert.equal(crashed.signal, "SIGKILL", crashed.stderr);
    const approved = await bora(["tasks", "approve", taskIdIn(crashed.stderr), "--note", "looks right"]);
    assert.equal(approved.code, 0, approved.stderr);
    const { prs, comments, messages } = effects(number);
    assert.equal(prs.length, 1);
    assert.equal(comments.length, 1);
    assert.equal(messages.length, 1);
  });

  it("a tool call the policy asks about parks the task as waiting for input; bora tasks approve, from another process, runs it", async () => {
    const number = github.addIssue(REPO, { title: "Discount fix that wants to run a command" });
    const asking = path.join(tmp, "asks-to-run.json");
    writeFileSync(
      asking,
      JSON.stringify({
        turnFrom: "conversation",
        turns: [
          {
            content: "Fixing the discount, then running the tests.",
            tool_calls: [
              { name: "write_file", arguments: { path: "src/cart.js", content: FIXED } },
              { name: "run_command", arguments: { command: "node --test" } },
            ],
          },
          { content: "Fixed total() and ran the tests." },
        ],
      }),
    );
    const policy = path.join(tmp, "ask-commands.json");
    writeFileSync(policy, JSON.stringify({ run_command: "ask" }));
    const waiting = await bora(issueArgs(number, checkout("ask-policy"), ["--policy", policy], asking));
    assert.equal(waiting.code, 3, waiting.stderr);
    assert.match(waiting.stderr, /waiting for input: may it run_command node --test\? bora tasks approve /);
    const taskId = taskIdIn(waiting.stderr);
    const shown = JSON.parse((await bora(["tasks", "show", taskId, "--json"])).stdout) as {
      status: { state: string; approval?: { tool: string; summary: string } };
    };
    assert.equal(shown.status.state, "waiting");
    assert.deepEqual(
      { tool: shown.status.approval?.tool, summary: shown.status.approval?.summary },
      { tool: "run_command", summary: "node --test" },
    );
    assert.equal(effects(number).prs.length, 0, "nothing is opened while the task waits");

    const approved = await bora(["tasks", "approve", taskId, "--note", "tests are fine to run"]);
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(effects(number).prs.length, 1);
    const transcript = readFileSync(path.join(state, "runs", `${taskId}.jsonl`), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; name?: string; ok?: boolean; approval?: string; result?: string });
    const ran = transcript.filter((e) => e.type === "tool" && e.name === "run_command");
    assert.equal(ran.length, 1, "the command ran once");
    assert.equal(ran[0]!.ok, true, ran[0]!.result);
    assert.match(ran[0]!.approval ?? "", /run_command: ask → approved \(tests are fine to run\)/);
  });

  it("--deny refuses the change: the task ends cancelled, its branch is kept, nothing is opened", async () => {
    const number = github.addIssue(REPO, { title: "Discount change nobody wants" });
    const waiting = await bora(issueArgs(number, checkout("deny"), ["--approve"]));
    assert.equal(waiting.code, 3, waiting.stderr);
    const denied = await bora(["tasks", "approve", taskIdIn(waiting.stderr), "--deny", "--note", "not now"]);
    assert.equal(denied.code, 1, denied.stderr);
    assert.match(denied.stderr, /cancelled: the change was denied: not now; the worktree and branch are kept/);
    assert.equal(effects(number).prs.length, 0);
  });

  it("gives the agent the failing checks' output and opens a normal PR once its second try passes", async () => {
    const number = github.addIssue(REPO, { title: "Discount still wrong after a first fix" });
    const run = await bora(issueArgs(number, checkout("second-try"), [], secondTry));
    assert.equal(run.code, 0, run.stderr);
    const { prs, taskId } = effects(number);
    assert.equal(prs.length, 1);
    assert.equal(prs[0]!.draft, false);
    assert.match(prs[0]!.body, /`node --test` passed/);
    assert.equal(showAtRemote(prs[0]!.head, "src/cart.js"), FIXED);
    const transcript = readFileSync(path.join(state, "runs", `${taskId}.jsonl`), "utf8");
    assert.match(transcript, /The checks failed: `node --test` exited with 1/, "the agent was shown the failure");
  });

  it("opens a draft PR and ends 'checks failing' (exit 1) when the checks still fail after the extra turns", async () => {
    const number = github.addIssue(REPO, { title: "Discount cannot be fixed by this model" });
    const run = await bora(issueArgs(number, checkout("never-fixed"), ["--json"], neverFixed));
    assert.equal(run.code, 1, run.stderr);
    const { prs, comments } = effects(number);
    assert.equal(prs.length, 1);
    assert.equal(prs[0]!.draft, true, "a draft: the evidence says it does not work");
    assert.match(prs[0]!.body, /`node --test` \*\*failed\*\* \(exit 1/);
    assert.match(comments[0]!.body, /draft pull request .* \(the checks still fail\)/);
    const out = JSON.parse(run.stdout) as { status: string; pr: { number: number } };
    assert.equal(out.status, "checksFailing");
    assert.equal(out.pr.number, prs[0]!.number);
  });

  it("runs four issues of one repository in parallel: four worktrees, four branches, four PRs, no cross-talk", async () => {
    const numbers = [1, 2, 3, 4].map((i) => github.addIssue(REPO, { title: `Parallel discount bug ${i}` }));
    const repo = checkout("parallel");
    const run = await bora([
      "issue",
      ...numbers.map((n) => `${REPO}#${n}`),
      "--repo",
      repo,
      "--engine",
      `script:${script}`,
      "--check",
      "node --test",
      "--concurrency",
      "4",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const urls = run.stdout.trim().split("\n");
    assert.equal(urls.length, 4);
    const heads = new Set<string>();
    numbers.forEach((n, i) => {
      const { prs, comments, messages } = effects(n);
      assert.equal(prs.length, 1, `one PR for #${n}`);
      assert.match(urls[i]!, new RegExp(`/pull/${prs[0]!.number}$`), "the URLs come in the order of the REFs");
      assert.match(prs[0]!.body, new RegExp(`Fixes #${n}\\b`));
      assert.equal(comments.length, 1);
      assert.equal(messages.length, 1);
      assert.equal(showAtRemote(prs[0]!.head, "src/cart.js"), FIXED);
      heads.add(prs[0]!.head);
    });
    assert.equal(heads.size, 4, "four branches");
    const worktrees = git(["worktree", "list", "--porcelain"], repo).match(/^worktree /gm) ?? [];
    assert.equal(worktrees.length, 5, "the checkout and four task worktrees");
  });

  describe("bad input: a clear error, and a failed task that retry continues", () => {
    it("refuses a folder that is not a git repository with exit 2, before starting anything", async () => {
      const plain = path.join(tmp, "not-a-repo");
      mkdirSync(plain, { recursive: true });
      const run = await bora(issueArgs(1, plain));
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /is not a git repository/);
    });

    it("an issue the tracker answers 404 for fails with the reason; once it exists, retry finishes the task", async () => {
      const repo = checkout("missing-issue");
      github.addRepo("acme/later");
      const ref = "acme/later#1";
      const run = await bora(["issue", ref, "--repo", repo, "--engine", `script:${script}`, "--check", "node --test"]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /\[fetchItem\] failed: .*(404|not found)/i);
      assert.match(run.stderr, /bora tasks retry /);
      const taskId = taskIdIn(run.stderr);
      github.addIssue("acme/later", { title: "Discount from another repository" });
      const retried = await bora(["tasks", "retry", taskId]);
      assert.equal(retried.code, 0, retried.stderr);
      const pr = github.repoState(REPO).pulls.find((p) => p.head.startsWith("bora/acme-later-1-"));
      assert.ok(pr, "the PR opened after the retry");
      assert.match(pr.body, /Fixes acme\/later#1/);
    });

    it("a remote that refuses the token fails at push, says which token; after the remote is fixed, retry pushes and opens the PR", async () => {
      const strict = await new GitRemoteFake("another-token-entirely").start();
      try {
        strict.createRepo(`${REPO}.git`, seed);
        const number = github.addIssue(REPO, { title: "Discount behind a strict remote" });
        const repo = checkout("strict-remote");
        git(["remote", "set-url", "origin", strict.repoUrl(`${REPO}.git`)], repo);
        const run = await bora(issueArgs(number, repo));
        assert.equal(run.code, 1, run.stderr);
        assert.match(run.stderr, /\[push\] failed: the remote refused the token: check GITHUB_TOKEN/);
        assert.ok(!run.stderr.includes(SECRETS.github), "the token is not printed");
        assert.ok(
          !readFileSync(path.join(repo, ".git", "config"), "utf8").includes(SECRETS.github),
          "nor written to .git/config",
        );
        assert.equal(effects(number).prs.length, 0);
        git(["remote", "set-url", "origin", remote.repoUrl(`${REPO}.git`)], repo);
        const retried = await bora(["tasks", "retry", taskIdIn(run.stderr)]);
        assert.equal(retried.code, 0, retried.stderr);
        assert.equal(effects(number).prs.length, 1);
      } finally {
        await strict.close();
      }
    });
  });

  describe("a Jira ticket", () => {
    const jiraEffects = (key: string) => {
      const issue = jira.issue(key);
      return {
        prs: github.repoState(REPO).pulls.filter((p) => p.head.startsWith(`bora/${key.toLowerCase()}-`)),
        comments: issue.comments.length,
        links: issue.remoteLinks.length,
        status: issue.status.name,
      };
    };

    it("opens the PR on the repository's GitHub, comments on the ticket once, links the PR, and moves it by the transition named", async () => {
      jira.addIssue("SHOP-7", { summary: "Discount taken twice at checkout", status: "In Progress" });
      const run = await bora(refArgs("SHOP-7", checkout("jira"), ["--jira-transition", "In Review"]));
      assert.equal(run.code, 0, run.stderr);
      const effects = jiraEffects("SHOP-7");
      assert.equal(effects.prs.length, 1);
      assert.doesNotMatch(effects.prs[0]!.body, /Fixes #/, "a Jira ticket closes no GitHub issue");
      assert.equal(effects.comments, 1);
      assert.equal(effects.links, 1);
      assert.equal(effects.status, "In Review");
    });

    it("killed after the write-back's calls went through, resumed: still one comment, one link, and the transition is not tried on a ticket already moved", async () => {
      jira.addIssue("SHOP-8", { summary: "Discount rounding at checkout", status: "In Progress" });
      const args = refArgs("SHOP-8", checkout("jira-crash"), ["--jira-transition", "In Review"]);
      const crashed = await bora(args, { BORA_CRASH_AT: "afterCall:writeBack" });
      assert.equal(crashed.signal, "SIGKILL", crashed.stderr);
      const resumed = await bora(["tasks", "resume"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const effects = jiraEffects("SHOP-8");
      assert.deepEqual(
        { prs: effects.prs.length, comments: effects.comments, links: effects.links, status: effects.status },
        { prs: 1, comments: 1, links: 1, status: "In Review" },
      );
    });
  });

  describe("a Sentry error", () => {
    it("opens the PR for the error and notes it on the Sentry issue once, even when killed after the note went through", async () => {
      const issue = sentry.addIssue("shop", {
        title: "RangeError: total() goes negative with a 10% discount",
        frames: [{ absPath: "/app/src/cart.js", function: "total", lineNo: 1 }],
      });
      const args = refArgs(issue.id, checkout("sentry"));
      const crashed = await bora(args, { BORA_CRASH_AT: "afterCall:writeBack" });
      assert.equal(crashed.signal, "SIGKILL", crashed.stderr);
      const resumed = await bora(["tasks", "resume"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const prs = github.repoState(REPO).pulls.filter((p) => p.head.startsWith(`bora/${issue.id}-`));
      assert.equal(prs.length, 1, "one PR for the error");
      assert.match(resumed.stdout, new RegExp(`/pull/${prs[0]!.number}\\n`));
      assert.equal(showAtRemote(prs[0]!.head, "src/cart.js"), FIXED);
      const notes = sentry.issueState(issue.id).notes;
      assert.equal(notes.length, 1, "one note on the Sentry issue");
      assert.ok(notes[0]!.data.text.includes(`/pull/${prs[0]!.number}`), "the note links the PR");
      const taskId = /<!-- bora:([^:]+):/.exec(prs[0]!.body)?.[1];
      assert.ok(taskId, prs[0]!.body);
      assert.ok(notes[0]!.data.text.includes(`<!-- bora:${taskId}:`), "the note carries the task's marker");
      const messages = slack.messages.filter((m) => JSON.stringify(m.metadata ?? {}).includes(taskId));
      assert.equal(messages.length, 1, "one Slack message");
      assert.deepEqual(sentry.violations, [], "every Sentry response matched Sentry's schema");
    });
  });

  describe("bora run --background", () => {
    it("does the instruction on a branch of its own and ends with that branch to review, pushing nothing", async () => {
      const repo = checkout("background");
      const run = await bora([
        "run",
        "--background",
        "--cwd",
        repo,
        "--engine",
        `script:${script}`,
        "--check",
        "node --test",
        "make the discount a fraction",
      ]);
      assert.equal(run.code, 0, run.stderr);
      const branch = run.stdout.trim();
      assert.match(branch, /^bora\/task-make-the-discount-a-fraction-[0-9a-f]{6}$/);
      assert.match(run.stderr, /needsReview: the change is committed on bora\/task-/);
      assert.equal(git(["show", `${branch}:src/cart.js`], repo), FIXED, "the branch holds the change");
      assert.equal(readFileSync(path.join(repo, "src/cart.js"), "utf8"), BUGGY, "the checkout itself is untouched");
      assert.equal(remote.branch(`${REPO}.git`, branch), undefined, "nothing was pushed");
    });

    it("with --pr pushes the branch and opens a PR titled by the instruction, with no tracker to write back to", async () => {
      const repo = checkout("background-pr");
      const before = slack.messages.length;
      const run = await bora([
        "run",
        "--background",
        "--pr",
        "--cwd",
        repo,
        "--engine",
        `script:${script}`,
        "--check",
        "node --test",
        "fix the discount maths",
      ]);
      assert.equal(run.code, 0, run.stderr);
      const pr = github.repoState(REPO).pulls.find((p) => p.head.startsWith("bora/task-fix-the-discount-maths-"));
      assert.ok(pr, "the PR is open");
      assert.equal(pr.title, "fix the discount maths");
      assert.match(run.stdout, new RegExp(`/pull/${pr.number}\\n`));
      assert.equal(showAtRemote(pr.head, "src/cart.js"), FIXED);
      assert.equal(slack.messages.length, before + 1, "Slack hears of the PR once");
    });
  });

  it("survives a bounded loop of kill -9 from outside at random moments: one PR, one comment, one Slack message", async () => {
    const number = github.addIssue(REPO, { title: "Discount under random power cuts" });
    const repo = checkout("chaos");
    // A fixed seed, printed, so a failure can be replayed; kills land anywhere in a run of ~10 s.
    let seed = 0x5eed ^ number;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let done = false;
    // A kill before the command queued its task (a slow start on a loaded machine) leaves nothing to
    // resume: as a user would, run the command again, which queues it (or attaches to it).
    let queued = false;
    const next = (): string[] => (queued ? ["tasks", "resume"] : issueArgs(number, repo));
    const kills: number[] = [];
    let said = "";
    for (let round = 0; round < 6 && !done; round++) {
      const killAt = 1500 + Math.floor(random() * 6000);
      const run = await bora(next(), {}, killAt);
      said = run.stderr;
      queued ||= /(?:queued|attached to) task/.test(run.stderr);
      if (run.signal === "SIGKILL") kills.push(killAt);
      else done = run.code === 0;
    }
    assert.ok(kills.length > 0, "at least one run was killed");
    if (!done) {
      const last = await bora(next());
      said = last.stderr;
      assert.equal(last.code, 0, last.stderr);
    }
    const { prs, comments, messages } = effects(number);
    assert.deepEqual(
      { prs: prs.length, comments: comments.length, messages: messages.length },
      { prs: 1, comments: 1, messages: 1 },
      `kills at ${kills.join(", ")} ms; the last run said:\n${said.slice(-2000)}`,
    );
    assert.equal(showAtRemote(prs[0]!.head, "src/cart.js"), FIXED);
  });

  it("after an upgrade, a task the older version left is reported and listed as stale, not resumed silently; resume ID finishes it", async () => {
    const number = github.addIssue(REPO, { title: "Discount across an upgrade" });
    const old = { BORA_WORKFLOW_VERSION: "0.0.9+workflows.0" };
    const crashed = await bora(issueArgs(number, checkout("upgrade")), { ...old, BORA_CRASH_AT: "afterCall:push" });
    assert.equal(crashed.signal, "SIGKILL", crashed.stderr);
    const taskId = taskIdIn(crashed.stderr);
    const listed = await bora(["tasks", "list"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stderr,
      new RegExp(`task\\(s\\) left unfinished by an older Bora: .*${taskId} \\(0\\.0\\.9\\+workflows\\.0\\)`),
    );
    assert.match(
      listed.stdout,
      new RegExp(
        `${taskId} .*\\[stale: left by Bora 0\\.0\\.9\\+workflows\\.0; bora tasks resume ${taskId} or abandon it\\]`,
      ),
    );
    assert.equal(effects(number).prs.length, 0, "the upgrade did not run it by itself");
    const resumed = await bora(["tasks", "resume", taskId]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const { prs, comments, messages } = effects(number);
    assert.deepEqual(
      { prs: prs.length, comments: comments.length, messages: messages.length },
      { prs: 1, comments: 1, messages: 1 },
    );
  });
});
