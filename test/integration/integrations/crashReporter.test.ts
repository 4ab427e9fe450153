import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createCrashReporter } from "../../../server/src/integrations/crashReporter.js";
import { MemoryAuditLog } from "../../../server/src/http/audit.js";
import { crashReportFetch } from "../../../server/src/http/fetches.js";
import { HttpPolicy } from "../../../server/src/http/policy.js";
import { startSentryIngest, type SentryIngestFake } from "../../fakes/sentryIngest.js";
import { SECRETS, assertNoSecrets } from "./support.js";

const SOURCE_LINE = "const marker = 'USER-SOURCE-LINE-7f3a';";

describe("crash reporting of Bora itself (@sentry/node against an ingest fake)", function () {
  let ingest: SentryIngestFake;
  let dir: string;
  let ownDir: string;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "bora-crash-"));
    ownDir = path.join(dir, "bora-own");
    const userFile = path.join(dir, "user-project", "explode.mjs");
    // User code that throws with a path, a token and an e-mail address in its message.
    mkdirSync(path.dirname(userFile), { recursive: true });
    writeFileSync(
      userFile,
      `export function explode() {\n  ${SOURCE_LINE}\n  throw new TypeError("cannot read ${path.join(dir, "user-project", "config.json")} for ana@example.invalid with ${SECRETS.github} (" + typeof marker + ")");\n}\n`,
    );
    mkdirSync(ownDir, { recursive: true });
    writeFileSync(
      path.join(ownDir, "host.mjs"),
      `import { explode } from ${JSON.stringify(pathToFileURL(userFile).href)};\nexport function run() {\n  explode();\n}\n`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    ingest = await startSentryIngest();
  });
  afterEach(async () => {
    delete process.env.SENTRY_DSN;
    await ingest.close();
  });

  async function thrown(): Promise<Error> {
    const own = (await import(pathToFileURL(path.join(ownDir, "host.mjs")).href)) as { run(): void };
    try {
      own.run();
    } catch (error) {
      return error as Error;
    }
    throw new Error("expected a throw");
  }

  it("sends nothing without Bora's own DSN setting, even with the user's SENTRY_DSN set", async () => {
    process.env.SENTRY_DSN = ingest.dsn;
    const reporter = await createCrashReporter({
      release: "bora@test",
      ownRoots: [ownDir],
      fetch: crashReportFetch(new HttpPolicy()),
    });
    assert.equal(reporter.enabled, false);
    reporter.capture(await thrown());
    assert.equal(await reporter.flush(500), true);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(ingest.requests, 0);
  });

  it("with the setting, sends a report without source lines, paths, host name or secrets", async () => {
    const audit = new MemoryAuditLog();
    const reporter = await createCrashReporter({
      dsn: ingest.dsn,
      release: "bora@test",
      ownRoots: [ownDir],
      secrets: [SECRETS.github],
      fetch: crashReportFetch(new HttpPolicy({ audit })),
    });
    assert.equal(reporter.enabled, true);
    reporter.capture(await thrown());
    assert.equal(await reporter.flush(5000), true);
    await reporter.close();
    assert.equal(ingest.envelopes.length, 1);
    assert.deepEqual(
      audit.entries.map((e) => [e.service, e.method, e.path, e.status]),
      [["crashReports", "POST", "/api/7/envelope/", 200]],
    );
    const text = (ingest.envelopes[0] ?? []).join("\n");
    assertNoSecrets(text, "the crash report");
    for (const forbidden of [
      "USER-SOURCE-LINE-7f3a",
      SOURCE_LINE,
      dir,
      os.hostname(),
      os.userInfo().username === "root" ? "/root/" : os.homedir(),
      "ana@example.invalid",
    ])
      assert.ok(!text.includes(forbidden), `the report contains ${forbidden}`);
    const event = JSON.parse((ingest.envelopes[0] ?? []).find((l) => l.includes('"exception"')) ?? "{}") as {
      server_name?: string;
      contexts?: unknown;
      modules?: unknown;
      exception: { values: { type: string; value: string; stacktrace: { frames: Record<string, unknown>[] } }[] };
    };
    assert.equal(event.server_name, "redacted");
    assert.equal(event.contexts, undefined);
    assert.equal(event.modules, undefined);
    const ex = event.exception.values[0];
    assert.equal(ex?.type, "TypeError");
    assert.match(ex?.value ?? "", /^cannot read \[path\] for \[email\] with \[secret\] \(string\)$/);
    const frames = ex?.stacktrace.frames ?? [];
    assert.ok(
      frames.some((f) => f.filename === "bora/host.mjs" && /\brun$/.test(String(f.function))),
      "Bora's own frame keeps a relative name",
    );
    assert.ok(
      frames.some((f) => f.filename === "<redacted>" && f.function === "explode"),
      "user code loses its file name",
    );
    for (const f of frames) {
      for (const key of ["pre_context", "context_line", "post_context", "abs_path", "vars", "module"])
        assert.ok(!(key in f), `frame has ${key}`);
    }
  });
});
