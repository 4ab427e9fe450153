/**
 * `bora run`: one agent task, headless. Progress goes to stderr, the summary to stdout; the exit code
 * is 0 when the model finished the task, 1 when the run ended otherwise (budget, engine error), 2 for
 * usage mistakes.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { LocalEngine, ModelStore, parseScript, ScriptedEngine, type Engine } from "@bora/inference";
import { parsePolicy, type ApprovalPolicy } from "../../agent/approvals.js";
import type { AgentEvent, EditorHost } from "../../agent/editorHost.js";
import { rollbackRun, runAgent } from "../../agent/loop.js";
import { UsageError, type CliCommand, type CliIO } from "../command.js";
import { describeMissingModel } from "./models/missingModel.js";

const USAGE = `bora run [options] "instruction"

Runs one agent task on a folder without an editor: the model reads, edits and runs commands in a
sandbox until it answers. Progress goes to stderr; the summary goes to stdout. Exit code 0 when the
task finished, 1 when the run stopped early (budget, engine error, denied), 2 for usage mistakes.

Options:
  --cwd DIR              Folder to work in (the run's root). Defaults to the current directory.
  --model NAME|PATH|URI  GGUF model: a name in the model store, a file, or an https:/hf: reference already pulled into the store.
  --engine script:FILE   Replay a scripted model: {"turns": [{"content"?, "tool_calls"?: [{"name", "arguments"}]}]}.
  --yes, -y              Approve every call the policy would ask about ('never' still blocks).
  --policy FILE          Approval policy JSON ({"run_command": {"default": "ask", "rules": [...]}, ...}).
  --max-turns N          Model turns before the run stops. Defaults to 40.
  --max-tokens N         Prompt + completion tokens for the whole run. Defaults to 2000000.
  --timeout S            Wall-clock seconds for the whole run. Defaults to 1800.
  --allow-network        Let commands reach the network (they run without it by default).
  --allow-unsandboxed    Run commands without bubblewrap if it is missing (not recommended).
  --transcript FILE      Where the JSONL transcript goes. Defaults to ~/.local/state/bora/runs/<run>.jsonl.
  --json                 Print the result as JSON instead of the text summary.
  --rollback RUN         Undo a previous run: restore the folder to that run's checkpoint, then exit.`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} needs a positive whole number, got '${value}'`);
  return n;
}

function stateDir(env: NodeJS.ProcessEnv): string {
  return path.join(env["XDG_STATE_HOME"] || path.join(env["HOME"] || os.homedir(), ".local", "state"), "bora");
}

async function loadEngine(values: { model?: string; engine?: string }, io: CliIO): Promise<Engine> {
  if (values.model !== undefined && values.engine !== undefined)
    throw new UsageError("give either --model or --engine, not both");
  if (values.engine !== undefined) {
    if (!values.engine.startsWith("script:"))
      throw new UsageError(`--engine takes script:FILE, got '${values.engine}'`);
    const file = path.resolve(io.cwd, values.engine.slice("script:".length));
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new UsageError(`cannot read the script ${file}: ${(error as Error).message}`);
    }
    try {
      return new ScriptedEngine(parseScript(raw));
    } catch (error) {
      throw new UsageError(`${file}: ${(error as Error).message}`);
    }
  }
  if (values.model === undefined)
    throw new UsageError("say which model to use: --model PATH|URI or --engine script:FILE");
  const store = new ModelStore({ env: io.env, uri: { cwd: io.cwd } });
  const location = await store.locate(values.model);
  if (!location.found) throw new Error(describeMissingModel(location, store.dir));
  const modelPath = location.path;
  // One run needs one sequence; agent prompts (tools, rules, files) need a large window. The engine
  // caps the window at what the model was trained for.
  return LocalEngine.open({ modelPath, sequences: 1, contextSize: 16384 });
}

/** The CLI's editor host: progress lines on stderr, approvals by prompt on a terminal. */
function cliHost(io: CliIO, interactive: boolean): EditorHost {
  const line = (text: string): void => void io.stderr.write(`${text}\n`);
  let midText = false;
  const endText = (): void => {
    if (midText) io.stderr.write("\n");
    midText = false;
  };
  const prompt = async (question: string): Promise<string | undefined> => {
    if (!interactive) return undefined;
    const rl = createInterface({ input: process.stdin, output: io.stderr });
    try {
      return await new Promise<string>((resolve) => rl.question(question, resolve));
    } finally {
      rl.close();
    }
  };
  return {
    async requestApproval(request) {
      endText();
      if (!interactive) {
        line(
          `[bora] not approved: ${request.tool} ${request.summary} (${request.reason}; non-interactive: pass --yes to approve)`,
        );
        return false;
      }
      const answer = await prompt(`[bora] allow ${request.tool}: ${request.summary}? [y/N] `);
      return /^y(es)?$/i.test((answer ?? "").trim());
    },
    async askUser(question, options) {
      endText();
      const choices = options && options.length > 0 ? ` (${options.join(" / ")})` : "";
      const answer = await prompt(`[bora] the agent asks: ${question}${choices}\n> `);
      return answer === undefined || answer.trim() === "" ? undefined : answer.trim();
    },
    progress(event: AgentEvent) {
      switch (event.kind) {
        case "runStarted":
          line(`[bora] run ${event.runId} in ${event.root}`);
          break;
        case "turnStarted":
          endText();
          line(`[bora] turn ${event.turn} (prompt ${event.promptTokens} tokens)`);
          break;
        case "text":
          io.stderr.write(event.text);
          midText = true;
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
          endText();
          line(`[bora] finished: ${event.status}`);
          break;
      }
    },
  };
}

export const runCommand: CliCommand = {
  name: "run",
  summary: "Run one agent task headless on a folder",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        cwd: { type: "string" },
        model: { type: "string" },
        engine: { type: "string" },
        yes: { type: "boolean", short: "y" },
        policy: { type: "string" },
        "max-turns": { type: "string" },
        "max-tokens": { type: "string" },
        timeout: { type: "string" },
        "allow-network": { type: "boolean" },
        "allow-unsandboxed": { type: "boolean" },
        transcript: { type: "string" },
        json: { type: "boolean" },
        rollback: { type: "string" },
      },
    });
    const root = path.resolve(io.cwd, values.cwd ?? ".");
    if (values.rollback !== undefined) {
      const undone = await rollbackRun(root, values.rollback, stateDir(io.env));
      io.stdout.write(
        undone.length === 0
          ? `nothing to undo: ${root} matches the checkpoint of run ${values.rollback}\n`
          : `restored ${undone.length} file(s) from run ${values.rollback}:\n${undone.map((c) => `  ${c.status} ${c.path}`).join("\n")}\n`,
      );
      return 0;
    }
    if (positionals.length !== 1 || positionals[0]!.trim() === "") {
      throw new UsageError('give the instruction as one quoted argument, e.g. bora run --yes "fix the failing test"');
    }
    const budgets = {
      maxTurns: positiveInt("--max-turns", values["max-turns"]),
      maxTokens: positiveInt("--max-tokens", values["max-tokens"]),
      maxWallMs: (positiveInt("--timeout", values.timeout) ?? 1800) * 1000,
    };
    let policy: ApprovalPolicy | undefined;
    if (values.policy !== undefined) {
      try {
        policy = parsePolicy(JSON.parse(await readFile(path.resolve(io.cwd, values.policy), "utf8")));
      } catch (error) {
        throw new UsageError(`--policy ${values.policy}: ${(error as Error).message}`);
      }
    }
    const engine = await loadEngine(values, io);
    const runId = `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${Math.random().toString(16).slice(2, 8)}`;
    const transcriptFile = values.transcript
      ? path.resolve(io.cwd, values.transcript)
      : path.join(stateDir(io.env), "runs", `${runId}.jsonl`);
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      const result = await runAgent({
        engine,
        host: cliHost(io, process.stdin.isTTY === true),
        root,
        task: positionals[0]!,
        runId,
        budgets,
        policy,
        autoApprove: values.yes === true,
        sandbox: {
          allowNetwork: values["allow-network"] === true,
          allowUnsandboxed: values["allow-unsandboxed"] === true,
          hostEnv: io.env,
        },
        secretEnv: io.env,
        transcriptFile,
        stateDir: stateDir(io.env),
        signal: controller.signal,
      });
      if (values.json) {
        const { transcript: _transcript, ...rest } = result;
        io.stdout.write(`${JSON.stringify({ ...rest, transcriptFile })}\n`);
      } else {
        io.stdout.write(`${result.summary}\nTranscript: ${transcriptFile}\n`);
      }
      if (!result.ok) io.stderr.write(`bora run: ${result.status}: ${result.reason}\n`);
      return result.ok ? 0 : 1;
    } finally {
      process.removeListener("SIGINT", onSigint);
      await engine.dispose();
    }
  },
};
