import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryAuditLog, auditPath } from "../../../../server/src/http/audit.js";
import { IntegrationError } from "../../../../server/src/http/errors.js";
import {
  HttpPolicy,
  rateLimitWaitMs,
  type FetchFunction,
  type WaitNotice,
} from "../../../../server/src/http/policy.js";

const NOW = Date.parse("2026-01-05T10:00:00Z");

/** A fetch that answers from a script, one entry per call, and records what it was asked. */
function scripted(...answers: (Response | Error)[]): FetchFunction & { calls: Request[] } {
  const calls: Request[] = [];
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push(new Request(input, init));
    const next = answers.shift();
    if (next === undefined) throw new Error("no more scripted answers");
    if (next instanceof Error) throw next;
    return next;
  }) as FetchFunction & { calls: Request[] };
  fn.calls = calls;
  return fn;
}

function resetError(): Error {
  return Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
  });
}

function policy(fetch: FetchFunction, extra: Partial<ConstructorParameters<typeof HttpPolicy>[0]> = {}) {
  const waits: WaitNotice[] = [];
  const audit = new MemoryAuditLog();
  const p = new HttpPolicy({
    fetch,
    timeScale: 0,
    now: () => NOW,
    random: () => 0,
    audit,
    onWait: (w) => waits.push(w),
    ...extra,
  });
  return { p, waits, audit };
}

describe("the shared HTTP policy", () => {
  it("retries a GET on 5xx with exponential backoff, then returns the success", async () => {
    const fetch = scripted(new Response("", { status: 502 }), new Response("", { status: 503 }), new Response("ok"));
    const { p, waits, audit } = policy(fetch);
    const response = await p.fetchFor("sentry")("https://sentry.example.invalid/api/0/x/");
    assert.equal(await response.text(), "ok");
    assert.deepEqual(
      waits.map((w) => [w.reason, w.ms, w.cause]),
      [
        ["retry", 500, 502],
        ["retry", 1000, 503],
      ],
    );
    assert.deepEqual(
      audit.entries.map((e) => [e.attempt, e.status]),
      [
        [1, 502],
        [2, 503],
        [3, 200],
      ],
    );
  });

  it("caps backoff at maxDelayMs and stops after maxRetries", async () => {
    const fetch = scripted(...Array.from({ length: 6 }, () => new Response("", { status: 500 })));
    const { p, waits } = policy(fetch, { maxRetries: 5, baseDelayMs: 1000, maxDelayMs: 3000 });
    const response = await p.fetchFor("jira")("https://jira.example.invalid/x");
    assert.equal(response.status, 500);
    assert.deepEqual(
      waits.map((w) => w.ms),
      [1000, 2000, 3000, 3000, 3000],
    );
    assert.equal(fetch.calls.length, 6);
  });

  it("does not retry a POST on 5xx or a reset connection (it may have been done)", async () => {
    const { p } = policy(scripted(new Response("", { status: 500 })));
    assert.equal(
      (await p.fetchFor("slack")("https://slack.example.invalid/api/x", { method: "POST", body: "a" })).status,
      500,
    );
    const reset = policy(scripted(resetError()));
    await assert.rejects(
      reset.p.fetchFor("slack")("https://slack.example.invalid/api/x", { method: "POST", body: "a" }),
      (e: IntegrationError) => e.kind === "network",
    );
  });

  it("retries a refused connection even for a POST, resending the body", async () => {
    const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    const fetch = scripted(refused, new Response("ok"));
    const { p } = policy(fetch);
    await p.fetchFor("slack")("https://slack.example.invalid/api/x", { method: "POST", body: "payload" });
    assert.equal(await fetch.calls[1]?.text(), "payload");
  });

  it("retries a reset GET, and ends with an error that says what to check", async () => {
    const { p } = policy(scripted(resetError(), resetError(), resetError(), resetError()));
    await assert.rejects(p.fetchFor("github")("https://api.github.example.invalid/x"), (e: IntegrationError) => {
      assert.equal(e.kind, "network");
      assert.match(
        e.message,
        /Could not reach GitHub at api\.github\.example\.invalid \(ECONNRESET, 4 tries\)\. Check the URL setting/,
      );
      return true;
    });
  });

  it("waits the Retry-After of a 429 when it is under the cap", async () => {
    const fetch = scripted(new Response("", { status: 429, headers: { "retry-after": "12" } }), new Response("ok"));
    const { p, waits } = policy(fetch);
    assert.equal((await p.fetchFor("jira")("https://jira.example.invalid/x")).status, 200);
    assert.deepEqual(waits, [{ service: "jira", ms: 12_000, reason: "rateLimit", cause: 429 }]);
  });

  it("fails at once when the rate limit outlasts the cap, saying when to retry", async () => {
    const { p, waits } = policy(scripted(new Response("", { status: 429, headers: { "retry-after": "5400" } })), {
      maxRateLimitWaitMs: 60_000,
    });
    await assert.rejects(p.fetchFor("sentry")("https://sentry.example.invalid/x"), (e: IntegrationError) => {
      assert.equal(e.kind, "rateLimited");
      assert.equal(e.retryAt, NOW + 5_400_000);
      assert.match(
        e.message,
        /Sentry rate limit reached \(HTTP 429\); it resets in 90 min at 2026-01-05T11:30:00\.000Z\. Bora waits at most 60 s/,
      );
      return true;
    });
    assert.equal(waits.length, 0);
  });

  it("times out an attempt that hangs and retries it", async () => {
    let calls = 0;
    const hanging: FetchFunction = (_input, init) => {
      calls++;
      if (calls === 1)
        return new Promise((_, reject) =>
          init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "TimeoutError"))),
        );
      return Promise.resolve(new Response("late but fine"));
    };
    const { p, audit } = policy(hanging, { timeoutMs: 20 });
    assert.equal(await (await p.fetchFor("github")("https://h.example.invalid/")).text(), "late but fine");
    assert.deepEqual(
      audit.entries.map((e) => e.status),
      ["timeout", 200],
    );
  });

  it("passes through 4xx answers that are not rate limits, without retrying", async () => {
    const fetch = scripted(new Response('{"message":"nope"}', { status: 403 }));
    const { p } = policy(fetch);
    assert.equal((await p.fetchFor("github")("https://h.example.invalid/")).status, 403);
    assert.equal(fetch.calls.length, 1);
  });

  it("audits method, host and path only: no query, header or body", async () => {
    const { p, audit } = policy(scripted(new Response("ok")));
    await p.fetchFor("github")("https://api.github.example.invalid/search/issues?q=secret+words", {
      headers: { authorization: "token abc" },
    });
    assert.deepEqual(
      { ...audit.entries[0], durationMs: 0 },
      {
        time: new Date(NOW).toISOString(),
        service: "github",
        method: "GET",
        host: "api.github.example.invalid",
        path: "/search/issues",
        status: 200,
        durationMs: 0,
        attempt: 1,
      },
    );
  });

  it("masks the secret path of a Slack webhook in the audit log", () => {
    assert.equal(auditPath("/services/T0/B0/abcdef123"), "/services/[redacted]");
    assert.equal(auditPath("/api/chat.postMessage"), "/api/chat.postMessage");
  });
});

describe("the policy's per-fetch options", () => {
  it("retries a POST on 5xx and on a reset connection when the fetch says its requests are idempotent", async () => {
    const fetch = scripted(new Response("", { status: 503 }), resetError(), new Response("done"));
    const { p, audit } = policy(fetch);
    const engine = p.fetchFor("engine", { idempotent: true });
    const response = await engine("http://engine.example.invalid/v1/chat/completions", { method: "POST", body: "q" });
    assert.equal(await response.text(), "done");
    assert.deepEqual(
      audit.entries.map((e) => [e.service, e.method, e.status]),
      [
        ["engine", "POST", 503],
        ["engine", "POST", "ECONNRESET"],
        ["engine", "POST", 200],
      ],
    );
    assert.equal(await fetch.calls[2]?.text(), "q", "the body went again");
  });

  describe("over loopback HTTP", () => {
    let server: http.Server;
    let base: string;
    /** How long the server waits before the headers and before the body, per path. */
    const delays: Record<string, { headersMs: number; bodyMs: number }> = {
      "/slow-body": { headersMs: 0, bodyMs: 400 },
      "/slow-headers": { headersMs: 400, bodyMs: 0 },
    };
    before(async () => {
      server = http.createServer((req, res) => {
        const delay = delays[req.url ?? ""] ?? { headersMs: 0, bodyMs: 0 };
        setTimeout(() => {
          res.writeHead(200, { "content-type": "text/plain" });
          res.write("first ");
          setTimeout(() => res.end("last"), delay.bodyMs);
        }, delay.headersMs);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    it("with a headers-only timeout, lets a body arrive for longer than the timeout", async () => {
      const p = new HttpPolicy({ timeoutMs: 150, maxRetries: 0 });
      const response = await p.fetchFor("models", { timeout: "headers" })(`${base}/slow-body`);
      assert.equal(await response.text(), "first last");
    });

    it("with the default whole-attempt timeout, cuts that same body", async () => {
      const p = new HttpPolicy({ timeoutMs: 150, maxRetries: 0 });
      const response = await p.fetchFor("github")(`${base}/slow-body`);
      await assert.rejects(response.text());
    });

    it("with a headers-only timeout, still times out headers that do not come, with the fetch's own figure", async () => {
      const audit = new MemoryAuditLog();
      const p = new HttpPolicy({ maxRetries: 0, audit });
      await assert.rejects(
        p.fetchFor("engine", { timeout: "headers", timeoutMs: 150 })(`${base}/slow-headers`),
        (e: IntegrationError) => {
          assert.equal(e.kind, "timeout");
          assert.equal(e.timeoutMs, 150);
          assert.match(e.message, /Remote engine at 127\.0\.0\.1:\d+ did not answer within 150 ms \(1 try\)/);
          return true;
        },
      );
      assert.deepEqual(
        audit.entries.map((e) => e.status),
        ["timeout"],
      );
    });
  });
});

describe("rate-limit waits from response headers", () => {
  const at = (status: number, headers: Record<string, string>, body = ""): Promise<number | undefined> =>
    rateLimitWaitMs(new Response(body, { status, headers }), NOW);

  it("reads Retry-After as seconds or as an HTTP date", async () => {
    assert.equal(await at(429, { "retry-after": "7" }), 7000);
    assert.equal(await at(429, { "retry-after": "0.5" }), 500);
    assert.equal(await at(429, { "retry-after": "soon" }), 1000, "an unreadable one waits one backoff step");
    assert.equal(await at(503, { "retry-after": new Date(NOW + 30_000).toUTCString() }), 30_000);
  });

  it("reads GitHub's primary limit (remaining 0, reset epoch) on a 403, plus one second", async () => {
    assert.equal(
      await at(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 120) }),
      121_000,
    );
  });

  it("reads Sentry's X-Sentry-Rate-Limit-Reset and Jira's ISO reset on a 429", async () => {
    assert.equal(await at(429, { "x-sentry-rate-limit-reset": String(NOW / 1000 + 10) }), 11_000);
    assert.equal(await at(429, { "x-ratelimit-reset": new Date(NOW + 5000).toISOString() }), 6000);
  });

  it("treats a 403 as a rate limit only when it says so", async () => {
    assert.equal(await at(403, {}, '{"message":"Resource not accessible by integration"}'), undefined);
    assert.equal(await at(403, {}, '{"message":"You have exceeded a secondary rate limit."}'), 60_000);
    assert.equal(await at(429, {}), 1000, "a bare 429 waits one backoff step");
    assert.equal(await at(500, { "retry-after": "3" }), undefined);
  });
});
