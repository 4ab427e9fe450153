import assert from "node:assert/strict";
import { ScriptedEngine, collect } from "@bora/inference";
import { measuredEngine, type GenerationObserver } from "../../../../server/src/engines/measuredEngine.js";

describe("measured engine (tok/s for bora/status)", () => {
  it("reports the timing of every finished generation and passes the stream through unchanged", async () => {
    const seen: Parameters<GenerationObserver>[0][] = [];
    const inner = new ScriptedEngine({ turns: [{ content: "one two three" }, { content: "four" }] });
    const engine = measuredEngine(inner, (done) => seen.push(done));
    const first = await collect(engine.chat({ messages: [] }));
    const second = await collect(engine.complete({ prompt: "x" }));
    assert.equal(first.text, "one two three");
    assert.equal(second.text, "four");
    assert.deepEqual(
      seen.map((d) => d.usage.completionTokens),
      [3, 1],
    );
    assert.equal(seen[0]!.timing.tokensPerSecond, first.timing.tokensPerSecond);
    assert.equal(engine.info, inner.info);
  });

  it("ignores aborted generations and survives an observer that throws", async () => {
    let calls = 0;
    const inner = new ScriptedEngine({ turns: [{ content: "a b c d" }, { content: "e" }] }, { chunkDelayMs: 5 });
    const engine = measuredEngine(inner, () => {
      calls++;
      throw new Error("status bookkeeping failed");
    });
    const controller = new AbortController();
    controller.abort();
    const aborted = await collect(engine.chat({ messages: [], signal: controller.signal }));
    assert.equal(aborted.finishReason, "aborted");
    assert.equal(calls, 0);
    const fine = await collect(engine.chat({ messages: [] }));
    assert.equal(fine.text, "e");
    assert.equal(calls, 1);
  });
});
