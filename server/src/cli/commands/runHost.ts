/**
 * The `bora run` terminal as a run's `RunEvents` and `Questions`: progress lines on stderr (stdout
 * is the summary's), approvals and `ask_user` as prompts when a person is at the terminal. A model
 * turn that writes nothing for a while (a long prefill, a long tool call) gets a "still running"
 * line, so a slow local model does not look hung.
 */
import { createInterface } from "node:readline";
import type { Questions } from "../../agent/questions.js";
import { formatSeconds } from "../../agent/runResult.js";
import type { AgentEvent, RunEvents } from "../../agent/runEvents.js";
import type { CliIO } from "../command.js";

export interface CliRunHostOptions {
  /** Whether a person can answer prompts (stdin is a terminal). */
  interactive: boolean;
  /** Silence during a model turn after which a "still running" line is written. Defaults to 15 s. */
  stillRunningMs?: number;
}

export interface CliRunHost extends RunEvents, Questions {
  /** Stops the "still running" timer. */
  dispose(): void;
}

/** The line at the end of a turn: the reply's size and speed, and the prompt as the engine counted it. */
export function turnFinishedLine(event: Extract<AgentEvent, { kind: "turnFinished" }>): string {
  // Whole-turn speed (prefill included), so the three numbers agree with each other.
  const rate = event.ms > 0 ? ` (${((event.completionTokens * 1000) / event.ms).toFixed(1)} tok/s)` : "";
  const cut = event.finishReason === "length" ? ", cut off at the token limit" : "";
  return `[bora] turn ${event.turn}: ${event.completionTokens} tokens in ${formatSeconds(event.ms)}${rate}; prompt ${event.promptTokens} tokens${cut}`;
}

export function cliRunHost(io: CliIO, options: CliRunHostOptions): CliRunHost {
  const stillRunningMs = options.stillRunningMs ?? 15000;
  let turn: { number: number; started: number; timer: NodeJS.Timeout } | undefined;
  let midText = false;
  const write = (text: string): void => {
    io.stderr.write(text);
    // Any output shows the run is alive; the timer counts silence.
    turn?.timer.refresh();
  };
  const line = (text: string): void => write(`${text}\n`);
  const endText = (): void => {
    if (midText) write("\n");
    midText = false;
  };
  const endTurn = (): void => {
    if (turn) clearTimeout(turn.timer);
    turn = undefined;
  };
  const prompt = async (question: string): Promise<string | undefined> => {
    if (!options.interactive) return undefined;
    const rl = createInterface({ input: process.stdin, output: io.stderr });
    try {
      return await new Promise<string>((resolve) => rl.question(question, resolve));
    } finally {
      rl.close();
    }
  };
  return {
    async requestApproval(_runId, request) {
      endText();
      if (!options.interactive) {
        line(
          `[bora] not approved: ${request.tool} ${request.summary} (${request.reason}; non-interactive: pass --yes to approve)`,
        );
        return false;
      }
      const answer = await prompt(`[bora] allow ${request.tool}: ${request.summary}? [y/N] `);
      return /^y(es)?$/i.test((answer ?? "").trim());
    },
    async askUser(_runId, { question, options: choices }) {
      endText();
      const offered = choices && choices.length > 0 ? ` (${choices.join(" / ")})` : "";
      const answer = await prompt(`[bora] the agent asks: ${question}${offered}\n> `);
      return answer === undefined || answer.trim() === "" ? undefined : answer.trim();
    },
    emit(_runId, event) {
      switch (event.kind) {
        case "runStarted":
          line(`[bora] run ${event.runId} in ${event.root}`);
          break;
        case "turnStarted": {
          endText();
          endTurn();
          const started = performance.now();
          const number = event.turn;
          const timer = setTimeout(() => {
            endText();
            line(`[bora] turn ${number}: still running after ${formatSeconds(performance.now() - started)}`);
          }, stillRunningMs);
          // The timer must never keep the process alive on its own.
          timer.unref();
          turn = { number, started, timer };
          line(`[bora] turn ${event.turn} (prompt ≈${event.estimatedPromptTokens} tokens, estimated)`);
          break;
        }
        case "text":
          write(event.text);
          midText = true;
          break;
        case "turnFinished":
          endTurn();
          endText();
          line(turnFinishedLine(event));
          break;
        case "toolCall":
          endText();
          line(`[bora] → ${event.name} ${event.summary}`);
          break;
        case "toolResult":
          line(`[bora]   ${event.ok ? "ok" : "failed"} (${event.ms} ms): ${event.summary.slice(0, 160)}`);
          break;
        case "checkpoint":
          line(`[bora] checkpoint ${event.ref}`);
          break;
        case "compacted":
          line(
            `[bora] context compacted: ${event.truncatedResults} result(s) truncated, ${event.summarizedTurns} turn(s) summarized`,
          );
          break;
        case "runFinished":
          endTurn();
          endText();
          line(`[bora] finished: ${event.status}`);
          break;
      }
    },
    dispose: endTurn,
  };
}
