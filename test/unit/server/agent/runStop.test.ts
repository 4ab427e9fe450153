import assert from "node:assert/strict";
import type { TurnOutput, TurnReply } from "../../../../server/src/agent/modelTurn.js";
import { newRunState, resolveBudgets, type Budgets, type RunState } from "../../../../server/src/agent/runState.js";
import { RunStop } from "../../../../server/src/agent/runStop.js";

function stateWith(budgets: Budgets, changes: Partial<RunState> = {}): RunState {
  return { ...newRunState({ runId: "r", root: "/r", task: "t", budgets: resolveBudgets(budgets) }), ...changes };
}

function reply(changes: Partial<TurnReply>): TurnOutput {
  return {
    turn: 1,
    contextSize: 8192,
    estimatedPromptTokens: 100,
    reply: {
      text: "done",
      toolCalls: [],
      callErrors: [],
      message: { role: "assistant", content: "done" },
      finishReason: "stop",
      usage: { promptTokens: 100, completionTokens: 10 },
      maxTokens: 2048,
      limitedBy: "turn",
      ms: 5,
      ...changes,
    },
  };
}

describe("RunStop", () => {
  const stops: RunStop[] = [];
  const stopFor = (budgets: Budgets, signal?: AbortSignal, spentMs?: number): RunStop => {
    const stop = new RunStop({ budgets: resolveBudgets(budgets), signal, spentMs });
    stops.push(stop);
    return stop;
  };
  afterEach(() => stops.splice(0).forEach((s) => s.dispose()));

  it("stops before a turn when the turn or token budget is spent, and says which", () => {
    const stop = stopFor({ maxTurns: 3, maxTokens: 1000 });
    assert.equal(stop.beforeTurn(stateWith({ maxTurns: 3, maxTokens: 1000 }, { turns: 2 })), undefined);
    assert.deepEqual(stop.beforeTurn(stateWith({ maxTurns: 3 }, { turns: 3 })), {
      status: "max_turns",
      reason: "the turn budget of 3 turns ran out before the model finished",
    });
    assert.deepEqual(
      stop.beforeTurn(stateWith({ maxTokens: 1000 }, { usage: { promptTokens: 900, completionTokens: 100 } })),
      { status: "max_tokens", reason: "the token budget of 1000 tokens ran out (1000 used)" },
    );
  });

  it("aborts the steps' signal when the caller cancels, and says so", () => {
    const caller = new AbortController();
    const stop = stopFor({}, caller.signal);
    assert.equal(stop.signal.aborted, false);
    caller.abort();
    assert.equal(stop.signal.aborted, true);
    assert.deepEqual(stop.beforeTurn(stateWith({})), { status: "aborted", reason: "the run was cancelled" });
    assert.deepEqual(stop.afterCall(), { status: "aborted", reason: "the run was cancelled" });
  });

  it("counts a resumed run's earlier time against the wall-time budget", async () => {
    assert.ok(stopFor({ maxWallMs: 60000 }, undefined, 10000).remainingMs() <= 50000);
    const spent = stopFor({ maxWallMs: 60000 }, undefined, 60000);
    assert.equal(spent.remainingMs(), 0);
    assert.ok(spent.elapsedMs() >= 60000);
    await new Promise((resolve) => spent.signal.addEventListener("abort", resolve, { once: true }));
    assert.deepEqual(spent.beforeTurn(stateWith({ maxWallMs: 60000 })), {
      status: "timeout",
      reason: "the wall-time budget of 60 s ran out",
    });
  });

  it("ends a run on a reply without calls: completed only when the model ended it", () => {
    const budgets = { maxTokensPerTurn: 2048, maxTokens: 5000 };
    const stop = stopFor(budgets);
    const state = stateWith(budgets, { usage: { promptTokens: 3000, completionTokens: 500 } });
    assert.equal(
      stop.afterTurn(
        state,
        reply({ toolCalls: [{ id: "c", name: "list_dir", arguments: {} }], finishReason: "length" }),
      ),
      undefined,
    );
    assert.deepEqual(stop.afterTurn(state, reply({})), {
      status: "completed",
      reason: "the model gave its final answer",
    });
    assert.match(stop.afterTurn(state, reply({ finishReason: "length" }))?.reason ?? "", /per-turn limit of 2048/);
    assert.equal(stop.afterTurn(state, reply({ finishReason: "length" }))?.status, "truncated");
    assert.equal(
      stop.afterTurn(state, reply({ finishReason: "length", limitedBy: "context" }))?.status,
      "context_exhausted",
    );
    assert.deepEqual(stop.afterTurn(state, reply({ finishReason: "length", limitedBy: "budget" })), {
      status: "max_tokens",
      reason: "the token budget of 5000 tokens ran out (3610 used) in the middle of the model's reply",
    });
  });

  it("words each way a turn can get no reply", () => {
    const stop = stopFor({});
    const state = stateWith({}, { turns: 2, toolsTokens: 700 });
    const failed = (failure: Extract<TurnOutput, { failure: unknown }>["failure"]): TurnOutput => ({
      turn: 3,
      contextSize: 4096,
      estimatedPromptTokens: 5000,
      failure,
    });
    assert.match(
      stop.afterTurn(state, failed({ code: "contextExhausted" }))?.reason ?? "",
      /tool definitions \(700 tokens\) and latest turns no longer fit the 4096-token context window/,
    );
    assert.deepEqual(stop.afterTurn(state, failed({ code: "scriptEnded" })), {
      status: "script_ended",
      reason: "the script ended after 2 turn(s) without a final answer",
    });
    assert.deepEqual(stop.afterTurn(state, failed({ code: "engineError", message: "boom" })), {
      status: "engine_error",
      reason: "the engine failed: boom",
    });
    // The engine's deadline can come a moment before the wall timer: it is the wall-time budget all the same.
    assert.equal(stop.afterTurn(state, failed({ code: "interrupted" }))?.status, "timeout");
    assert.equal(stop.signal.aborted, true);
  });
});
