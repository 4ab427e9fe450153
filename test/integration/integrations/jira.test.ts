import assert from "node:assert/strict";
import { IntegrationError } from "../../../server/src/http/errors.js";
import { JiraClient } from "../../../server/src/integrations/jira/client.js";
import { JiraWorkItemSource } from "../../../server/src/integrations/jira/source.js";
import type { AdfDoc } from "../../../server/src/integrations/jira/types.js";
import { JiraFake, sampleAdfDescription } from "../../fakes/jira.js";
import { SECRETS, assertNoSecrets, testPolicy, type TestPolicy } from "./support.js";

const EMAIL = "bot@example.invalid";

describe("Jira Cloud integration (jira-client against the Jira fake, REST v3)", function () {
  let fake: JiraFake;
  let t: TestPolicy;
  let client: JiraClient;
  let source: JiraWorkItemSource;

  beforeEach(async () => {
    fake = await new JiraFake("cloud", { email: EMAIL, apiToken: SECRETS.jira }).start();
    t = testPolicy();
    client = new JiraClient(
      { baseUrl: fake.url, auth: { kind: "cloud", email: EMAIL, apiToken: SECRETS.jira } },
      t.policy,
    );
    source = new JiraWorkItemSource(client);
  });
  afterEach(async () => {
    assert.deepEqual(fake.violations, [], "the fake sent a body that fails the Jira schema");
    await fake.close();
  });

  it("gets an issue with its ADF description rendered to Markdown", async () => {
    fake.addIssue("ABC-1", {
      summary: "Save crashes",
      description: sampleAdfDescription(),
      labels: ["crash"],
      assignedToMe: true,
      status: "In Progress",
    });
    const item = await source.get("abc-1");
    assert.equal(item.key, "ABC-1");
    assert.equal(item.title, "Save crashes");
    assert.equal(item.status, "In Progress");
    assert.equal(item.assignee, "Bora Bot");
    assert.deepEqual(item.labels, ["crash"]);
    assert.equal(item.url, `${fake.url}/browse/ABC-1`);
    assert.equal(
      item.body,
      "## Steps\n\n1. Open `settings.json`\n2. Press **Save**\n\n@Ana see [the log](https://logs.example.invalid/1)\n\n```ts\nsave(null);\n// throws\n```",
    );
    const [request] = fake.requests;
    assert.match(request?.path ?? "", /^\/rest\/api\/3\/issue\/ABC-1$/);
    assert.equal(request?.headers.authorization, `Basic ${Buffer.from(`${EMAIL}:${SECRETS.jira}`).toString("base64")}`);
  });

  it("searches with JQL through /rest/api/3/search/jql over 3+ pages", async () => {
    for (let i = 1; i <= 250; i++) fake.addIssue(`ABC-${i}`, { summary: `issue ${i}`, assignedToMe: i % 2 === 0 });
    fake.addIssue("XYZ-1", { summary: "other project", assignedToMe: true });
    const items = await source.list({
      text: "project = ABC AND assignee = currentUser() ORDER BY updated DESC",
      limit: 1000,
    });
    assert.equal(items.length, 125);
    assert.ok(items.every((i) => i.key.startsWith("ABC-")));
    const searches = fake.requestsTo("POST", /\/search\/jql$/);
    assert.equal(searches.length, 2);
    const all = await client.search("project = ABC", 1000);
    assert.equal(all.length, 250);
    assert.equal(fake.requestsTo("POST", /\/search\/jql$/).length, 2 + 3, "250 issues in pages of 100");
    assert.equal(fake.requestsTo("POST", /\/search$/).length, 0, "never the removed /search");
  });

  it("the removed /rest/api/3/search answers 410, which is why the client does not use it", async () => {
    const response = await fetch(`${fake.url}/rest/api/3/search`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${EMAIL}:${SECRETS.jira}`).toString("base64")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ jql: "project = ABC" }),
    });
    assert.equal(response.status, 410);
    assert.match(JSON.stringify(await response.json()), /search\/jql/);
  });

  it("refuses an empty JQL query before sending it", async () => {
    await assert.rejects(client.search("  "), /needs a JQL query/);
    assert.equal(fake.requests.length, 0);
  });

  it("reports a JQL error with Jira's message", async () => {
    await assert.rejects(
      client.search("flavour = vanilla"),
      (e: IntegrationError) => e.status === 400 && /Field 'flavour' does not exist/.test(e.message),
    );
  });

  it("comments as ADF, and the comment is visible in a later read", async () => {
    fake.addIssue("ABC-2", { summary: "s" });
    const posted = await source.comment("ABC-2", "Opened https://git.example.invalid/pr/7\n\nTests pass.");
    assert.match(posted.url ?? "", /browse\/ABC-2\?focusedCommentId=\d+$/);
    const body = fake.issue("ABC-2").comments[0]?.body as AdfDoc;
    assert.equal(body.type, "doc");
    const item = await source.get("ABC-2");
    assert.deepEqual(
      item.comments.map((c) => c.body),
      ["Opened <https://git.example.invalid/pr/7>\n\nTests pass."],
    );
  });

  it("lists transitions and performs one by name, or by the status it leads to", async () => {
    fake.addIssue("ABC-3", { summary: "s", status: "In Progress" });
    assert.deepEqual(
      (await client.listTransitions("ABC-3")).map((x) => x.name),
      ["Send to Review", "Stop Progress"],
    );
    const taken = await client.transitionByName("ABC-3", "in review");
    assert.equal(taken.name, "Send to Review");
    assert.equal(fake.issue("ABC-3").status.name, "In Review");
    await client.transitionByName("ABC-3", "Done");
    assert.equal(fake.issue("ABC-3").status.name, "Done");
  });

  it("says which transitions exist when the named one does not", async () => {
    fake.addIssue("ABC-4", { summary: "s", status: "To Do" });
    await assert.rejects(
      client.transitionByName("ABC-4", "In Review"),
      /no transition 'In Review' .*available: 'Start Progress', 'Done'/,
    );
  });

  it("adds a remote link to the PR once, updating it on repeat", async () => {
    fake.addIssue("ABC-5", { summary: "s" });
    const url = "https://git.example.invalid/octo/app/pull/7";
    const first = await client.addRemoteLink("ABC-5", url, "PR #7: Fix save");
    const again = await client.addRemoteLink("ABC-5", url, "PR #7: Fix save (updated)");
    assert.equal(first.id, again.id);
    assert.deepEqual(
      fake.issue("ABC-5").remoteLinks.map((l) => l.request.object.title),
      ["PR #7: Fix save (updated)"],
    );
  });

  describe("errors keep their status codes through jira-client", () => {
    it("401 with an HTML body: names the settings to fix", async () => {
      const bad = new JiraClient(
        { baseUrl: fake.url, auth: { kind: "cloud", email: EMAIL, apiToken: "wrong" } },
        t.policy,
      );
      await assert.rejects(
        bad.getIssue("ABC-1"),
        (e: IntegrationError) =>
          e.kind === "auth" && e.status === 401 && /JIRA_EMAIL and JIRA_API_TOKEN/.test(e.message),
      );
    });

    it("404: says the issue is not found", async () => {
      await assert.rejects(
        source.get("ABC-404"),
        (e: IntegrationError) => e.kind === "notFound" && /Jira issue ABC-404 not found \(404/.test(e.message),
      );
    });

    it("429 with a short Retry-After: waits and succeeds", async () => {
      fake.addIssue("ABC-1", { summary: "s" });
      fake.rateLimit(3);
      assert.equal((await source.get("ABC-1")).title, "s");
      assert.deepEqual(
        t.waits.map((w) => [w.reason, w.ms, w.cause]),
        [["rateLimit", 3000, 429]],
      );
    });

    it("429 with a Retry-After over the cap: fails at once, saying when", async () => {
      fake.rateLimit(900);
      await assert.rejects(
        source.get("ABC-1"),
        (e: IntegrationError) =>
          e.kind === "rateLimited" && /resets in 15 min/.test(e.message) && e.retryAt !== undefined,
      );
      assert.equal(fake.requests.length, 1);
    });

    it("429 every time: the status and Retry-After reach the error through jira-client", async () => {
      fake.rateLimit(2, 10);
      await assert.rejects(source.get("ABC-1"), (e: IntegrationError) => {
        assert.equal(e.kind, "rateLimited");
        assert.equal(e.status, 429);
        assert.match(e.message, /Jira rate limit reached for issue ABC-1 \(429\); retry in 2 s/);
        assert.ok(e.retryAt !== undefined);
        return true;
      });
      assert.equal(fake.requests.length, 1 + t.policy.maxRetries);
    });

    it("500 then success", async () => {
      fake.addIssue("ABC-1", { summary: "s" });
      fake.fail({ status: 500, body: { errorMessages: ["Internal server error"], errors: {} } });
      assert.equal((await source.get("ABC-1")).title, "s");
      assert.equal(fake.requests.length, 2);
    });

    it("a reset connection is retried", async () => {
      fake.addIssue("ABC-1", { summary: "s" });
      fake.fail({ resetConnection: true });
      assert.equal((await source.get("ABC-1")).title, "s");
    });

    it("a connection reset every time ends in a network error that says what to check", async () => {
      fake.fail({ resetConnection: true, times: 10 });
      await assert.rejects(
        source.get("ABC-1"),
        (e: IntegrationError) => e.kind === "network" && /Could not reach Jira/.test(e.message),
      );
    });
  });

  it("audits every request without the token", async () => {
    fake.addIssue("ABC-1", { summary: "s" });
    await source.get("ABC-1");
    await source.comment("ABC-1", "hi");
    assert.equal(t.audit.entries.length, fake.requests.length);
    assert.match(t.auditLines()[0] ?? "", /jira GET 127\.0\.0\.1:\d+\/rest\/api\/3\/issue\/ABC-1 200/);
    for (const line of t.auditLines()) assertNoSecrets(line, "the audit log");
  });
});

describe("Jira Data Center integration (REST v2, personal access token)", function () {
  let fake: JiraFake;
  let client: JiraClient;

  beforeEach(async () => {
    fake = await new JiraFake("datacenter", { pat: SECRETS.jiraPat }).start();
    client = new JiraClient(
      { baseUrl: fake.url, auth: { kind: "datacenter", pat: SECRETS.jiraPat } },
      testPolicy().policy,
    );
  });
  afterEach(async () => {
    assert.deepEqual(fake.violations, [], "the fake sent a body that fails the Jira schema");
    await fake.close();
  });

  it("sends the PAT as Bearer and renders wiki markup", async () => {
    fake.addIssue("OPS-7", {
      summary: "Disk full",
      description:
        "h3. Impact\n*All* builds fail, see [runbook|https://wiki.example.invalid/r]\n{code:bash}\ndf -h\n{code}",
    });
    const item = await new JiraWorkItemSource(client).get("OPS-7");
    assert.equal(
      item.body,
      "### Impact\n**All** builds fail, see [runbook](https://wiki.example.invalid/r)\n```bash\ndf -h\n```",
    );
    assert.equal(fake.requests[0]?.headers.authorization, `Bearer ${SECRETS.jiraPat}`);
    assert.match(fake.requests[0]?.path ?? "", /^\/rest\/api\/2\//);
  });

  it("searches with offset paging and comments in plain text", async () => {
    for (let i = 1; i <= 230; i++) fake.addIssue(`OPS-${i}`, { summary: `s${i}` });
    assert.equal((await client.search("project = OPS", 1000)).length, 230);
    assert.equal(fake.requestsTo("POST", /\/rest\/api\/2\/search$/).length, 3);
    await client.addComment("OPS-1", "Fixed in PR 7");
    assert.equal(fake.issue("OPS-1").comments[0]?.body, "Fixed in PR 7");
  });

  it("401 names the PAT setting", async () => {
    const bad = new JiraClient({ baseUrl: fake.url, auth: { kind: "datacenter", pat: "nope" } }, testPolicy().policy);
    await assert.rejects(bad.getIssue("OPS-1"), /JIRA_PAT/);
  });
});
