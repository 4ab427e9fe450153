/**
 * `bora run`: one agent task, headless. Progress goes to stderr, the summary to stdout; the exit code
 * is 0 when the model finished the task, 1 when the run ended otherwise (budget, a reply cut off at
 * its token limit, engine error), 2 for usage mistakes.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { parsePolicy, type ApprovalPolicy } from "../../agent/approvals.js";
import { rollbackRun, runAgent } from "../../agent/loop.js";
import type { AgentRunResult } from "../../agent/runResult.js";
import { resolveBudgets, type Budgets } from "../../agent/runState.js";
import { Spawner } from "../../workspace/spawner.js";
import { resolveStateDir } from "../../workspace/stateDir.js";
import { UsageError, type CliCommand } from "../command.js";
import { cliRunHost } from "./runHost.js";
import { LOCAL_PROFILES } from "../../engines/engineSpec.js";
import {
  ENGINE_FLAG_OPTIONS,
  ENGINE_FLAGS_HELP,
  cliEngineDeps,
  engineSpecFromFlags,
  openEngineForCli,
} from "../engineFlags.js";

const USAGE = `bora run [options] "instruction"

Runs one agent task on a folder without an editor: the model reads, edits and runs commands in a
sandbox until it answers. Progress goes to stderr; the summary goes to stdout. Exit code 0 when the
task finished, 1 when the run stopped early (budget, a reply cut off at --max-turn-tokens, engine
error), 2 for usage mistakes.

Options:
  --cwd DIR              Folder to work in (the run's root). Defaults to the current directory.
${ENGINE_FLAGS_HELP}
  --yes, -y              Approve every call the policy would ask about ('never' still blocks).
  --policy FILE          Approval policy JSON ({"run_command": {"default": "ask", "rules": [...]}, ...}).
  --max-turns N          Model turns before the run stops. Defaults to 40.
  --max-tokens N         Prompt + completion tokens for the whole run. Defaults to 2000000.
  --max-turn-tokens N    Tokens the model may write in one reply; a reply cut off there ends the run
                         (status truncated). Defaults to 2048.
  --timeout S            Wall-clock seconds for the whole run. Defaults to 1800.
  --allow-network        Let commands reach the network (they run without it by default).
  --allow-unsandboxed    Run commands without bubblewrap if it is missing (not recommended).
  --transcript FILE      Where the JSONL transcript goes. Defaults to <state>/runs/<run>.jsonl, where <state> is
                         $BORA_STATE_DIR, else $XDG_STATE_HOME/bora, else ~/.local/state/bora.
  --json                 Print the result as JSON instead of the text summary.
  --rollback RUN         Undo a previous run: restore the folder to that run's checkpoint, then exit.

Background (durable) runs:
  --background           Run it as a durable task in a worktree of its own on a new branch, not in the
                         folder: commands run sandboxed without asking, a crash resumes it (bora tasks
                         resume), and it ends with the branch to review (or a PR with --pr).
  --pr                   Push the branch and open a pull request on the folder's origin (GITHUB_TOKEN).
  --check CMD            Checks to run after the agent (default npm test when package.json has a test
                         script); while they fail, the agent gets their output for 5 more turns.
  --base BRANCH          The branch to start from (default: the folder's current branch).
  --approve              Wait for bora tasks approve ID before committing.`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} needs a positive whole number, got '${value}'`);
  return n;
}

/** The flag that raises the budget a run ran out of, for the line after its reason. */
function budgetHint(result: AgentRunResult, budgets: Budgets): string | undefined {
  const limits = resolveBudgets(budgets);
  switch (result.status) {
    case "truncated":
      return `to give each reply more room, pass --max-turn-tokens N (above ${limits.maxTokensPerTurn})`;
    case "max_turns":
      return `to allow more turns, pass --max-turns N (above ${limits.maxTurns})`;
    case "max_tokens":
      return `to allow more tokens, pass --max-tokens N (above ${limits.maxTokens})`;
    case "timeout":
      return `to allow more time, pass --timeout S (above ${Math.round(limits.maxWallMs / 1000)})`;
    default:
      return undefined;
  }
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
        ...ENGINE_FLAG_OPTIONS,
        yes: { type: "boolean", short: "y" },
        policy: { type: "string" },
        "max-turns": { type: "string" },
        "max-tokens": { type: "string" },
        "max-turn-tokens": { type: "string" },
        timeout: { type: "string" },
        "allow-network": { type: "boolean" },
        "allow-unsandboxed": { type: "boolean" },
        transcript: { type: "string" },
        json: { type: "boolean" },
        rollback: { type: "string" },
        background: { type: "boolean" },
        pr: { type: "boolean" },
        check: { type: "string" },
        base: { type: "string" },
        approve: { type: "boolean" },
      },
    });
    const root = path.resolve(io.cwd, values.cwd ?? ".");
    const stateDir = resolveStateDir(io.env, io.cwd);
    if (values.rollback !== undefined) {
      // Rollback's few git calls end with it; the spawner is still the one way they start.
      const spawner = new Spawner();
      const undone = await rollbackRun(root, values.rollback, { spawner, stateDir }).finally(() => spawner.close());
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
    if (
      values.background !== true &&
      (values.pr || values.check !== undefined || values.base !== undefined || values.approve)
    ) {
      throw new UsageError("--pr, --check, --base and --approve go with --background");
    }
    if (values.background === true) {
      const { runInBackground } = await import("./background.js");
      return runInBackground(positionals[0]!, root, values, io);
    }
    const budgets: Budgets = {
      maxTurns: positiveInt("--max-turns", values["max-turns"]),
      maxTokens: positiveInt("--max-tokens", values["max-tokens"]),
      maxWallMs: (positiveInt("--timeout", values.timeout) ?? 1800) * 1000,
      maxTokensPerTurn: positiveInt("--max-turn-tokens", values["max-turn-tokens"]),
    };
    let policy: ApprovalPolicy | undefined;
    if (values.policy !== undefined) {
      try {
        policy = parsePolicy(JSON.parse(await readFile(path.resolve(io.cwd, values.policy), "utf8")));
      } catch (error) {
        throw new UsageError(`--policy ${values.policy}: ${(error as Error).message}`);
      }
    }
    // One agent at a time: one sequence with a large window (see LOCAL_PROFILES).
    const spec = engineSpecFromFlags(values, { local: LOCAL_PROFILES.headlessRun });
    const engine = await openEngineForCli(spec, cliEngineDeps(io, "bora run"));
    const runId = `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${Math.random().toString(16).slice(2, 8)}`;
    const transcriptFile = values.transcript
      ? path.resolve(io.cwd, values.transcript)
      : path.join(stateDir, "runs", `${runId}.jsonl`);
    const controller = new AbortController();
    // Every child of the run (commands, git, search) starts here, so that none outlives it.
    const spawner = new Spawner();
    const stopSignals = ["SIGINT", "SIGTERM"] as const;
    let stopping = false;
    const onStopSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal: the user means it. Nothing may be left behind, and this process ends now.
        spawner.closeNow();
        for (const name of stopSignals) process.removeListener(name, onStopSignal);
        process.kill(process.pid, signal);
        return;
      }
      stopping = true;
      // The run winds down (its summary still says what it did) and every child ends now.
      controller.abort();
      void spawner.killAll();
    };
    for (const name of stopSignals) process.on(name, onStopSignal);
    const host = cliRunHost(io, { interactive: process.stdin.isTTY === true });
    try {
      const result = await runAgent({
        engine,
        events: host,
        questions: host,
        root,
        task: positionals[0]!,
        runId,
        budgets,
        policy,
        autoApprove: values.yes === true,
        spawner,
        sandbox: {
          allowNetwork: values["allow-network"] === true,
          allowUnsandboxed: values["allow-unsandboxed"] === true,
          hostEnv: io.env,
        },
        secretEnv: io.env,
        transcriptFile,
        stateDir,
        signal: controller.signal,
      });
      if (values.json) {
        const { transcript: _transcript, ...rest } = result;
        io.stdout.write(`${JSON.stringify({ ...rest, transcriptFile })}\n`);
      } else {
        io.stdout.write(`${result.summary}\nTranscript: ${transcriptFile}\n`);
      }
      if (!result.ok) {
        io.stderr.write(`bora run: ${result.status}: ${result.reason}\n`);
        const hint = budgetHint(result, budgets);
        if (hint) io.stderr.write(`bora run: ${hint}\n`);
      }
      return result.ok ? 0 : 1;
    } finally {
      host.dispose();
      for (const name of stopSignals) process.removeListener(name, onStopSignal);
      await spawner.close();
      await engine.dispose();
    }
  },
};
