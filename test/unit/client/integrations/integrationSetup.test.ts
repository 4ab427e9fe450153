import assert from "node:assert/strict";
import { INTEGRATION_SECRET_NAMES } from "@bora/protocol";
import { checkSummary, SETUP_FLOWS } from "../../../../client/src/integrations/integrationSetup.js";

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
});
