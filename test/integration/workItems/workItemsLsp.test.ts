/**
 * The Work Items methods over a real LSP connection, against the GitHub, Jira and Sentry fakes: the
 * default lists (GitHub issues assigned to the user in the workspace's repository, Jira's open
 * assigned tickets, Sentry's unresolved errors), a query, the details of a Sentry error with its
 * frames mapped onto the workspace, and trackers that fail (a refused token, a rate limit) while
 * the others still list.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GetWorkItem, ListWorkItems, type Problem } from "@bora/protocol";
import { pathToFileURL } from "node:url";
import {
  PublishDiagnosticsNotification,
  ResponseError,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
import { GitHubFake } from "../../fakes/github.js";
import { JiraFake } from "../../fakes/jira.js";
import { SentryFake } from "../../fakes/sentry.js";
import { startHostWithSettings, waitFor, type HostWithSettings } from "../../support/hostProcess.js";
import { SECRETS } from "../integrations/support.js";
import { git } from "../workflows/support/shopRepo.js";

const REPO = "acme/shop";

describe("work items over LSP: bora/listWorkItems and bora/getWorkItem against the trackers' fakes", function () {
  this.timeout(60_000);
  let tmp: string;
  let workspace: string;
  let github: GitHubFake;
  let jira: JiraFake;
  let sentry: SentryFake;
  const hosts: HostWithSettings[] = [];

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "bora-work-items-"));
    workspace = path.join(tmp, "shop");
    mkdirSync(path.join(workspace, "src"), { recursive: true });
    writeFileSync(path.join(workspace, "src/cart.js"), "exports.total = () => 0;\n");
    git(["init", "--quiet", "--initial-branch=main"], workspace);
    git(["remote", "add", "origin", `https://github.example/${REPO}.git`], workspace);

    github = await new GitHubFake().start();
    github.addToken(SECRETS.github, "bora-bot");
    github.addRepo(REPO, { defaultBranch: "main" });
    jira = await new JiraFake("cloud", { email: "bora@example.invalid", apiToken: SECRETS.jira }).start();
    sentry = await new SentryFake("acme", SECRETS.sentry).start();
    sentry.addProject("shop");
  });

  after(async () => {
    for (const host of hosts) await host.host.dispose();
    await github?.close();
    await jira?.close();
    await sentry?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function host(env: NodeJS.ProcessEnv = {}): Promise<HostWithSettings> {
    const started = await startHostWithSettings(
      () => ({}),
      {
        GITHUB_TOKEN: SECRETS.github,
        BORA_GITHUB_URL: github.url,
        BORA_JIRA_URL: jira.url,
        JIRA_EMAIL: "bora@example.invalid",
        JIRA_API_TOKEN: SECRETS.jira,
        BORA_SENTRY_URL: sentry.url,
        SENTRY_AUTH_TOKEN: SECRETS.sentry,
        SENTRY_ORG: "acme",
        SENTRY_PROJECT: "shop",
        ...env,
      },
      { workspaceFolders: [workspace] },
    );
    hosts.push(started);
    return started;
  }

  it("lists each tracker's own open work by default, in order, and a query in one tracker's language", async () => {
    const mine = github.addIssue(REPO, { title: "Discount applied twice", assignee: "bora-bot" });
    github.addIssue(REPO, { title: "Someone else's bug", assignee: "octo-other" });
    github.addIssue(REPO, { title: "Closed already", assignee: "bora-bot", state: "closed" });
    jira.addIssue("SHOP-1", { summary: "Checkout rounding", status: "In Progress", assignedToMe: true });
    jira.addIssue("SHOP-2", { summary: "Shipped long ago", status: "Done", assignedToMe: true });
    jira.addIssue("SHOP-3", { summary: "Not mine", status: "To Do" });
    const error = sentry.addIssue("shop", {
      title: "TypeError: total is not a function",
      frames: [{ absPath: "/srv/app/src/cart.js", function: "total", lineNo: 1 }],
    });
    sentry.addIssue("shop", { title: "RangeError: fixed", status: "resolved" });

    const { host: h } = await host();
    const published: PublishDiagnosticsParams[] = [];
    h.connection.onNotification(PublishDiagnosticsNotification.type, (p) => void published.push(p));
    const { groups } = await h.connection.sendRequest(ListWorkItems.type, {});
    assert.deepEqual(
      groups.map((g) => g.source),
      ["github", "jira", "sentry"],
    );
    assert.deepEqual(
      groups.map((g) => ({ source: g.source, keys: g.items.map((i) => i.key), problem: g.problem })),
      [
        { source: "github", keys: [`${REPO}#${mine}`], problem: undefined },
        { source: "jira", keys: ["SHOP-1"], problem: undefined },
        { source: "sentry", keys: [error.id], problem: undefined },
      ],
    );
    const row = groups[0]!.items[0]!;
    assert.equal(row.title, "Discount applied twice");
    assert.equal(row.status, "open");
    assert.ok(row.updatedAt && !Number.isNaN(Date.parse(row.updatedAt)), "GitHub says when it changed");
    assert.equal(groups[1]!.query, "assignee = currentUser() AND statusCategory != Done");
    assert.ok(groups[1]!.items[0]!.updatedAt, "Jira says when it changed");

    const queried = await h.connection.sendRequest(ListWorkItems.type, { source: "jira", query: "status = Done" });
    assert.deepEqual(
      queried.groups.map((g) => [g.source, g.items.map((i) => i.key)]),
      [["jira", ["SHOP-2"]]],
    );
    await assert.rejects(
      h.connection.sendRequest(ListWorkItems.type, { query: "status = Done" }),
      /name its source/,
      "a query without its tracker is refused",
    );

    // The Sentry error whose frame is in the workspace is a warning in that file, with its event count.
    const cart = pathToFileURL(path.join(workspace, "src/cart.js")).href;
    const diagnostics = await waitFor(
      "the Sentry diagnostics",
      () => published.find((p) => p.uri === cart && p.diagnostics.length > 0)?.diagnostics,
      10_000,
    );
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.source, "Sentry");
    assert.equal(diagnostics[0]!.severity, 2);
    assert.equal(diagnostics[0]!.range.start.line, 0);
    assert.match(
      String(diagnostics[0]!.message),
      new RegExp(`^${error.shortId}: TypeError: total is not a function \\(1 event`),
    );

    const { item } = await h.connection.sendRequest(GetWorkItem.type, { ref: error.id, source: "sentry" });
    assert.equal(item.source, "sentry");
    const frame = item.stackTraces[0]?.frames.at(-1);
    assert.equal(frame?.workspacePath, "src/cart.js", "the frame maps onto the workspace file");
    assert.equal(frame?.line, 1);
    const issue = await h.connection.sendRequest(GetWorkItem.type, { ref: `${REPO}#${mine}` });
    assert.equal(issue.item.title, "Discount applied twice");
  });

  it("a tracker that refuses the token or is rate limited says so with its fix; the others still list", async () => {
    jira.addIssue("SHOP-9", { summary: "Still listed", status: "To Do", assignedToMe: true });
    sentry.rateLimit(3600, 10);
    const { host: h } = await host({ GITHUB_TOKEN: "ghp_wrongwrongwrongwrongwrongwrong0000" });
    const { groups } = await h.connection.sendRequest(ListWorkItems.type, {});
    const bySource = new Map(groups.map((g) => [g.source, g]));
    const gh = bySource.get("github")!;
    assert.equal(gh.items.length, 0);
    assert.equal(gh.problem?.code, "github.auth");
    assert.equal(gh.problem?.fix, "configureIntegration");
    assert.equal(gh.problem?.target, "bora.github");
    assert.match(gh.problem?.message ?? "", /GitHub rejected the token/);
    const sn = bySource.get("sentry")!;
    assert.equal(sn.problem?.code, "sentry.rateLimited");
    assert.match(sn.problem?.message ?? "", /rate limit/i);
    assert.match(sn.problem?.message ?? "", /\d{4}-\d\d-\d\dT/, "the reset time is given");
    assert.ok(
      bySource.get("jira")!.items.some((i) => i.key === "SHOP-9"),
      "Jira still lists",
    );

    const failed = await h.connection.sendRequest(GetWorkItem.type, { ref: `${REPO}#1` }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(failed instanceof ResponseError);
    assert.equal((failed.data as Problem).fix, "configureIntegration");
  });

  it("a tracker configured only in part is its own group's problem, with its fix; the others still list", async () => {
    jira.addIssue("SHOP-11", {
      summary: "Listed beside a half-configured Sentry",
      status: "To Do",
      assignedToMe: true,
    });
    // A Sentry token without its organization: before, this failed the whole list.
    const { host: h } = await host({ SENTRY_ORG: "" });
    const { groups } = await h.connection.sendRequest(ListWorkItems.type, {});
    assert.deepEqual(
      groups.map((g) => [g.source, g.problem?.code]),
      [
        ["github", undefined],
        ["jira", undefined],
        ["sentry", "sentry.config"],
      ],
    );
    assert.ok(
      groups[1]!.items.some((i) => i.key === "SHOP-11"),
      "Jira still lists",
    );
    const problem = groups[2]!.problem!;
    assert.equal(problem.fix, "configureIntegration");
    assert.equal(problem.target, "bora.sentry");
    assert.match(problem.message, /SENTRY_ORG/);
    const details = await h.connection.sendRequest(GetWorkItem.type, { ref: "1", source: "sentry" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(details instanceof ResponseError);
    assert.equal((details.data as Problem).code, "sentry.config", "Show Details says the same");
  });

  it("says a tracker has more than one page held, and a larger limit for that source lists past 100", async () => {
    // Its own repository, so the other tests' issues do not count.
    const many = path.join(tmp, "many");
    mkdirSync(many);
    git(["init", "--quiet", "--initial-branch=main"], many);
    git(["remote", "add", "origin", "https://github.example/acme/many.git"], many);
    github.addRepo("acme/many", { defaultBranch: "main" });
    for (let i = 1; i <= 130; i++) github.addIssue("acme/many", { title: `issue ${i}`, assignee: "bora-bot" });
    const started = await startHostWithSettings(
      () => ({}),
      { GITHUB_TOKEN: SECRETS.github, BORA_GITHUB_URL: github.url, SENTRY_AUTH_TOKEN: "", JIRA_API_TOKEN: "" },
      { workspaceFolders: [many] },
    );
    hosts.push(started);
    const { connection } = started.host;
    const first = await connection.sendRequest(ListWorkItems.type, { limit: 100 });
    assert.deepEqual(
      first.groups.map((g) => [g.source, g.items.length, g.more]),
      [["github", 100, true]],
    );
    const more = await connection.sendRequest(ListWorkItems.type, { source: "github", limit: 200 });
    assert.deepEqual(
      more.groups.map((g) => [g.source, g.items.length, g.more]),
      [["github", 130, undefined]],
    );
    assert.equal(new Set(more.groups[0]!.items.map((i) => i.key)).size, 130, "130 different issues, none twice");
    const tooMany = await connection.sendRequest(ListWorkItems.type, { source: "github", limit: 501 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(tooMany instanceof ResponseError, "more than MAX_WORK_ITEMS is refused");
  });
});
