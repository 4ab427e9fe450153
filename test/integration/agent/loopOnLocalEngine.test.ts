import assert from "node:assert/strict";
import { LocalEngine } from "@bora/inference";
import { runAgent } from "../../../server/src/agent/loop.js";
import { Spawner } from "../../../server/src/workspace/spawner.js";
import { ensureTestModel } from "../../support/testModels.js";
import { fixtureRepo, tempDir } from "./helpers.js";

/**
 * The loop on the real local engine (node-llama-cpp on a generated random-weights model). The words
 * are gibberish; what is checked is the wiring: tool definitions reach the model, usage comes from
 * the real tokenizer, and whatever the model emits ends the run with a clear status, never a crash.
 */
describe("agent loop on the local engine (generated tiny model)", function () {
  this.timeout(120000);
  let engine: LocalEngine;
  before(async () => {
    engine = await LocalEngine.open({ modelPath: await ensureTestModel("tiny"), sequences: 1, contextSize: 8192 });
  });
  after(() => engine?.dispose());

  it("runs turns with the tools and ends with a clear status", async () => {
    const repo = await fixtureRepo();
    const state = await tempDir("bora-local-state-");
    const spawner = new Spawner();
    try {
      const result = await runAgent({
        engine,
        spawner,
        root: repo.dir,
        task: "Fix the failing test",
        budgets: { maxTurns: 2, maxTokensPerTurn: 16, maxWallMs: 90000 },
        stateDir: state.dir,
      });
      assert.ok(["completed", "truncated", "max_turns"].includes(result.status), `${result.status}: ${result.reason}`);
      const turns = result.transcript.filter((e) => e.type === "turn");
      assert.ok(turns.length >= 1);
      // A last reply without calls is the answer only when the model ended it; one cut off at the
      // 16-token limit is reported as cut off (issue 10, section 8).
      const last = turns.at(-1);
      if (last?.type === "turn" && last.toolCalls.length === 0) {
        assert.equal(result.status, last.finishReason === "length" ? "truncated" : "completed", result.reason);
      }
      for (const turn of turns) {
        if (turn.type !== "turn") continue;
        // The engine's own count includes the rendered tool definitions, so it exceeds the system prompt's size alone.
        assert.ok(turn.usage.promptTokens > 200, `prompt of ${turn.usage.promptTokens} tokens`);
        assert.ok(turn.usage.completionTokens <= 16);
      }
      // Every call the model made got a result (run or refused), so the conversation stays well formed.
      const calls = turns.flatMap((t) => (t.type === "turn" ? t.toolCalls.map((c) => c.id) : []));
      const results = result.transcript.filter((e) => e.type === "tool").map((e) => (e.type === "tool" ? e.id : ""));
      assert.deepEqual(results, calls);
    } finally {
      await spawner.close();
      await repo.dispose();
      await state.dispose();
    }
  });
});
