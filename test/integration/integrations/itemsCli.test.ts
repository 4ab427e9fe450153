import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { runCli } from "../../../server/src/cli/run.js";
import { exitOf, spawnCli } from "../../support/hostProcess.js";
import { GitHubFake } from "../../fakes/github.js";
import { JiraFake, sampleAdfDescription } from "../../fakes/jira.js";
import { SentryFake } from "../../fakes/sentry.js";
import { SECRETS, assertNoSecrets } from "./support.js";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe("bora items (the CLI against the GitHub, Jira and Sentry fakes)", function () {
  let github: GitHubFake;
  let jira: JiraFake;
  let sentry: SentryFake;
  let workspace: string;
  let env: NodeJS.ProcessEnv;
  let shortId: string;
  const written: string[] = [];

  before(async () => {
    workspace = mkdtempSync(path.join(os.tmpdir(), "bora-items-"));
    mkdirSync(path.join(workspace, "src"), { recursive: true });
    writeFileSync(path.join(workspace, "src/save.ts"), "export {};\n");
    github = await new GitHubFake().start();
    github.addToken(SECRETS.github, "bora-bot");
    github.addRepo("octo/app");
    github.addIssue("octo/app", {
      title: "Crash on save",
      body: "Steps: save twice.",
      labels: ["bug"],
      assignee: "bora-bot",
    });
    github.addIssue("octo/app", { title: "Docs typo" });
    github.addComment("octo/app", 1, "Seen on 1.2 too");
    jira = await new JiraFake("cloud", { email: "bot@example.invalid", apiToken: SECRETS.jira }).start();
    jira.addIssue("ABC-12", {
      summary: "Save fails on Windows",
      description: sampleAdfDescription(),
      assignedToMe: true,
    });
    sentry = await new SentryFake("acme", SECRETS.sentry).start();
    sentry.addProject("app");
    shortId = sentry.addIssue("app", {
      title: "TypeError: x is undefined",
      frames: [
        { absPath: "/srv/app/src/save.ts", function: "save", lineNo: 4 },
        { absPath: "/srv/app/src/gone.ts", function: "gone", lineNo: 1 },
      ],
    }).shortId;
    env = {
      GITHUB_TOKEN: SECRETS.github,
      BORA_GITHUB_URL: github.url,
      BORA_JIRA_URL: jira.url,
      JIRA_EMAIL: "bot@example.invalid",
      JIRA_API_TOKEN: SECRETS.jira,
      BORA_SENTRY_URL: sentry.url,
      SENTRY_AUTH_TOKEN: SECRETS.sentry,
      SENTRY_ORG: "acme",
      SENTRY_PROJECT: "app",
      SLACK_WEBHOOK_URL: `http://127.0.0.1:9/services/T0/B0/${SECRETS.slackWebhookSecret}`,
    };
  });
  after(async () => {
    // Nothing any command wrote may hold a secret.
    for (const text of written) assertNoSecrets(text, "the CLI output");
    await Promise.all([github.close(), jira.close(), sentry.close()]);
    rmSync(workspace, { recursive: true, force: true });
  });

  async function bora(
    args: string[],
    extraEnv: NodeJS.ProcessEnv = {},
  ): Promise<{ code: number | "running"; stdout: string; stderr: string }> {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli(args, { stdout, stderr, env: { ...env, ...extraEnv }, cwd: workspace });
    written.push(stdout.text, stderr.text);
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it("lists a repository's open issues as a table, auditing each request on stderr", async () => {
    const before = github.requests.length;
    const r = await bora(["items", "list", "--source", "github", "--repo", "octo/app"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KEY\s+STATUS\s+ASSIGNEE\s+TITLE\n/);
    assert.match(r.stdout, /octo\/app#1\s+open\s+bora-bot\s+Crash on save/);
    assert.match(r.stdout, /octo\/app#2\s+open\s+-\s+Docs typo/);
    const audits = r.stderr.split("\n").filter((l) => l.startsWith("audit "));
    assert.equal(audits.length, github.requests.length - before);
  });

  it("lists as JSON with --json and searches with --query", async () => {
    const r = await bora([
      "items",
      "list",
      "--source",
      "github",
      "--repo",
      "octo/app",
      "--query",
      "typo",
      "--json",
      "--quiet",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const items = JSON.parse(r.stdout) as { key: string; source: string }[];
    assert.deepEqual(
      items.map((i) => [i.source, i.key]),
      [["github", "octo/app#2"]],
    );
    assert.equal(r.stderr, "", "--quiet leaves out the audit lines");
  });

  it("shows a GitHub issue by OWNER/NAME#N and by URL, with comments", async () => {
    for (const target of ["octo/app#1", `${github.url}/octo/app/issues/1`]) {
      const r = await bora(["items", "show", target, "--quiet"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^octo\/app#1 {2}Crash on save\nopen · bora-bot · bug\n/);
      assert.match(r.stdout, /Comments \(1\):\n--- reporter, .*\nSeen on 1.2 too/);
    }
  });

  it("lists Jira issues by JQL and shows one by key with its description in Markdown", async () => {
    const list = await bora(["items", "list", "--source", "jira", "--query", "assignee = currentUser()", "--quiet"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /ABC-12\s+To Do\s+Bora Bot\s+Save fails on Windows/);
    const show = await bora(["items", "show", "ABC-12", "--json", "--quiet"]);
    assert.equal(show.code, 0, show.stderr);
    const item = JSON.parse(show.stdout) as { source: string; body: string };
    assert.equal(item.source, "jira");
    assert.match(item.body, /^## Steps\n\n1\. Open `settings.json`/);
  });

  it("shows a Sentry issue by short id, with frames mapped to the workspace", async () => {
    const r = await bora(["items", "show", shortId, "--source", "sentry", "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /at gone \(\/srv\/app\/src\/gone\.ts:1\) {2}\[not in workspace\]\n\s+at save \(src\/save\.ts:4\)/,
    );
    const list = await bora(["items", "list", "--source", "sentry", "--quiet"]);
    assert.match(list.stdout, new RegExp(`\\d+\\s+unresolved\\s+-\\s+${shortId}: TypeError`));
  });

  it("says what to set when a source is not configured", async () => {
    const r = await bora(["items", "list", "--source", "github", "--repo", "octo/app"], { GITHUB_TOKEN: "" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /GitHub is not configured; set GITHUB_TOKEN/);
  });

  it("rejects bad input with exit code 2 and the reason", async () => {
    assert.match(
      (await bora(["items", "list", "--source", "gitlab"])).stderr,
      /--source must be one of github, jira, sentry/,
    );
    assert.match((await bora(["items", "list", "--source", "github", "--repo", "not-a-repo"])).stderr, /OWNER\/NAME/);
    assert.match((await bora(["items", "show"])).stderr, /show takes one URL, key or id/);
    const insecure = await bora(["items", "list", "--source", "github", "--repo", "o/r"], {
      BORA_GITHUB_URL: "http://ghe.example.invalid/api/v3",
    });
    assert.equal(insecure.code, 2);
    assert.match(insecure.stderr, /BORA_GITHUB_URL must use https:\/\//);
    const half = await bora(["items", "list", "--source", "jira"], { JIRA_API_TOKEN: "" });
    assert.match(half.stderr, /JIRA_EMAIL is set without JIRA_API_TOKEN/);
  });

  it("a wrong token ends with exit 1 and an actionable message, never the token", async () => {
    const r = await bora(["items", "show", "ABC-12"], { JIRA_API_TOKEN: "FAKEjiraTOKEN-wrong-0000" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Jira at 127\.0\.0\.1:\d+ rejected the credentials \(401\)/);
    assert.ok(!r.stderr.includes("FAKEjiraTOKEN-wrong-0000"));
    const gh = await bora(["items", "show", "octo/app#99"]);
    assert.match(gh.stderr, /GitHub issue octo\/app#99 not found \(404\)/);
  });

  it("the built executable shows an item too (bundled jira-client, its CommonJS default export)", async () => {
    const child = spawnCli(["items", "show", "ABC-12"], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const { code } = await exitOf(child);
    written.push(stdout, stderr);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^ABC-12 {2}Save fails on Windows\nTo Do · Bora Bot\n/);
    assert.match(stderr, /^audit \S+ jira GET 127\.0\.0\.1:\d+\/rest\/api\/3\/issue\/ABC-12 200/m);
  });
});
