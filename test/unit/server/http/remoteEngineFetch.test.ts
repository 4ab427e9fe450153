/**
 * The remote engine's retries, which its fetch does: the host's policy fetch for remote engines
 * over a scripted fetch, and what the engine makes of what the policy hands back or gives up on.
 */
import assert from "node:assert/strict";
import { RemoteEngine, collect, isRemoteEngineError, type FetchFunction } from "@bora/inference";
import { AjvToolValidator } from "../../../../server/src/engines/toolArgumentsValidator.js";
import { remoteEngineFetch } from "../../../../server/src/http/fetches.js";
import { HttpPolicy, type HttpPolicyOptions, type WaitNotice } from "../../../../server/src/http/policy.js";

/** A fetch that answers from a list (the last one repeats) and records each request. */
function scriptedFetch(answers: (() => Response | Promise<Response>)[]): FetchFunction & { calls: Request[] } {
  const calls: Request[] = [];
  const fake = ((input: string | URL | Request, init?: RequestInit) => {
    calls.push(new Request(input, init));
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    return Promise.resolve(answer());
  }) as FetchFunction & { calls: Request[] };
  fake.calls = calls;
  return fake;
}

const ANSWER = { choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] };
const ok = (): Response => Response.json(ANSWER);
const ask = { messages: [{ role: "user" as const, content: "hi" }] };

function engineOver(
  base: FetchFunction,
  options: HttpPolicyOptions = {},
): { engine: RemoteEngine; waits: WaitNotice[] } {
  const waits: WaitNotice[] = [];
  const policy = new HttpPolicy({
    maxRetries: 3,
    baseDelayMs: 1,
    maxDelayMs: 50,
    fetch: base,
    onWait: (w) => waits.push(w),
    ...options,
  });
  const engine = new RemoteEngine({
    preset: "vllm",
    baseUrl: "http://remote.invalid/v1",
    model: "m",
    validator: new AjvToolValidator(),
    env: {},
    stream: false,
    fetch: remoteEngineFetch(policy),
  });
  return { engine, waits };
}

describe("remote engine: retries through the policy fetch", () => {
  it("retries 429 and 503, waiting what Retry-After says, then returns the success", async () => {
    const fetch = scriptedFetch([
      () => new Response("slow down", { status: 429, headers: { "retry-after": "0.04" } }),
      () => new Response("busy", { status: 503 }),
      ok,
    ]);
    const { engine, waits } = engineOver(fetch, { random: () => 0 });
    const result = await collect(engine.chat(ask));
    assert.equal(result.text, "ok");
    assert.deepEqual(
      waits.map((w) => [w.reason, w.cause, w.ms]),
      [
        ["rateLimit", 429, 40],
        ["retry", 503, 2],
      ],
    );
    assert.equal(fetch.calls.length, 3);
    assert.equal(fetch.calls[2]?.method, "POST", "the chat completion POST itself was sent again");
  });

  it("retries a chat completion whose connection was reset (it changes nothing on the server)", async () => {
    const reset = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
    let first = true;
    const fetch = scriptedFetch([
      () => {
        if (!first) return ok();
        first = false;
        throw reset;
      },
    ]);
    const result = await collect(engineOver(fetch).engine.chat(ask));
    assert.equal(result.text, "ok");
    assert.equal(fetch.calls.length, 2);
    assert.equal(await fetch.calls[1]?.text(), await fetch.calls[0]?.text(), "with the same body");
  });

  it("gives up after maxRetries and maps the last error response to serverError", async () => {
    const fetch = scriptedFetch([() => new Response('{"error":{"message":"down"}}', { status: 502 })]);
    await assert.rejects(collect(engineOver(fetch).engine.chat(ask)), (error: unknown) => {
      assert.ok(isRemoteEngineError(error, "serverError"));
      assert.match(error.message, /HTTP 502.*down/);
      return true;
    });
    assert.equal(fetch.calls.length, 4);
  });

  it("does not wait for a Retry-After longer than the policy allows, and says it is rate limited", async () => {
    const fetch = scriptedFetch([() => new Response("", { status: 429, headers: { "retry-after": "3600" } })]);
    await assert.rejects(
      collect(engineOver(fetch).engine.chat(ask)),
      (error: unknown) =>
        isRemoteEngineError(error, "rateLimited") && /rate limiting requests until/.test(error.message),
    );
    assert.equal(fetch.calls.length, 1);
  });

  it("does not retry a 400 or a 401", async () => {
    for (const [status, reason] of [
      [400, "badRequest"],
      [401, "unauthorized"],
    ] as const) {
      const fetch = scriptedFetch([() => new Response("no", { status })]);
      await assert.rejects(collect(engineOver(fetch).engine.chat(ask)), (error: unknown) =>
        isRemoteEngineError(error, reason),
      );
      assert.equal(fetch.calls.length, 1);
    }
  });

  it("retries a refused connection, then reports a network error naming the cause", async () => {
    const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    const fetch = scriptedFetch([() => Promise.reject(refused)]);
    await assert.rejects(
      collect(engineOver(fetch).engine.chat(ask)),
      (error: unknown) =>
        isRemoteEngineError(error, "network") &&
        /could not reach the vllm server at http:\/\/remote\.invalid\/v1 \(ECONNREFUSED\)/.test(error.message),
    );
    assert.equal(fetch.calls.length, 4);
  });

  it("stops waiting between retries as soon as the caller aborts, and ends as aborted", async () => {
    const fetch = scriptedFetch([() => new Response("", { status: 503, headers: { "retry-after": "30" } })]);
    const { engine, waits } = engineOver(fetch);
    const controller = new AbortController();
    const result = collect(engine.chat({ ...ask, signal: controller.signal }));
    // Abort once the policy has started its 30 s wait: the test's 10 s limit fails it if the wait goes on.
    while (waits.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    assert.equal((await result).finishReason, "aborted");
    assert.equal(fetch.calls.length, 1);
  });
});
