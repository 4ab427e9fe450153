import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ScriptedEngine, parseScript, type Script } from "@bora/inference";
import { applyCall, executeCall } from "../../../server/src/agent/executeCall.js";
import { continueRun, runAgent, type StepName, type StepRunner } from "../../../server/src/agent/loop.js";
import { applyTurn, modelTurn } from "../../../server/src/agent/modelTurn.js";
import { startRun, type AgentRunOptions } from "../../../server/src/agent/runDeps.js";
import type { AgentRunResult } from "../../../server/src/agent/runResult.js";
import type { RunState } from "../../../server/src/agent/runState.js";
import { Spawner } from "../../../server/src/workspace/spawner.js";
import { FIXTURE_SCRIPTS, fixtureRepo, tempDir } from "./helpers.js";

function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A step runner as a durable workflow would use: every input and output goes through JSON, and the run goes on with the copies. */
function throughJson(seen: StepName[]): StepRunner {
  return async (name, input, step) => {
    const storedInput = roundTrip(input);
    assert.deepEqual(storedInput, input, `${name}'s input changes through JSON`);
    const output = await step(storedInput);
    const storedOutput = roundTrip(output);
    assert.deepEqual(storedOutput, output, `${name}'s output changes through JSON`);
    seen.push(name);
    return storedOutput;
  };
}

/** What two runs of the same script must agree on; times, commit ids and the root differ. */
function comparable(result: AgentRunResult): unknown {
  return {
    status: result.status,
    reason: result.reason,
    answer: result.answer,
    turns: result.turns,
    usage: result.usage,
    lastPromptTokens: result.lastPromptTokens,
    checkpoint: result.checkpoint?.ref,
    filesChanged: result.filesChanged,
    commands: result.commands.map((c) => [c.command, c.exitCode, c.timedOut]),
  };
}

/** Text that differs between two runs of the same script: the root, and the test runner's timings. */
function normalized(value: unknown, root: string): unknown {
  return JSON.parse(
    JSON.stringify(value)
      .split(root)
      .join("<root>")
      .replace(/duration_ms:? [\d.]+/g, "duration_ms"),
    (key, inner: unknown) => (key === "at" || key === "ms" || key === "commit" ? undefined : inner),
  );
}

async function transcriptOf(file: string, root: string): Promise<unknown> {
  const lines = (await readFile(file, "utf8")).trim().split("\n");
  return normalized(
    lines.map((line) => JSON.parse(line) as unknown),
    root,
  );
}

describe("the agent loop as steps", function () {
  this.timeout(120000);
  let state: { dir: string; dispose(): Promise<void> };
  let fixCart: Script;
  let spawner: Spawner;
  before(async () => {
    fixCart = parseScript(JSON.parse(await readFile(path.join(FIXTURE_SCRIPTS, "fixCart.json"), "utf8")));
  });
  beforeEach(async () => {
    state = await tempDir("bora-steps-state-");
    spawner = new Spawner();
  });
  afterEach(async () => {
    await spawner.close();
    await state.dispose();
  });

  it("passes every step's input and output through JSON unchanged, in real runs that go on from the copies", async () => {
    const repo = await fixtureRepo();
    try {
      await writeFile(
        path.join(repo.dir, "big.js"),
        Array.from({ length: 400 }, (_, i) => `const value${i} = ${i}; // filler line for the context budget`).join(
          "\n",
        ),
      );
      const read = (p: string) => ({ tool_calls: [{ name: "read_file", arguments: { path: p } }] });
      const runs: { name: string; options: Omit<AgentRunOptions, "root" | "task">; status: string }[] = [
        {
          name: "the fixture fix (reads, a checkpointed edit, sandboxed commands)",
          options: { spawner, engine: new ScriptedEngine(fixCart), autoApprove: true },
          status: "completed",
        },
        {
          name: "invalid and unknown calls, a declined command, and a script that runs out",
          options: {
            spawner,
            engine: new ScriptedEngine(
              parseScript({
                turns: [
                  {
                    tool_calls: [
                      { name: "read_file", arguments: { file: "x" } },
                      { name: "delete_everything", arguments: {} },
                    ],
                  },
                  { tool_calls: [{ name: "run_command", arguments: { command: "touch x" } }] },
                ],
              }),
            ),
          },
          status: "script_ended",
        },
        {
          name: "a conversation compacted to fit a small window",
          options: {
            spawner,
            engine: new ScriptedEngine(
              parseScript({ turns: [...Array(8).fill(read("big.js")), { content: "done" }] }),
              {
                contextSize: 6000,
              },
            ),
            budgets: { maxTokensPerTurn: 500 },
          },
          status: "completed",
        },
      ];
      for (const run of runs) {
        const seen: StepName[] = [];
        const result = await runAgent(
          { ...run.options, root: repo.dir, task: "t", stateDir: state.dir },
          throughJson(seen),
        );
        assert.equal(result.status, run.status, `${run.name}: ${result.reason}`);
        assert.ok(seen.includes("modelTurn") && seen.includes("executeCall"), `${run.name}: ${seen.join(", ")}`);
        if (run.name.startsWith("a conversation")) assert.ok(result.transcript.some((e) => e.type === "compaction"));
      }
    } finally {
      await repo.dispose();
    }
  });

  it("finishes a run restored from JSON after its first turn as the uninterrupted run finishes", async () => {
    const whole = await fixtureRepo();
    const split = await fixtureRepo();
    try {
      const base = {
        task: "Fix the failing test",
        runId: "20260101T000000-steps",
        autoApprove: true,
        stateDir: state.dir,
        spawner,
      };
      const wholeEngine = new ScriptedEngine(fixCart);
      const wholeFile = path.join(state.dir, "whole.jsonl");
      const uninterrupted = await runAgent({
        ...base,
        engine: wholeEngine,
        root: whole.dir,
        transcriptFile: wholeFile,
      });
      assert.equal(uninterrupted.status, "completed", uninterrupted.reason);

      // A driver of its own runs turn 1 and its calls with the same steps, then stops.
      const splitEngine = new ScriptedEngine(fixCart);
      const splitFile = path.join(state.dir, "split.jsonl");
      const options: AgentRunOptions = { ...base, engine: splitEngine, root: split.dir, transcriptFile: splitFile };
      const started = await startRun(options);
      let run: RunState = started.state;
      const turn = await modelTurn(run, started.deps);
      run = applyTurn(run, turn, started.deps.stop.afterTurn(run, turn));
      for (const call of run.pending) {
        const output = await executeCall(call, started.deps);
        run = applyCall(run, output, started.deps.stop.afterCall());
      }
      started.deps.stop.dispose();
      assert.equal(run.turns, 1);
      assert.deepEqual(run.pending, []);
      assert.equal(run.end, undefined);

      // A second driver picks the run up from its stored state.
      const stored = JSON.stringify(run);
      const resumed = await continueRun(JSON.parse(stored) as RunState, options);

      assert.deepEqual(comparable(resumed), comparable(uninterrupted));
      assert.equal(
        await readFile(path.join(split.dir, "src/cart.js"), "utf8"),
        await readFile(path.join(whole.dir, "src/cart.js"), "utf8"),
      );
      // The model saw the same conversation at every turn, and the transcript tells the same story.
      const asked = (engine: ScriptedEngine, root: string): unknown =>
        normalized(
          engine.requests.map((r) => (r.kind === "chat" ? [r.request.messages, r.request.maxTokens] : r.kind)),
          root,
        );
      assert.deepEqual(asked(splitEngine, split.dir), asked(wholeEngine, whole.dir));
      assert.equal(splitEngine.requests.length, 6);
      assert.deepEqual(await transcriptOf(splitFile, split.dir), await transcriptOf(wholeFile, whole.dir));
    } finally {
      await whole.dispose();
      await split.dispose();
    }
  });
});
