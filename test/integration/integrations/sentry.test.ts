import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { IntegrationError } from "../../../server/src/http/errors.js";
import { SentryClient } from "../../../server/src/integrations/sentry/client.js";
import { sentryDiagnostics } from "../../../server/src/integrations/sentry/diagnostics.js";
import { SentryWorkItemSource } from "../../../server/src/integrations/sentry/source.js";
import { diskFileExists } from "../../../server/src/integrations/stackFrames.js";
import { SentryFake } from "../../fakes/sentry.js";
import { SECRETS, assertNoSecrets, testPolicy, type TestPolicy } from "./support.js";

const FRAMES = [
  { absPath: "/srv/app/node_modules/express/lib/router.js", function: "handle", lineNo: 120, inApp: false },
  { absPath: "/srv/app/src/util/missing.ts", function: "gone", lineNo: 3 },
  { absPath: "app:///src/util/format.ts", function: "format", lineNo: 8, colNo: 3 },
  {
    absPath: "/srv/app/src/save.ts",
    function: "save",
    lineNo: 42,
    colNo: 11,
    context: [[42, "  return doc.title.trim();"]] as [number, string][],
  },
];

describe("Sentry integration (REST client against the Sentry fake)", function () {
  let fake: SentryFake;
  let t: TestPolicy;
  let client: SentryClient;
  let workspace: string;
  let source: SentryWorkItemSource;

  before(() => {
    workspace = mkdtempSync(path.join(os.tmpdir(), "bora-sentry-"));
    mkdirSync(path.join(workspace, "src/util"), { recursive: true });
    writeFileSync(path.join(workspace, "src/save.ts"), "export {};\n");
    writeFileSync(path.join(workspace, "src/util/format.ts"), "export {};\n");
  });
  after(() => rmSync(workspace, { recursive: true, force: true }));

  beforeEach(async () => {
    fake = await new SentryFake("acme", SECRETS.sentry).start();
    fake.addProject("app");
    t = testPolicy();
    client = new SentryClient({ baseUrl: fake.url, token: SECRETS.sentry, org: "acme" }, t.policy);
    source = new SentryWorkItemSource(client, {
      project: "app",
      workspaceRoot: workspace,
      exists: diskFileExists(workspace),
    });
  });
  afterEach(async () => {
    assert.deepEqual(fake.violations, [], "the fake sent a body that fails the Sentry schema");
    await fake.close();
  });

  it("sends the token only as a Bearer header, never in a URL", async () => {
    fake.addIssue("app", { title: "TypeError: x" });
    await source.list();
    for (const r of fake.requests) {
      assert.equal(r.headers.authorization, `Bearer ${SECRETS.sentry}`);
      assert.ok(!r.path.includes(SECRETS.sentry) && !r.query.toString().includes(SECRETS.sentry));
    }
  });

  it("lists unresolved issues over 3+ cursor pages, honouring results=false", async () => {
    fake.pageSize = 10;
    for (let i = 0; i < 34; i++) fake.addIssue("app", { title: `Error ${i}` });
    fake.addIssue("app", { title: "Old fixed one", status: "resolved" });
    const items = await source.list({ limit: 1000 });
    assert.equal(items.length, 34);
    assert.ok(items.every((i) => i.status === "unresolved"));
    assert.equal(fake.requests.length, 4, 'pages of 10, and no request after results="false"');
    assert.deepEqual(
      fake.requests.map((r) => r.query.get("query")),
      Array(4).fill("is:unresolved"),
    );
  });

  it("gets an issue by id, short id and URL, with frames mapped to workspace paths", async () => {
    const issue = fake.addIssue("app", {
      title: "TypeError: Cannot read properties of undefined (reading 'trim')",
      count: 57,
      users: 9,
      frames: FRAMES,
    });
    for (const key of [issue.id, issue.shortId, issue.permalink]) {
      const item = await source.get(key);
      assert.equal(item.key, issue.id);
      assert.equal(item.title, `${issue.shortId}: ${issue.title}`);
    }
    const item = await source.get(issue.shortId);
    const frames = item.stackTraces[0]?.frames ?? [];
    assert.equal(item.stackTraces[0]?.type, "TypeError");
    assert.deepEqual(
      frames.map((f) => [f.file, f.workspacePath, f.inApp]),
      [
        ["/srv/app/node_modules/express/lib/router.js", undefined, false],
        ["/srv/app/src/util/missing.ts", undefined, true],
        ["app:///src/util/format.ts", "src/util/format.ts", true],
        ["/srv/app/src/save.ts", "src/save.ts", true],
      ],
    );
    assert.deepEqual(frames[3]?.context, [{ line: 42, text: "  return doc.title.trim();" }]);
  });

  it("turns issues whose frames reach the workspace into diagnostics with short id, count and link", async () => {
    const hit = fake.addIssue("app", { title: "TypeError: boom", count: 57, users: 9, frames: FRAMES });
    const miss = fake.addIssue("app", {
      title: "Error: elsewhere",
      frames: [{ absPath: "/srv/other/lib.js", lineNo: 1 }],
    });
    const items = await Promise.all(
      [hit.id, miss.id].map(async (id) => ({
        issue: await client.getIssue(id),
        stackTraces: (await source.get(id)).stackTraces,
      })),
    );
    const diagnostics = sentryDiagnostics(items);
    assert.equal(diagnostics.length, 1);
    const [d] = diagnostics;
    assert.equal(d?.path, "src/save.ts");
    assert.deepEqual(d?.diagnostic.range, { start: { line: 41, character: 10 }, end: { line: 41, character: 11 } });
    assert.equal(d?.diagnostic.code, hit.shortId);
    assert.equal(d?.diagnostic.codeDescription?.href, hit.permalink);
    assert.equal(d?.diagnostic.message, `${hit.shortId}: TypeError: boom (57 events, 9 users)`);
    assert.equal(d?.diagnostic.severity, 2, "a production error is a warning in the file");
  });

  it("adds a note and resolves in the next release", async () => {
    const issue = fake.addIssue("app", { title: "E" });
    await source.comment(issue.shortId, "Fixed by https://git.example.invalid/pr/3");
    assert.deepEqual(
      fake.issueState(issue.id).notes.map((n) => n.data.text),
      ["Fixed by https://git.example.invalid/pr/3"],
    );
    const resolved = await client.resolveInNextRelease(issue.id);
    assert.equal(resolved.status, "resolved");
    assert.deepEqual(resolved.statusDetails, { inNextRelease: true });
    assert.equal((await source.list()).length, 0, "a resolved issue leaves the unresolved list");
  });

  describe("errors", () => {
    it("401 names the token setting", async () => {
      const bad = new SentryClient({ baseUrl: fake.url, token: "sntryu_wrong", org: "acme" }, t.policy);
      await assert.rejects(
        bad.getIssue("1"),
        (e: IntegrationError) => e.kind === "auth" && /SENTRY_AUTH_TOKEN/.test(e.message),
      );
    });

    it("403 names the scopes", async () => {
      fake.fail({ status: 403, body: { detail: "You do not have permission to perform this action." } });
      await assert.rejects(client.getIssue("1"), /project:read and event:read/);
    });

    it("404 says what to check", async () => {
      await assert.rejects(
        source.get("999"),
        (e: IntegrationError) => e.kind === "notFound" && /Sentry issue 999 not found/.test(e.message),
      );
    });

    it("429 with a near reset waits from X-Sentry-Rate-Limit-Reset, then succeeds", async () => {
      const issue = fake.addIssue("app", { title: "E" });
      fake.rateLimit(2);
      assert.equal((await client.getIssue(issue.id)).id, issue.id);
      assert.equal(t.waits.length, 1);
      assert.ok((t.waits[0]?.ms ?? 0) > 1000 && (t.waits[0]?.ms ?? 0) <= 4000);
    });

    it("429 resetting in an hour fails at once, saying when", async () => {
      fake.rateLimit(3600);
      await assert.rejects(
        client.getIssue("1"),
        (e: IntegrationError) =>
          e.kind === "rateLimited" && /Sentry rate limit reached .*resets in 6\d min/.test(e.message),
      );
      assert.equal(fake.requests.length, 1);
    });

    it("500 then success, and a reset connection, are retried", async () => {
      const issue = fake.addIssue("app", { title: "E" });
      fake.fail({ status: 500, body: { detail: "Internal Error" } }).fail({ resetConnection: true });
      assert.equal((await client.getIssue(issue.id)).id, issue.id);
      assert.equal(fake.requests.length, 3);
    });

    it("refuses a key that is neither an id nor a short id, without a request", async () => {
      await assert.rejects(client.getIssue("../../etc"), /not a Sentry issue id/);
      assert.equal(fake.requests.length, 0);
    });
  });

  it("audits each request without the token", async () => {
    fake.addIssue("app", { title: "E" });
    await source.list();
    assert.equal(t.audit.entries.length, fake.requests.length);
    assert.match(t.auditLines()[0] ?? "", /sentry GET 127\.0\.0\.1:\d+\/api\/0\/projects\/acme\/app\/issues\/ 200/);
    for (const line of t.auditLines()) assertNoSecrets(line, "the audit log");
  });
});
