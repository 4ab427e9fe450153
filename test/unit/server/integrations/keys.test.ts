import assert from "node:assert/strict";
import { detectSource } from "../../../../server/src/cli/commands/items.js";
import { parseIssueRef, parseRepo } from "../../../../server/src/integrations/github/keys.js";
import { parseJiraKey } from "../../../../server/src/integrations/jira/source.js";
import { nextCursor } from "../../../../server/src/integrations/sentry/client.js";
import { parseSentryKey } from "../../../../server/src/integrations/sentry/source.js";

describe("work-item keys", () => {
  it("parses GitHub repositories and issue references", () => {
    assert.deepEqual(parseRepo("octo/app.git"), { owner: "octo", repo: "app" });
    assert.throws(() => parseRepo("octo"), /OWNER\/NAME/);
    assert.deepEqual(parseIssueRef("octo/app#12"), { owner: "octo", repo: "app", number: 12 });
    assert.deepEqual(parseIssueRef("https://github.com/octo/app/pull/5/files"), {
      owner: "octo",
      repo: "app",
      number: 5,
    });
    assert.deepEqual(parseIssueRef("https://ghe.example.invalid/octo/app/issues/7"), {
      owner: "octo",
      repo: "app",
      number: 7,
    });
    assert.deepEqual(parseIssueRef("#3", { owner: "o", repo: "r" }), { owner: "o", repo: "r", number: 3 });
    assert.throws(() => parseIssueRef("#3"), /--repo/);
  });

  it("parses Jira keys and browse URLs", () => {
    assert.equal(parseJiraKey("abc-12"), "ABC-12");
    assert.equal(parseJiraKey("https://acme.atlassian.net/browse/OPS-7?focusedCommentId=1"), "OPS-7");
    assert.throws(() => parseJiraKey("ABC-"), /not a Jira issue key/);
  });

  it("parses Sentry issue URLs and passes ids through", () => {
    assert.equal(parseSentryKey("https://acme.sentry.io/issues/4000123/?project=1"), "4000123");
    assert.equal(parseSentryKey("APP-1A"), "APP-1A");
  });

  it('follows Sentry\'s next cursor only while results="true"', () => {
    const link = (results: boolean) =>
      `<https://s.example.invalid/api/0/x/?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://s.example.invalid/api/0/x/?cursor=0:100:0>; rel="next"; results="${results}"; cursor="0:100:0"`;
    assert.equal(nextCursor(link(true)), "0:100:0");
    assert.equal(nextCursor(link(false)), undefined);
    assert.equal(nextCursor(null), undefined);
  });

  it("tells which tracker a `bora items show` argument belongs to", () => {
    const all = {
      github: { token: "t", baseUrl: "" },
      jira: { baseUrl: "", auth: { kind: "datacenter" as const, pat: "p" } },
      sentry: { token: "t", org: "o", baseUrl: "" },
    };
    assert.equal(detectSource("octo/app#1", all), "github");
    assert.equal(detectSource("https://github.com/octo/app/issues/1", all), "github");
    assert.equal(detectSource("https://github.com/octo/app/pull/5/files", all), "github");
    assert.equal(detectSource("https://acme.sentry.io/issues/123/?project=1", all), "sentry");
    assert.equal(detectSource("https://acme.atlassian.net/browse/ABC-1", all), "jira");
    assert.equal(detectSource("https://acme.sentry.io/organizations/acme/issues/123/", all), "sentry");
    assert.equal(detectSource("ABC-12", all), "jira");
    assert.equal(detectSource("APP-1A", all), "sentry");
    assert.equal(detectSource("4000123", all), "sentry");
    assert.equal(detectSource("ABC-12", { sentry: all.sentry }), "sentry", "without Jira, KEY-N is a Sentry short id");
    assert.throws(() => detectSource("what", all), /pass --source/);
  });
});
