import assert from "node:assert/strict";
import { ScriptedEngine, collect, decodeTokensPerSecond, timingOf } from "@bora/inference";

describe("generation timing (one tok/s formula for every engine)", () => {
  it("counts the tokens after the first over the time from the first token to the last", () => {
    // 11 tokens, the first at 100 ms and the last at 600 ms: 10 tokens in half a second.
    assert.equal(decodeTokensPerSecond(11, 100, 600), 20);
    assert.equal(decodeTokensPerSecond(2, 0, 250), 4);
  });

  it("has no rate when there is nothing to measure", () => {
    assert.equal(decodeTokensPerSecond(0, undefined, undefined), 0);
    assert.equal(decodeTokensPerSecond(1, 100, 100), 0, "one token is all TTFT");
    assert.equal(decodeTokensPerSecond(5, 100, 100), 0, "all at the same instant");
    assert.equal(decodeTokensPerSecond(5, undefined, 300), 0);
  });

  it("builds a Timing with TTFT and total from the same marks", () => {
    assert.deepEqual(
      timingOf({ startedMs: 1000, firstTokenMs: 1300, lastTokenMs: 1800, endMs: 1850, completionTokens: 11 }),
      { ttftMs: 300, totalMs: 850, tokensPerSecond: 20 },
    );
    assert.deepEqual(
      timingOf({ startedMs: 1000, firstTokenMs: undefined, lastTokenMs: undefined, endMs: 1200, completionTokens: 0 }),
      { ttftMs: 200, totalMs: 200, tokensPerSecond: 0 },
      "without tokens TTFT is the whole call",
    );
  });

  it("is what the scripted engine reports: a one-token answer has no decode rate", async () => {
    const engine = new ScriptedEngine({ turns: [{ content: "one" }, { content: "a b c d" }] }, { chunkDelayMs: 5 });
    const single = await collect(engine.chat({ messages: [] }));
    assert.equal(single.usage.completionTokens, 1);
    assert.equal(single.timing.tokensPerSecond, 0);
    const four = await collect(engine.chat({ messages: [] }));
    assert.equal(four.usage.completionTokens, 4);
    assert.ok(four.timing.tokensPerSecond > 0, "three tokens after the first have a rate");
  });
});
