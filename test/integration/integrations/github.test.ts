import assert from "node:assert/strict";
import { GitHubClient } from "../../../server/src/integrations/github/client.js";
import { GITHUB_API_VERSION } from "../../../server/src/integrations/github/octokit.js";
import { GitHubWorkItemSource } from "../../../server/src/integrations/github/source.js";
import { IntegrationError } from "../../../server/src/http/errors.js";
import { GitHubFake } from "../../fakes/github.js";
import { SECRETS, assertNoSecrets, testPolicy, type TestPolicy } from "./support.js";

const REPO = { owner: "octo", repo: "app" };

describe("GitHub integration (Octokit against the GitHub fake)", function () {
  let fake: GitHubFake;
  let t: TestPolicy;
  let client: GitHubClient;

  beforeEach(async () => {
    fake = await new GitHubFake().start();
    fake.addToken(SECRETS.github, "bora-bot");
    fake.addRepo("octo/app", { defaultBranch: "trunk" });
    t = testPolicy();
    client = new GitHubClient({ token: SECRETS.github, baseUrl: fake.url }, t.policy);
  });
  afterEach(async () => {
    assert.deepEqual(fake.violations, [], "the fake sent a body that fails GitHub's schema");
    await fake.close();
  });

  it("pins the REST API version and sends the token only in the Authorization header", async () => {
    await client.getRepo(REPO);
    const [request] = fake.requests;
    assert.equal(request?.headers["x-github-api-version"], GITHUB_API_VERSION);
    assert.equal(request?.headers.authorization, `token ${SECRETS.github}`);
    assert.ok(!request?.path.includes(SECRETS.github));
  });

  it("reads the repository and its default branch", async () => {
    assert.equal(await client.defaultBranch(REPO), "trunk");
  });

  it("lists open issues over 3+ pages, leaving out pull requests and closed issues", async () => {
    for (let i = 1; i <= 230; i++) fake.addIssue("octo/app", { title: `issue ${i}` });
    fake.addIssue("octo/app", { title: "closed one", state: "closed" });
    await client.createPullRequest(REPO, { head: "agent/x", base: "trunk", title: "a PR", body: "" });
    const issues = await client.listIssues(REPO, { limit: 1000 });
    assert.equal(issues.length, 230);
    assert.equal(new Set(issues.map((i) => i.number)).size, 230);
    const pages = fake.requestsTo("GET", /\/repos\/octo\/app\/issues$/).map((r) => r.query.get("page") ?? "1");
    assert.deepEqual(pages, ["1", "2", "3"]);
  });

  it("stops paginating at the limit", async () => {
    for (let i = 1; i <= 250; i++) fake.addIssue("octo/app", { title: `issue ${i}` });
    const issues = await client.listIssues(REPO, { limit: 120 });
    assert.equal(issues.length, 120);
    assert.equal(fake.requestsTo("GET", /\/issues$/).length, 2);
  });

  it("lists issues assigned to the token's user, and by label", async () => {
    fake.addIssue("octo/app", { title: "mine", assignee: "bora-bot", labels: ["bug"] });
    fake.addIssue("octo/app", { title: "theirs", assignee: "someone", labels: ["bug"] });
    fake.addIssue("octo/app", { title: "mine, no label", assignee: "bora-bot" });
    assert.deepEqual((await client.listIssues(REPO, { assignedToMe: true })).map((i) => i.title).sort(), [
      "mine",
      "mine, no label",
    ]);
    assert.deepEqual((await client.listIssues(REPO, { labels: ["bug"] })).map((i) => i.title).sort(), [
      "mine",
      "theirs",
    ]);
    assert.deepEqual(
      (await client.listIssues(REPO, { assignedToMe: true, labels: ["bug"] })).map((i) => i.title),
      ["mine"],
    );
  });

  it("searches issues, adding is:issue to the query", async () => {
    fake.addIssue("octo/app", { title: "Crash on save", body: "stack trace" });
    fake.addIssue("octo/app", { title: "Docs typo" });
    const found = await client.searchIssues("repo:octo/app crash");
    assert.deepEqual(
      found.map((i) => i.title),
      ["Crash on save"],
    );
    assert.match(fake.requestsTo("GET", /^\/search\/issues$/)[0]?.query.get("q") ?? "", /is:issue/);
  });

  it("gets an issue with all its comments as a work item", async () => {
    const n = fake.addIssue("octo/app", {
      title: "Crash on save",
      body: "It crashes.",
      labels: ["bug"],
      assignee: "bora-bot",
    });
    for (let i = 1; i <= 205; i++) fake.addComment("octo/app", n, `comment ${i}`);
    const source = new GitHubWorkItemSource(client, REPO);
    const item = await source.get(`#${n}`);
    assert.equal(item.key, `octo/app#${n}`);
    assert.equal(item.title, "Crash on save");
    assert.equal(item.body, "It crashes.");
    assert.equal(item.status, "open");
    assert.deepEqual(item.labels, ["bug"]);
    assert.equal(item.assignee, "bora-bot");
    assert.equal(item.comments.length, 205);
    assert.equal(item.comments[204]?.body, "comment 205");
    assert.equal(item.url, `${fake.url}/octo/app/issues/${n}`);
  });

  it("comments, and the comment is visible in a later read", async () => {
    const n = fake.addIssue("octo/app", { title: "t" });
    const source = new GitHubWorkItemSource(client, REPO);
    const posted = await source.comment(`octo/app#${n}`, "Opened a PR");
    assert.match(posted.url ?? "", /#issuecomment-/);
    const item = await source.get(`${fake.url}/octo/app/issues/${n}`);
    assert.deepEqual(
      item.comments.map((c) => [c.body, c.author]),
      [["Opened a PR", "bora-bot"]],
    );
  });

  it("creates a PR whose body fixes the issue, finds it by branch, updates it and requests reviewers", async () => {
    const n = fake.addIssue("octo/app", { title: "Crash" });
    assert.equal(await client.findOpenPullRequest(REPO, "agent/issue-1"), undefined);
    const pr = await client.createPullRequest(REPO, {
      head: "agent/issue-1",
      base: "trunk",
      title: "Fix crash",
      body: "Guard the null.",
      fixes: { ...REPO, number: n },
    });
    assert.equal(pr.body, `Guard the null.\n\nFixes #${n}`);
    const found = await client.findOpenPullRequest(REPO, "agent/issue-1");
    assert.equal(found?.number, pr.number);
    const updated = await client.updatePullRequest(REPO, pr.number, { title: "Fix crash on save" });
    assert.equal(updated.title, "Fix crash on save");
    const reviewed = await client.requestReviewers(REPO, pr.number, ["alice", "bob"]);
    assert.deepEqual(
      reviewed.requested_reviewers?.map((u) => u.login),
      ["alice", "bob"],
    );
  });

  it("names another repository's issue in the Fixes line", async () => {
    const pr = await client.createPullRequest(REPO, {
      head: "b",
      base: "trunk",
      title: "t",
      body: "",
      fixes: { owner: "octo", repo: "tracker", number: 9 },
    });
    assert.equal(pr.body, "Fixes octo/tracker#9");
  });

  it("says a PR already exists (422) in words", async () => {
    await client.createPullRequest(REPO, { head: "b", base: "trunk", title: "t", body: "" });
    await assert.rejects(
      client.createPullRequest(REPO, { head: "b", base: "trunk", title: "t", body: "" }),
      (e: IntegrationError) => {
        assert.equal(e.kind, "invalid");
        assert.equal(e.status, 422);
        assert.match(e.message, /A pull request already exists for octo:b/);
        return true;
      },
    );
  });

  it("lists review comments and check runs over several pages", async () => {
    const pr = await client.createPullRequest(REPO, { head: "feature", base: "trunk", title: "t", body: "" });
    for (let i = 0; i < 120; i++)
      fake.addReviewComment("octo/app", pr.number, { body: `nit ${i}`, path: "src/a.ts", line: i + 1 });
    for (let i = 0; i < 210; i++)
      fake.addCheckRun("octo/app", pr.head.sha, `check ${i}`, "completed", i === 3 ? "failure" : "success");
    const comments = await client.listReviewComments(REPO, pr.number);
    assert.equal(comments.length, 120);
    const runs = await client.listCheckRuns(REPO, pr.head.sha);
    assert.equal(runs.length, 210);
    assert.equal(runs.filter((r) => r.conclusion === "failure").length, 1);
    assert.equal(fake.requestsTo("GET", /check-runs$/).length, 3);
  });

  describe("errors", () => {
    it("401: tells the user to fix the token", async () => {
      const bad = new GitHubClient({ token: "ghp_wrong", baseUrl: fake.url }, t.policy);
      await assert.rejects(bad.getRepo(REPO), (e: IntegrationError) => {
        assert.equal(e.kind, "auth");
        assert.match(e.message, /GitHub rejected the token .*Set GITHUB_TOKEN/);
        return true;
      });
    });

    it("403 without repo scope names the scope", async () => {
      fake.fail({
        status: 403,
        body: {
          message: "Resource not accessible by personal access token",
          documentation_url: "https://docs.github.com/rest",
        },
        headers: { "x-oauth-scopes": "read:user" },
      });
      await assert.rejects(client.getRepo(REPO), /GitHub token lacks repo scope for repository octo\/app/);
    });

    it("403 primary rate limit with a short reset: waits, then succeeds", async () => {
      fake.primaryRateLimit(2);
      assert.equal(await client.defaultBranch(REPO), "trunk");
      assert.equal(fake.requestsTo("GET", /^\/repos\/octo\/app$/).length, 2);
      assert.equal(t.waits.length, 1);
      assert.ok((t.waits[0]?.ms ?? 0) >= 1000 && (t.waits[0]?.ms ?? 0) <= 4000, `waited ${t.waits[0]?.ms} ms`);
    });

    it("403 primary rate limit with a reset an hour away: fails at once, saying when", async () => {
      fake.primaryRateLimit(3600, 5);
      await assert.rejects(client.getRepo(REPO), (e: IntegrationError) => {
        assert.equal(e.kind, "rateLimited");
        assert.match(e.message, /GitHub rate limit reached .*resets in 6\d min/);
        assert.ok(e.retryAt !== undefined && e.retryAt > Date.now() + 3_500_000);
        return true;
      });
      assert.equal(fake.requestsTo("GET", /^\/repos\/octo\/app$/).length, 1, "no retry for an hour-long wait");
      assert.equal(t.waits.length, 0);
    });

    it("secondary rate limit with retry-after: waits that long, then succeeds", async () => {
      fake.secondaryRateLimit(7);
      assert.equal(await client.defaultBranch(REPO), "trunk");
      assert.deepEqual(
        t.waits.map((w) => [w.ms, w.cause]),
        [[7000, "secondary"]],
      );
    });

    it("secondary rate limit without retry-after: waits the 60 s fallback", async () => {
      fake.secondaryRateLimit(undefined);
      assert.equal(await client.defaultBranch(REPO), "trunk");
      assert.deepEqual(
        t.waits.map((w) => w.ms),
        [60_000],
      );
    });

    it("429 with retry-after beyond the cap fails with the wait", async () => {
      fake.fail({
        status: 429,
        headers: { "retry-after": "7200" },
        body: {
          message: "You have exceeded a secondary rate limit",
          documentation_url: "https://docs.github.com/rest",
        },
      });
      await assert.rejects(
        client.getRepo(REPO),
        (e: IntegrationError) => e.kind === "rateLimited" && /2 h 0 min|120 min/.test(e.message),
      );
    });

    it("404 and 410 name the issue", async () => {
      await assert.rejects(client.getIssue({ ...REPO, number: 99 }), /GitHub issue octo\/app#99 not found \(404\)/);
      fake.repoState("octo/app").issuesDisabled = true;
      await assert.rejects(
        client.getIssue({ ...REPO, number: 1 }),
        (e: IntegrationError) => e.kind === "gone" && /issues are disabled/.test(e.message),
      );
    });

    it("500 then success: the retry plugin tries again", async () => {
      fake.fail({ status: 500, body: { message: "Server Error" }, times: 2 });
      assert.equal(await client.defaultBranch(REPO), "trunk");
      assert.equal(fake.requestsTo("GET", /^\/repos\/octo\/app$/).length, 3);
    });

    it("500 every time: gives up after the policy's retries", async () => {
      fake.fail({ status: 502, body: { message: "Bad Gateway" }, times: 10 });
      await assert.rejects(client.getRepo(REPO), (e: IntegrationError) => e.kind === "unavailable" && e.status === 502);
      assert.equal(fake.requestsTo("GET", /^\/repos\/octo\/app$/).length, 1 + t.policy.maxRetries);
    });

    it("a 500 on a write is not retried, so no comment is made twice", async () => {
      const n = fake.addIssue("octo/app", { title: "t" });
      fake.fail({ method: "POST", status: 500, body: { message: "Server Error" } });
      await assert.rejects(
        client.comment({ ...REPO, number: n }, "hello"),
        (e: IntegrationError) => e.kind === "unavailable",
      );
      assert.equal(fake.requestsTo("POST", /comments$/).length, 1);
    });

    it("a reset connection is retried", async () => {
      fake.fail({ resetConnection: true });
      assert.equal(await client.defaultBranch(REPO), "trunk");
      assert.equal(t.audit.entries.filter((e) => typeof e.status === "string").length, 1);
    });
  });

  it("writes one audit line per request, with no token or query", async () => {
    fake.addIssue("octo/app", { title: "x" });
    await client.searchIssues("repo:octo/app x");
    await client.getRepo(REPO);
    const lines = t.auditLines();
    assert.equal(lines.length, fake.requests.length);
    assert.match(lines[0] ?? "", /^audit \S+Z github GET 127\.0\.0\.1:\d+\/search\/issues 200 \d+ms$/);
    for (const line of lines) assertNoSecrets(line, "the audit log");
  });
});
