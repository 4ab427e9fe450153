/**
 * No secret in anything written: every failure of every client, inspected as deeply as a logger
 * would (`util.inspect` with causes), plus every audit line, is searched for the fake tokens.
 */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { GitHubClient } from "../../../server/src/integrations/github/client.js";
import { JiraClient } from "../../../server/src/integrations/jira/client.js";
import { SentryClient } from "../../../server/src/integrations/sentry/client.js";
import { ChatNotifier, WebhookNotifier } from "../../../server/src/integrations/slack/notifier.js";
import { GitHubFake } from "../../fakes/github.js";
import { JiraFake } from "../../fakes/jira.js";
import { SentryFake } from "../../fakes/sentry.js";
import { SlackFake } from "../../fakes/slack.js";
import { SECRETS, assertNoSecrets, testPolicy } from "./support.js";

describe("secrets never reach errors or the audit log", function () {
  it("holds for every failure path of all four services", async () => {
    const t = testPolicy({ maxRetries: 1 });
    const github = await new GitHubFake().start();
    const jira = await new JiraFake("cloud", { email: "bot@example.invalid", apiToken: SECRETS.jira }).start();
    const sentry = await new SentryFake("acme", SECRETS.sentry).start();
    const slack = await new SlackFake(SECRETS.slackBot).start();
    const failures: unknown[] = [];
    const expectFailure = async (p: Promise<unknown>): Promise<void> => {
      try {
        await p;
        failures.push(new Error("expected a failure"));
      } catch (error) {
        failures.push(error);
      }
    };
    try {
      github.addRepo("octo/app");
      const gh = new GitHubClient({ token: SECRETS.github, baseUrl: github.url }, t.policy);
      await expectFailure(gh.getRepo({ owner: "octo", repo: "app" })); // 401: the token is unknown to the fake
      github.addToken(SECRETS.github, "bot");
      await expectFailure(gh.getIssue({ owner: "octo", repo: "app", number: 5 }));
      github.fail({ status: 500, body: { message: "boom" }, times: 5 });
      await expectFailure(gh.getRepo({ owner: "octo", repo: "app" }));
      github.fail({ resetConnection: true, times: 5 });
      await expectFailure(gh.getRepo({ owner: "octo", repo: "app" }));
      github.primaryRateLimit(7200, 3);
      await expectFailure(gh.getRepo({ owner: "octo", repo: "app" }));

      const jc = new JiraClient(
        { baseUrl: jira.url, auth: { kind: "cloud", email: "bot@example.invalid", apiToken: SECRETS.jira } },
        t.policy,
      );
      await expectFailure(jc.getIssue("ABC-1"));
      jira.rateLimit(9000);
      await expectFailure(jc.getIssue("ABC-1"));
      jira.fail({ resetConnection: true, times: 5 });
      await expectFailure(jc.getIssue("ABC-1"));
      const wrongJira = new JiraClient(
        { baseUrl: jira.url, auth: { kind: "datacenter", pat: SECRETS.jiraPat } },
        t.policy,
      );
      await expectFailure(wrongJira.getIssue("ABC-1"));

      const sc = new SentryClient({ baseUrl: sentry.url, token: SECRETS.sentry, org: "acme" }, t.policy);
      await expectFailure(sc.getIssue("1"));
      sentry.fail({ status: 403, body: { detail: "no" } });
      await expectFailure(sc.getIssue("1"));
      const wrongSentry = new SentryClient({ baseUrl: sentry.url, token: `${SECRETS.sentry}x`, org: "acme" }, t.policy);
      await expectFailure(wrongSentry.getIssue("1"));

      await expectFailure(
        new ChatNotifier(`${SECRETS.slackBot}x`, "#nowhere", t.policy, { slackApiUrl: `${slack.url}/api/` }).post({
          kind: "taskDone",
          title: "t",
        }),
      );
      await expectFailure(
        new ChatNotifier(SECRETS.slackBot, "#nowhere", t.policy, { slackApiUrl: `${slack.url}/api/` }).post({
          kind: "taskDone",
          title: "t",
        }),
      );
      await expectFailure(
        new WebhookNotifier(`${slack.url}/services/T0/B0/${SECRETS.slackWebhookSecret}`, t.policy).post({
          kind: "failed",
          title: "t",
          error: "e",
        }),
      );
      slack.fail({ resetConnection: true });
      await expectFailure(
        new WebhookNotifier(`${slack.url}/services/T0/B0/${SECRETS.slackWebhookSecret}`, t.policy).post({
          kind: "failed",
          title: "t",
          error: "e",
        }),
      );
    } finally {
      await Promise.all([github.close(), jira.close(), sentry.close(), slack.close()]);
    }
    assert.equal(failures.length, 16);
    for (const [i, failure] of failures.entries()) {
      assert.ok(
        failure instanceof Error && failure.name === "IntegrationError",
        `failure ${i} is an IntegrationError: ${String(failure)}`,
      );
      assertNoSecrets(inspect(failure, { depth: 12, showHidden: false }), `failure ${i}`);
      assertNoSecrets(JSON.stringify(failure), `failure ${i} as JSON`);
    }
    assert.ok(t.audit.entries.length >= 16);
    assertNoSecrets(t.auditLines().join("\n"), "the audit log");
  });
});
