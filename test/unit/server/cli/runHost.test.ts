import assert from "node:assert/strict";
import { cliRunHost, turnFinishedLine } from "../../../../server/src/cli/commands/runHost.js";
import { capturingIO } from "../../../support/cliInProcess.js";
import { waitFor } from "../../../support/hostProcess.js";

describe("bora run's terminal host", () => {
  it("ends each turn with its tokens, time and speed, and the prompt as the engine counted it", () => {
    const line = turnFinishedLine({
      kind: "turnFinished",
      turn: 3,
      promptTokens: 5123,
      completionTokens: 412,
      ms: 9800,
      finishReason: "stop",
    });
    assert.equal(line, "[bora] turn 3: 412 tokens in 9.8 s (42.0 tok/s); prompt 5123 tokens");
    assert.match(
      turnFinishedLine({
        kind: "turnFinished",
        turn: 1,
        promptTokens: 10,
        completionTokens: 8,
        ms: 0,
        finishReason: "length",
      }),
      /^\[bora\] turn 1: 8 tokens in 0\.0 s; prompt 10 tokens, cut off at the token limit$/,
    );
  });

  it("names the prompt size at the start of a turn an estimate, and prints the turn's end after its text", async () => {
    const io = capturingIO();
    const host = cliRunHost(io, { interactive: false });
    try {
      host.emit("r", { kind: "turnStarted", turn: 2, estimatedPromptTokens: 5000 });
      host.emit("r", { kind: "text", turn: 2, text: "Done." });
      host.emit("r", {
        kind: "turnFinished",
        turn: 2,
        promptTokens: 5123,
        completionTokens: 2,
        ms: 500,
        finishReason: "stop",
      });
      await waitFor("the turn's end", () => io.err().includes("turn 2:"));
      assert.equal(
        io.err(),
        "[bora] turn 2 (prompt ≈5000 tokens, estimated)\nDone.\n[bora] turn 2: 2 tokens in 0.5 s (4.0 tok/s); prompt 5123 tokens\n",
      );
    } finally {
      host.dispose();
    }
  });

  it("says a turn that writes nothing for a while is still running", async () => {
    const io = capturingIO();
    const host = cliRunHost(io, { interactive: false, stillRunningMs: 20 });
    try {
      host.emit("r", { kind: "turnStarted", turn: 4, estimatedPromptTokens: 100 });
      host.emit("r", { kind: "text", turn: 4, text: "Thinking" });
      const err = await waitFor("a still-running line", () => /still running/.test(io.err()) && io.err(), 5000);
      // The streamed text ends its line first, so the notice stands on its own.
      assert.match(err, /\nThinking\n\[bora\] turn 4: still running after \d+\.\d s\n/);
    } finally {
      host.dispose();
    }
  });

  it("declines approvals without a terminal and says how to approve", async () => {
    const io = capturingIO();
    const host = cliRunHost(io, { interactive: false });
    assert.equal(
      await host.requestApproval("r", {
        tool: "run_command",
        summary: "npm test",
        reason: "policy for run_command: ask",
      }),
      false,
    );
    assert.equal(await host.askUser("r", { question: "Which?" }), undefined);
    await waitFor("the notice", () => io.err().includes("not approved"));
    assert.match(
      io.err(),
      /not approved: run_command npm test \(policy for run_command: ask; non-interactive: pass --yes/,
    );
  });
});
