import assert from "node:assert/strict";
// The source modules, not the package: `sendWithRetry` is internal, and its errors must be the same classes.
import { backoffDelayMs, retryAfterMs, sendWithRetry } from "../../../inference/src/remote/httpRetry.js";
import { isRemoteEngineError } from "../../../inference/src/remote/remoteErrors.js";

const policy = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 50 };

/** A fetch that answers from a list and records when each call came. */
function scriptedFetch(answers: (() => Response | Promise<Response>)[]): { fetch: typeof fetch; calls: number[] } {
  const calls: number[] = [];
  let next = 0;
  const fake = (() => {
    calls.push(performance.now());
    const answer = answers[Math.min(next++, answers.length - 1)]!;
    return Promise.resolve(answer());
  }) as typeof fetch;
  return { fetch: fake, calls };
}

const spec = { url: "http://remote.invalid/v1/chat/completions", method: "POST" as const, headers: {} };

describe("remote engine: retries", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    assert.equal(retryAfterMs("2"), 2000);
    assert.equal(retryAfterMs("0.5"), 500);
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:03 GMT", now), 3000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs("soon"), undefined);
  });

  it("backs off exponentially with jitter, capped, and lets Retry-After win", () => {
    const p = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelayMs(0, p, undefined, () => 0),
      50,
    );
    assert.equal(
      backoffDelayMs(0, p, undefined, () => 1),
      100,
    );
    assert.equal(
      backoffDelayMs(3, p, undefined, () => 1),
      800,
    );
    assert.equal(
      backoffDelayMs(8, p, undefined, () => 1),
      1000,
    );
    assert.equal(backoffDelayMs(0, p, 400), 400);
    assert.equal(backoffDelayMs(0, p, 5000), 1000);
  });

  it("retries 429 and 503, waiting what Retry-After says, then returns the success", async () => {
    const { fetch, calls } = scriptedFetch([
      () => new Response("slow down", { status: 429, headers: { "retry-after": "0.04" } }),
      () => new Response("busy", { status: 503 }),
      () => new Response("{}", { status: 200 }),
    ]);
    const retries: string[] = [];
    const open = await sendWithRetry(spec, {
      policy,
      headersTimeoutMs: 1000,
      fetch,
      server: "test",
      onRetry: (r) => retries.push(r.reason),
    });
    assert.equal(open.response.status, 200);
    assert.deepEqual(retries, ["HTTP 429", "HTTP 503"]);
    assert.ok(calls[1]! - calls[0]! >= 35, `waited ${calls[1]! - calls[0]!} ms for a 40 ms Retry-After`);
  });

  it("gives up after maxRetries and hands back the last error response", async () => {
    const { fetch, calls } = scriptedFetch([() => new Response("down", { status: 502 })]);
    const open = await sendWithRetry(spec, { policy, headersTimeoutMs: 1000, fetch, server: "test" });
    assert.equal(open.response.status, 502);
    assert.equal(calls.length, policy.maxRetries + 1);
  });

  it("does not wait for a Retry-After longer than the longest allowed delay", async () => {
    const { fetch, calls } = scriptedFetch([
      () => new Response("", { status: 429, headers: { "retry-after": "3600" } }),
    ]);
    const open = await sendWithRetry(spec, { policy, headersTimeoutMs: 1000, fetch, server: "test" });
    assert.equal(open.response.status, 429);
    assert.equal(calls.length, 1);
  });

  it("does not retry a 400 or a 401", async () => {
    for (const status of [400, 401]) {
      const { fetch, calls } = scriptedFetch([() => new Response("no", { status })]);
      const open = await sendWithRetry(spec, { policy, headersTimeoutMs: 1000, fetch, server: "test" });
      assert.equal(open.response.status, status);
      assert.equal(calls.length, 1);
    }
  });

  it("retries a refused connection, then reports a network error naming the cause", async () => {
    const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    const { fetch, calls } = scriptedFetch([() => Promise.reject(refused)]);
    await assert.rejects(
      sendWithRetry(spec, { policy, headersTimeoutMs: 1000, fetch, server: "the test server" }),
      (error: unknown) =>
        isRemoteEngineError(error, "network") && /could not reach the test server \(ECONNREFUSED\)/.test(error.message),
    );
    assert.equal(calls.length, policy.maxRetries + 1);
  });

  it("stops waiting between retries as soon as the caller aborts", async () => {
    const { fetch } = scriptedFetch([() => new Response("", { status: 503, headers: { "retry-after": "10" } })]);
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(
      sendWithRetry(spec, {
        policy: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 20000 },
        headersTimeoutMs: 1000,
        fetch,
        server: "test",
        signal: controller.signal,
      }),
      { name: "RequestAborted" },
    );
    assert.ok(performance.now() - started < 1000);
  });
});
