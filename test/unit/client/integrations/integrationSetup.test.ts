import assert from "node:assert/strict";
import { INTEGRATION_SECRET_NAMES } from "@bora/protocol";
import { checkSummary, SETUP_FLOWS, teamCheckSummary } from "../../../../client/src/integrations/integrationSetup.js";

const flow = (choice: string) => SETUP_FLOWS.find((f) => f.choice === choice)!;
const field = (choice: string, target: string) =>
  flow(choice).fields.find((f) => ("setting" in f.target ? f.target.setting : f.target.secret) === target)!;

describe("the Configure Integrations flows (pure)", () => {
  it("asks every service's token last, hidden, into secret storage, and one of the protocol's secret names", () => {
    for (const f of SETUP_FLOWS) {
      const last = f.fields.at(-1)!;
      assert.ok("secret" in last.target, `${f.label} asks its token last`);
      assert.ok((INTEGRATION_SECRET_NAMES as readonly string[]).includes(last.target.secret));
      assert.equal(last.password, true);
      assert.equal(f.fields.filter((x) => "secret" in x.target).length, 1);
    }
  });

  it("refuses URLs that would send a token in clear text, and accepts https or this machine", () => {
    const url = field("jiraCloud", "jira.url");
    assert.equal(url.validate!("https://acme.atlassian.net"), undefined);
    assert.equal(url.validate!("http://localhost:8080"), undefined);
    assert.match(url.validate!("http://jira.example.com") ?? "", /https:\/\//);
    assert.match(url.validate!("jira.example.com") ?? "", /full address/);
  });

  it("checks the e-mail, the Slack channel id and required fields as typed", () => {
    assert.match(field("jiraCloud", "jira.email").validate!("nope") ?? "", /e-mail/);
    assert.equal(field("slack", "slack.channel").validate!("C0123ABCDEF"), undefined);
    assert.match(field("slack", "slack.channel").validate!("#builds") ?? "", /starts with C or G/);
    assert.match(field("sentry", "sentry.org").validate!("  ") ?? "", /required/);
  });

  it("clears what a flavour does not use: github.com drops an Enterprise URL, Data Center drops the e-mail", () => {
    assert.deepEqual(flow("github").clear, ["github.url"]);
    assert.deepEqual(flow("jiraDataCenter").clear, ["jira.email"]);
  });

  it("says who the credential is, what it lacks, or what went wrong", () => {
    assert.deepEqual(checkSummary("GitHub", { account: "octo" }), {
      ok: true,
      message: "GitHub is set up: signed in as octo.",
    });
    assert.deepEqual(checkSummary("GitHub", { account: "octo", missing: ["repo"] }), {
      ok: false,
      message: "GitHub is set up: signed in as octo. It lacks: repo.",
    });
    assert.equal(checkSummary("Jira", { problem: { message: "Jira rejected the token." } }).ok, false);
  });

  it("keeps the team queue's database URL (it holds the password) in secret storage, and says what listing its tasks found", () => {
    const url = field("teamQueue", "team.databaseUrl");
    assert.equal(url.password, true);
    assert.equal(url.validate!("postgres://bora:pw@db.example.com:5432/bora"), undefined);
    assert.equal(url.validate!("postgresql://db/bora"), undefined);
    assert.match(url.validate!("https://db.example.com") ?? "", /postgres:\/\//);
    const listed = (team: boolean[]) =>
      team.map((t, i) => ({
        taskId: `t${i}`,
        kind: "issueToPr" as const,
        title: "x",
        status: "running" as const,
        createdAt: i,
        ...(t && { team: true }),
      }));
    assert.deepEqual(teamCheckSummary("Team queue", { tasks: listed([true, false, true]) }), {
      ok: true,
      message: "Team queue is set up: 2 recent tasks on it.",
    });
    assert.deepEqual(
      teamCheckSummary("Team queue", {
        tasks: listed([false]),
        problem: { code: "teamUnavailable", message: "the team's tasks could not be read: connection refused" },
      }),
      { ok: false, message: "Team queue: the team's tasks could not be read: connection refused" },
    );
    // The host's own database failing is not the team queue's problem.
    assert.equal(
      teamCheckSummary("Team queue", { tasks: [], problem: { code: "workflowsUnavailable", message: "held" } }).ok,
      true,
    );
  });
});
