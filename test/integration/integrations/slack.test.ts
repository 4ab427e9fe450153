import assert from "node:assert/strict";
import { IntegrationError } from "../../../server/src/http/errors.js";
import type { Notice } from "../../../server/src/integrations/slack/messages.js";
import { ChatNotifier, WebhookNotifier } from "../../../server/src/integrations/slack/notifier.js";
import { SlackFake } from "../../fakes/slack.js";
import { SECRETS, assertNoSecrets, testPolicy, type TestPolicy } from "./support.js";

const NOTICES: Notice[] = [
  { kind: "taskDone", title: "Explain src/save.ts", summary: "Wrote the explanation." },
  {
    kind: "prOpened",
    title: "Fix crash on <save> & load",
    item: { key: "octo/app#3", url: "https://git.example.invalid/octo/app/issues/3" },
    pullRequest: { url: "https://git.example.invalid/octo/app/pull/7", number: 7 },
  },
  { kind: "needsApproval", title: "Release 1.2", approval: "run `npm publish`", taskUrl: "vscode://bora.bora/task/42" },
  {
    kind: "failed",
    title: "Fix ABC-12",
    error: "tests failed: 3 of 120",
    item: { key: "ABC-12", url: "https://jira.example.invalid/browse/ABC-12" },
  },
];

describe("Slack integration (@slack/web-api and @slack/webhook against the Slack fake)", function () {
  let fake: SlackFake;
  let t: TestPolicy;
  let channel: string;

  beforeEach(async () => {
    fake = await new SlackFake(SECRETS.slackBot).start();
    channel = fake.addChannel("builds");
    t = testPolicy();
  });
  afterEach(() => fake.close());

  const chat = (ch = channel, token: string = SECRETS.slackBot): ChatNotifier =>
    new ChatNotifier(token, ch, t.policy, { slackApiUrl: `${fake.url}/api/` });

  it("posts each kind of notice with chat.postMessage, blocks and a text fallback", async () => {
    for (const notice of NOTICES) await chat().post(notice);
    assert.equal(fake.messages.length, 4);
    const [done, pr, approval, failed] = fake.messages;
    assert.match(done?.text ?? "", /^Task done: Explain src\/save.ts/);
    assert.match(JSON.stringify(pr?.blocks), /Fix crash on &lt;save&gt; &amp; load/, "user text is escaped for mrkdwn");
    assert.match(JSON.stringify(pr?.blocks), /<https:\/\/git.example.invalid\/octo\/app\/pull\/7\|PR #7>/);
    assert.ok(
      pr?.blocks.some((b) => b.type === "actions"),
      "a button opens the PR",
    );
    assert.match(JSON.stringify(approval?.blocks), /Review and approve/);
    assert.match(failed?.text ?? "", /tests failed: 3 of 120/);
    assert.equal(fake.requests[0]?.headers.authorization, `Bearer ${SECRETS.slackBot}`);
  });

  it("replies in a thread with the ts of the first message", async () => {
    const first = await chat().post(NOTICES[1] as Notice);
    assert.ok(first.ts);
    await chat().post(NOTICES[0] as Notice, { threadTs: first.ts ?? "" });
    assert.equal(fake.messages[1]?.threadTs, first.ts);
  });

  it("posts through an incoming webhook", async () => {
    const url = fake.addWebhook("builds", SECRETS.slackWebhookSecret);
    await new WebhookNotifier(url, t.policy).post(NOTICES[1] as Notice);
    assert.equal(fake.messages[0]?.via, "webhook");
    assert.match(fake.messages[0]?.text ?? "", /Pull request opened/);
  });

  describe("errors", () => {
    it("HTTP 200 {ok:false, error: not_in_channel} is an error that says to invite the app", async () => {
      const closed = fake.addChannel("secret", { member: false });
      await assert.rejects(
        chat(closed).post(NOTICES[0] as Notice),
        (e: IntegrationError) => e.service === "slack" && /not_in_channel.*invite/.test(e.message),
      );
    });

    it("invalid_auth names SLACK_BOT_TOKEN", async () => {
      await assert.rejects(
        chat(channel, "xoxb-wrong").post(NOTICES[0] as Notice),
        (e: IntegrationError) => e.kind === "auth" && /SLACK_BOT_TOKEN/.test(e.message),
      );
    });

    it("channel_not_found and is_archived", async () => {
      await assert.rejects(chat("#nowhere").post(NOTICES[0] as Notice), /channel_not_found/);
      const archived = fake.addChannel("old", { archived: true });
      await assert.rejects(chat(archived).post(NOTICES[0] as Notice), /is_archived/);
    });

    it("429 with a short Retry-After waits and succeeds; a long one fails at once", async () => {
      fake.rateLimit(2);
      await chat().post(NOTICES[0] as Notice);
      assert.deepEqual(
        t.waits.map((w) => [w.ms, w.cause]),
        [[2000, 429]],
      );
      fake.rateLimit(3600);
      await assert.rejects(chat().post(NOTICES[0] as Notice), (e: IntegrationError) => e.kind === "rateLimited");
    });

    it("a 500 on a post is not retried, because Slack may have posted it", async () => {
      fake.fail({ status: 500, body: "oops" });
      await assert.rejects(chat().post(NOTICES[0] as Notice), (e: IntegrationError) => e.kind === "unavailable");
      assert.equal(fake.requests.length, 1);
      assert.equal(t.waits.length, 0);
    });

    it("a dropped connection on a post is not retried either", async () => {
      fake.fail({ resetConnection: true });
      await assert.rejects(chat().post(NOTICES[0] as Notice), (e: IntegrationError) => e.kind === "network");
      assert.equal(fake.requests.length, 1);
    });

    it("webhook 404 no_service and 410 channel_is_archived say to set a new URL", async () => {
      const gone = fake.addWebhook("builds", "removed", "no_service");
      await assert.rejects(
        new WebhookNotifier(gone, t.policy).post(NOTICES[0] as Notice),
        (e: IntegrationError) => e.status === 404 && /SLACK_WEBHOOK_URL/.test(e.message),
      );
      const archived = fake.addWebhook("builds", "archived", "channel_is_archived");
      await assert.rejects(
        new WebhookNotifier(archived, t.policy).post(NOTICES[0] as Notice),
        (e: IntegrationError) => e.kind === "gone" && /archived/.test(e.message),
      );
    });
  });

  it("audits each request, masking the webhook secret", async () => {
    const url = fake.addWebhook("builds", SECRETS.slackWebhookSecret);
    await new WebhookNotifier(url, t.policy).post(NOTICES[0] as Notice);
    await chat().post(NOTICES[0] as Notice);
    const lines = t.auditLines();
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? "", /slack POST 127\.0\.0\.1:\d+\/services\/\[redacted\] 200/);
    assert.match(lines[1] ?? "", /slack POST 127\.0\.0\.1:\d+\/api\/chat\.postMessage 200/);
    for (const line of lines) assertNoSecrets(line, "the audit log");
  });
});
