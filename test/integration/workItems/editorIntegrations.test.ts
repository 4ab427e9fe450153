/**
 * Integrations configured from the editor, over a real LSP connection: the host has no tracker
 * variables in its environment; the settings (`bora.github.url`, `bora.jira.*`, `bora.sentry.*`)
 * arrive by `workspace/configuration` and the tokens sealed by `bora/setSecret`, and at once the
 * Work Items list and `bora/checkIntegration` use them, with no restart. A wrong token is reported
 * with its fix; a changed setting applies on the next request.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CheckIntegration, ListWorkItems, SetSecret, sealSecret, type SecretName } from "@bora/protocol";
import { DidChangeConfigurationNotification } from "vscode-languageserver-protocol/node";
import { GitHubFake } from "../../fakes/github.js";
import { JiraFake } from "../../fakes/jira.js";
import { SentryFake } from "../../fakes/sentry.js";
import { SlackFake } from "../../fakes/slack.js";
import { startHostWithSettings, type HostWithSettings } from "../../support/hostProcess.js";
import { SECRETS } from "../integrations/support.js";
import { git } from "../workflows/support/shopRepo.js";

const REPO = "acme/shop";

describe("integrations configured from the editor: settings and sealed tokens, no environment, no restart", function () {
  this.timeout(60_000);
  let tmp: string;
  let workspace: string;
  let github: GitHubFake;
  let jira: JiraFake;
  let sentry: SentryFake;
  let slack: SlackFake;
  let started: HostWithSettings | undefined;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "bora-editor-integrations-"));
    workspace = path.join(tmp, "shop");
    git(["init", "--quiet", "--initial-branch=main", workspace], tmp);
    git(["remote", "add", "origin", `https://github.example/${REPO}.git`], workspace);
    github = await new GitHubFake().start();
    github.addToken(SECRETS.github, "bora-bot");
    github.addToken("ghp_noRepoScopeNoRepoScopeNoRepo0000", "octo-reader", "read:user");
    github.addRepo(REPO, { defaultBranch: "main" });
    jira = await new JiraFake("cloud", { email: "bora@example.invalid", apiToken: SECRETS.jira }).start();
    sentry = await new SentryFake("acme", SECRETS.sentry).start();
    sentry.addProject("shop");
    slack = await new SlackFake(SECRETS.slackBot).start();
  });

  after(async () => {
    await started?.host.dispose();
    await github?.close();
    await jira?.close();
    await sentry?.close();
    await slack?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("lists and checks with the editor's settings and tokens, and follows a changed token and setting", async () => {
    const mine = github.addIssue(REPO, { title: "Configured from the editor", assignee: "bora-bot" });
    jira.addIssue("SHOP-40", { summary: "Editor-configured ticket", status: "To Do", assignedToMe: true });
    const channel = slack.addChannel("builds");
    let settings: Record<string, unknown> = {
      github: { url: github.url },
      jira: { url: jira.url, email: "bora@example.invalid" },
      sentry: { url: sentry.url, org: "acme" },
      slack: { channel },
    };
    // No tracker variables: only what the editor gives counts (BORA_SLACK_API_URL points Slack at its fake).
    started = await startHostWithSettings(
      () => settings,
      {
        GITHUB_TOKEN: "",
        BORA_GITHUB_TOKEN: "",
        JIRA_API_TOKEN: "",
        SENTRY_AUTH_TOKEN: "",
        SLACK_BOT_TOKEN: "",
        BORA_SLACK_API_URL: `${slack.url}/api`,
      },
      { workspaceFolders: [workspace] },
    );
    const { connection } = started.host;
    const key = started.bora.secretKey;
    const give = (name: SecretName, value: string) =>
      connection.sendRequest(SetSecret.type, { name, sealed: sealSecret(key, name, value) });

    assert.deepEqual((await connection.sendRequest(ListWorkItems.type, {})).groups, [], "nothing configured yet");
    const before = await connection.sendRequest(CheckIntegration.type, { service: "github" });
    assert.equal(before.problem?.code, "github.unconfigured");
    assert.equal(before.problem?.fix, "configureIntegration");

    await give("github.token", SECRETS.github);
    await give("jira.token", SECRETS.jira);
    const { groups } = await connection.sendRequest(ListWorkItems.type, {});
    assert.deepEqual(
      groups.map((g) => [g.source, g.items.map((i) => i.key), g.problem?.code]),
      [
        ["github", [`${REPO}#${mine}`], undefined],
        ["jira", ["SHOP-40"], undefined],
      ],
    );
    assert.deepEqual(await connection.sendRequest(CheckIntegration.type, { service: "github" }), {
      service: "github",
      account: "bora-bot",
    });
    const jiraCheck = await connection.sendRequest(CheckIntegration.type, { service: "jira" });
    assert.ok(jiraCheck.account && jiraCheck.problem === undefined, JSON.stringify(jiraCheck));

    // Sentry without its project says which setting to fill in; with it, it checks.
    await give("sentry.token", SECRETS.sentry);
    const noProject = await connection.sendRequest(CheckIntegration.type, { service: "sentry" });
    assert.equal(noProject.problem?.code, "sentry.noProject");
    settings = { ...settings, sentry: { url: sentry.url, org: "acme", project: "shop" } };
    await connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    assert.deepEqual(await connection.sendRequest(CheckIntegration.type, { service: "sentry" }), {
      service: "sentry",
      account: "acme/shop",
    });
    await give("slack.token", SECRETS.slackBot);
    assert.deepEqual(await connection.sendRequest(CheckIntegration.type, { service: "slack" }), {
      service: "slack",
      account: `channel ${channel}`,
    });

    // A token without the repo scope is named as lacking it; a refused one says so with its fix.
    await give("github.token", "ghp_noRepoScopeNoRepoScopeNoRepo0000");
    assert.deepEqual(await connection.sendRequest(CheckIntegration.type, { service: "github" }), {
      service: "github",
      account: "octo-reader",
      missing: ["repo"],
    });
    await give("github.token", "ghp_wrongwrongwrongwrongwrongwrong0000");
    const refused = await connection.sendRequest(CheckIntegration.type, { service: "github" });
    assert.equal(refused.problem?.code, "github.auth");
    assert.match(refused.problem?.message ?? "", /GitHub rejected the token/);
    assert.doesNotMatch(started.host.stderr(), /ghp_wrong|ghp_noRepo/, "no token reaches the host's log");
  });
});
