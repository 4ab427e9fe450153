/**
 * The idempotent write-backs of the issue-to-PR workflow against the fakes. Each is called twice, as
 * a step re-run after a crash calls it after its external call already succeeded, and the fake must
 * hold exactly one PR, comment, note or message afterwards.
 */
import assert from "node:assert/strict";
import { GitHubClient } from "../../../server/src/integrations/github/client.js";
import { JIRA_MARKER_PROPERTY, JiraClient } from "../../../server/src/integrations/jira/client.js";
import { writeMarker } from "../../../server/src/integrations/markers.js";
import { SentryClient } from "../../../server/src/integrations/sentry/client.js";
import type { Notice } from "../../../server/src/integrations/slack/messages.js";
import { ChatNotifier, SLACK_MARKER_EVENT, WebhookNotifier } from "../../../server/src/integrations/slack/notifier.js";
import { GitHubFake } from "../../fakes/github.js";
import { JiraFake } from "../../fakes/jira.js";
import { SentryFake } from "../../fakes/sentry.js";
import { SlackFake } from "../../fakes/slack.js";
import { SECRETS, testPolicy } from "./support.js";

const TASK = "t-5f3a9c";
const REPO = { owner: "octo", repo: "app" };

describe("idempotent write-backs against the fakes (each called twice, as after a crash)", function () {
  describe("GitHub", function () {
    let fake: GitHubFake;
    let client: GitHubClient;
    beforeEach(async () => {
      fake = await new GitHubFake().start();
      fake.addToken(SECRETS.github, "bora-bot");
      fake.addRepo("octo/app");
      client = new GitHubClient({ token: SECRETS.github, baseUrl: fake.url }, testPolicy().policy);
    });
    afterEach(async () => {
      assert.deepEqual(fake.violations, []);
      await fake.close();
    });

    it("commentOnce: one comment, found again past the first page of comments", async () => {
      const issue = fake.addIssue("octo/app", { title: "Crash on save" });
      for (let i = 0; i < 120; i++) fake.addComment("octo/app", issue, `chatter ${i}`);
      // Another task's marker and another step's marker must not count.
      fake.addComment("octo/app", issue, `x\n\n${writeMarker(`${TASK}0`, "comment")}`, "bora-bot");
      fake.addComment("octo/app", issue, `x\n\n${writeMarker(TASK, "commentOther")}`, "bora-bot");
      const ref = { ...REPO, number: issue };
      const first = await client.commentOnce(ref, TASK, "comment", "Opened https://example.invalid/pr/9");
      const again = await client.commentOnce(ref, TASK, "comment", "Opened https://example.invalid/pr/9");
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.comment.id, first.comment.id);
      const mine = (fake.repoState("octo/app").comments.get(issue) ?? []).filter((c) =>
        c.body.includes(writeMarker(TASK, "comment")),
      );
      assert.equal(mine.length, 1);
      assert.equal(fake.repoState("octo/app").comments.get(issue)?.length, 123);
      assert.ok(
        fake.requestsTo("GET", /\/issues\/\d+\/comments$/).some((r) => r.query.get("page") === "2"),
        "the look-up read the second page",
      );
    });

    it("openOrUpdatePullRequest: one PR for the head; the second call updates its title and body", async () => {
      const issue = fake.addIssue("octo/app", { title: "Crash on save" });
      const pr = {
        head: "bora/app-1-crash",
        base: "main",
        title: "Fix crash on save",
        body: "Checks: npm test passed",
        fixes: { ...REPO, number: issue },
        marker: { taskId: TASK, step: "pr" },
      };
      const first = await client.openOrUpdatePullRequest(REPO, pr);
      const again = await client.openOrUpdatePullRequest(REPO, { ...pr, title: "Fix crash on save (v2)" });
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.pr.number, first.pr.number);
      const pulls = fake.repoState("octo/app").pulls;
      assert.equal(pulls.length, 1);
      assert.equal(pulls[0]?.title, "Fix crash on save (v2)");
      assert.match(pulls[0]?.body ?? "", new RegExp(`Fixes #${issue}`));
      assert.ok(pulls[0]?.body.includes(writeMarker(TASK, "pr")));
      assert.equal(pulls[0]?.body.split(`Fixes #${issue}`).length, 2, "one Fixes line after the update");
    });

    it("openOrUpdatePullRequest: a PR opened by a racing run between look-up and create is updated, not duplicated", async () => {
      const pr = { head: "bora/app-2-x", base: "main", title: "T", body: "B" };
      await client.openOrUpdatePullRequest(REPO, pr);
      // The next list of pulls answers empty, as if it ran before the other run's create.
      fake.fail({ method: "GET", path: /\/pulls$/, status: 200, body: [] });
      const again = await client.openOrUpdatePullRequest(REPO, { ...pr, body: "B2" });
      assert.equal(again.created, false);
      assert.equal(fake.repoState("octo/app").pulls.length, 1);
      assert.equal(fake.repoState("octo/app").pulls[0]?.body, "B2");
    });
  });

  for (const mode of ["cloud", "datacenter"] as const) {
    describe(`Jira (${mode})`, function () {
      let fake: JiraFake;
      let client: JiraClient;
      beforeEach(async () => {
        fake = await new JiraFake(
          mode,
          mode === "cloud" ? { email: "bora@example.invalid", apiToken: SECRETS.jira } : { pat: SECRETS.jiraPat },
        ).start();
        client = new JiraClient(
          {
            baseUrl: fake.url,
            auth:
              mode === "cloud"
                ? { kind: "cloud", email: "bora@example.invalid", apiToken: SECRETS.jira }
                : { kind: "datacenter", pat: SECRETS.jiraPat },
          },
          testPolicy().policy,
        );
        fake.addIssue("ABC-7", { summary: "Crash on save" });
      });
      afterEach(async () => {
        assert.deepEqual(fake.violations, []);
        await fake.close();
      });

      it("commentOnce: one comment, its marker in a comment property and not in the text", async () => {
        for (let i = 0; i < 60; i++) await client.addComment("ABC-7", `earlier note ${i}`);
        await client.commentOnce("ABC-7", TASK, "other-step", "another step's comment");
        const first = await client.commentOnce("ABC-7", TASK, "comment", "Opened **PR #9**");
        const again = await client.commentOnce("ABC-7", TASK, "comment", "Opened **PR #9**");
        assert.equal(first.created, true);
        assert.equal(again.created, false);
        assert.equal(again.comment.id, first.comment.id);
        const issue = fake.issue("ABC-7");
        assert.equal(issue.comments.length, 62);
        const marked = [...issue.commentProperties.values()].filter(
          (p) =>
            (p.get(JIRA_MARKER_PROPERTY) as { marker?: string } | undefined)?.marker === writeMarker(TASK, "comment"),
        );
        assert.equal(marked.length, 1);
        assert.ok(!JSON.stringify(issue.comments).includes("bora:"), "no marker shows in a comment body");
      });

      it("addRemoteLink: the PR URL as global id keeps one link", async () => {
        await client.addRemoteLink("ABC-7", "https://example.invalid/octo/app/pull/9", "PR #9");
        await client.addRemoteLink("ABC-7", "https://example.invalid/octo/app/pull/9", "PR #9: Fix crash");
        const links = fake.issue("ABC-7").remoteLinks;
        assert.equal(links.length, 1);
        assert.equal(links[0]?.request.object.title, "PR #9: Fix crash");
      });
    });
  }

  describe("Sentry", function () {
    let fake: SentryFake;
    let client: SentryClient;
    beforeEach(async () => {
      fake = await new SentryFake("acme", SECRETS.sentry).start();
      fake.addProject("web");
      fake.pageSize = 5;
      client = new SentryClient({ baseUrl: fake.url, token: SECRETS.sentry, org: "acme" }, testPolicy().policy);
    });
    afterEach(async () => {
      assert.deepEqual(fake.violations, []);
      await fake.close();
    });

    it("noteOnce: one note, found again across cursor pages", async () => {
      const issue = fake.addIssue("web", { title: "TypeError: x is undefined" });
      const first = await client.noteOnce(issue.id, TASK, "note", "Fix in https://example.invalid/pr/9");
      for (let i = 0; i < 12; i++) await client.addNote(issue.id, `later note ${i}`);
      const again = await client.noteOnce(issue.id, TASK, "note", "Fix in https://example.invalid/pr/9");
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.note.id, first.note.id);
      const notes = fake.issueState(issue.id).notes;
      assert.equal(notes.length, 13);
      assert.equal(notes.filter((n) => n.data.text.includes(writeMarker(TASK, "note"))).length, 1);
      assert.ok(
        fake.requestsTo("GET", /\/comments\/$/).some((r) => r.query.has("cursor")),
        "paged",
      );
    });

    it("listNotes: the GET route answers 404 for an unknown issue", async () => {
      await assert.rejects(client.listNotes("999"), /not found \(404/);
    });
  });

  describe("Slack", function () {
    let fake: SlackFake;
    const notice: Notice = {
      kind: "prOpened",
      title: "Fix crash on save",
      pullRequest: { url: "https://example.invalid/octo/app/pull/9", number: 9 },
    };
    beforeEach(async () => {
      fake = await new SlackFake(SECRETS.slackBot).start();
    });
    afterEach(() => fake.close());

    it("postOnce with a bot token: one message, found in history by its metadata", async () => {
      const channel = fake.addChannel("builds");
      const chat = new ChatNotifier(SECRETS.slackBot, channel, testPolicy().policy, {
        slackApiUrl: `${fake.url}/api/`,
      });
      assert.equal(chat.delivery, "exactlyOnce");
      // Another task's notice carries its own marker; it must not count.
      fake.addHistory(channel, "other", {
        event_type: SLACK_MARKER_EVENT,
        event_payload: { marker: writeMarker(`${TASK}0`, "slack") },
      });
      const first = await chat.postOnce(notice, { taskId: TASK, step: "slack" });
      for (let i = 0; i < 450; i++) fake.addHistory(channel, `chatter ${i}`);
      const again = await chat.postOnce(notice, { taskId: TASK, step: "slack" });
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.ts, first.ts);
      const ours = fake.messages.filter((m) => m.metadata?.event_payload.marker === writeMarker(TASK, "slack"));
      assert.equal(ours.length, 1);
      assert.ok(!ours[0]?.text.includes("bora:"), "the marker is not in the visible text");
      const history = fake.requestsTo("POST", /conversations\.history$/);
      assert.ok(history.length >= 3, `followed the cursor over ${history.length} pages`);
    });

    it("postOnce needs a channel id, and says so", async () => {
      fake.addChannel("builds");
      const chat = new ChatNotifier(SECRETS.slackBot, "#builds", testPolicy().policy, {
        slackApiUrl: `${fake.url}/api/`,
      });
      await assert.rejects(chat.postOnce(notice, { taskId: TASK, step: "slack" }), /need the channel id/);
      assert.equal(fake.messages.length, 0);
    });

    it("conversations.history: ok:false errors for a bad token and an unknown channel", async () => {
      const channel = fake.addChannel("builds");
      const bad = new ChatNotifier("xoxb-wrong", channel, testPolicy().policy, { slackApiUrl: `${fake.url}/api/` });
      await assert.rejects(bad.postOnce(notice, { taskId: TASK, step: "slack" }), /invalid_auth/);
      const gone = new ChatNotifier(SECRETS.slackBot, "C99999999", testPolicy().policy, {
        slackApiUrl: `${fake.url}/api/`,
      });
      await assert.rejects(gone.postOnce(notice, { taskId: TASK, step: "slack" }), /channel_not_found/);
      assert.equal(fake.messages.length, 0);
    });

    it("postOnce with an incoming webhook is at-least-once and says so", async () => {
      fake.addChannel("builds");
      const hook = new WebhookNotifier(fake.addWebhook("builds", SECRETS.slackWebhookSecret), testPolicy().policy);
      assert.equal(hook.delivery, "atLeastOnce");
      await hook.postOnce(notice);
      await hook.postOnce(notice);
      assert.equal(fake.messages.length, 2, "a webhook cannot look anything up: the crash window posts twice");
    });
  });
});
