/**
 * `bora issue REF --repo DIR`: the durable issue-to-PR task from the terminal. Progress goes to
 * stderr, the pull request's URL to stdout (with --json one object). Running it again with the same
 * REF and repo attaches to the task it started before; a task a crash interrupted resumes from its
 * last recorded step.
 */
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { parsePolicy, type ApprovalPolicy } from "../../agent/approvals.js";
import { ConfigError, ENVIRONMENT_HELP, integrationConfigFromEnv } from "../../integrations/config.js";
import { canonicalWorkItemKey } from "../../integrations/workItemRefs.js";
import type { WorkItemSourceName } from "../../integrations/workItem.js";
import { LOCAL_PROFILES } from "../../engines/engineSpec.js";
import type { IssueToPrInput } from "../../workflows/issueToPr.js";
import type { TaskStatusRecord } from "../../workflows/durable.js";
import { defaultCheckCommand } from "../../workflows/checks.js";
import { issueTaskId } from "../../workflows/taskIds.js";
import { currentBranch, originUrl, repositoryRoot } from "../../workflows/worktrees.js";
import { Spawner } from "../../workspace/spawner.js";
import { UsageError, type CliCommand, type CliIO } from "../command.js";
import { ENGINE_FLAG_OPTIONS, ENGINE_FLAGS_HELP, engineSpecFromFlags } from "../engineFlags.js";
import { detectSource } from "./items.js";

const USAGE = `bora issue <REF>... --repo DIR [options]

Works on a GitHub issue, Jira ticket or Sentry error until there is a pull request: fetches it, lets
the agent change the code in a worktree of its own on the branch bora/<key>-<title>, runs the checks
(sandboxed) and gives the agent their output when they fail, commits, pushes to DIR's origin, opens
or updates the pull request, comments on the item (Jira: also a remote link, and --jira-transition),
and tells Slack. Every step is recorded in the workflow database: after a crash, bora tasks resume
(or this command again) continues where it stopped, and never makes a second PR, comment or message.

REF is what bora items show takes: an issue URL, OWNER/NAME#N, a Jira key, a Sentry issue id.
Several REFs run in parallel, each in its own worktree (--concurrency at once). Progress goes to
stderr; the PR URL to stdout (one line per REF, in order). Exit 0 when the PR is open and the checks pass; 1
when the task failed, was denied, or the checks still fail (the PR is then a draft); 2 for usage
mistakes; 3 when it waits for approval (--approve). A failed task keeps its worktree and waits: fix the cause, then bora tasks retry ID.

Options:
  --repo DIR             The repository (default: the current directory). The push goes to its origin.
  --base BRANCH          The branch to start from and to target (default: DIR's current branch).
  --check CMD            The checks, run in the sandbox in the worktree (default: npm test when
                         package.json has a test script; none otherwise).
  --fix-turns N          More agent turns, given the checks' output, while they fail (default 5).
  --approve              Wait for bora tasks approve ID before committing.
  --jira-transition NAME Move a Jira issue with this transition once the PR is open (default: none;
                         also BORA_JIRA_TRANSITION).
  --max-turns N          Model turns for the agent (default 40).
  --policy FILE          Approval policy JSON that tightens the default (commands in the worktree's
                         sandbox run without asking). A tool call the policy says "ask" about parks
                         the task as waiting for input until bora tasks approve ID [--deny] answers.
  --allow-unsandboxed    Run commands without bubblewrap if it is missing (not recommended).
  --concurrency N        Tasks run at once (default 2; also BORA_WORKFLOW_CONCURRENCY).
  --json                 Print {taskId, status, pr: {url, number}} per REF instead of the URL.
  --team                 Put the task on the team queue of BORA_DATABASE_URL for a bora worker to run,
                         instead of running it here, and follow it until it ends. Workers clone
                         DIR's origin, and push the work branch after each tool call, so any
                         worker can take the task over (a repo without an origin: a worker on
                         this machine uses DIR).
${ENGINE_FLAGS_HELP}

The workflow database is an embedded PostgreSQL in the state folder ($BORA_STATE_DIR, else
$XDG_STATE_HOME/bora, else ~/.local/state/bora), or BORA_DATABASE_URL for a shared one.
Settings come from the environment:
${ENVIRONMENT_HELP}`;

/** Extra turns while the checks fail: enough for a fix and a second look, not a runaway. */
const DEFAULT_FIX_TURNS = 5;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} needs a whole number, got '${value}'`);
  return n;
}

async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      repo: { type: "string" },
      base: { type: "string" },
      check: { type: "string" },
      "fix-turns": { type: "string" },
      approve: { type: "boolean" },
      "jira-transition": { type: "string" },
      "max-turns": { type: "string" },
      "allow-unsandboxed": { type: "boolean" },
      json: { type: "boolean" },
      concurrency: { type: "string" },
      policy: { type: "string" },
      team: { type: "boolean" },
      ...ENGINE_FLAG_OPTIONS,
    },
  });
  if (positionals.length === 0)
    throw new UsageError("give a REF: an issue URL, OWNER/NAME#N, a Jira key or a Sentry id");
  let spec = engineSpecFromFlags(values, { local: LOCAL_PROFILES.headlessRun });
  // A resumed task reopens the engine in another process: a script must answer by conversation, and
  // paths must not depend on where that process runs; keys stay in the environment, never in the database.
  if (spec.kind === "script") spec = { ...spec, file: path.resolve(io.cwd, spec.file), turnFrom: "conversation" };
  if (spec.kind === "remote") spec = { ...spec, apiKey: undefined };
  if (spec.kind === "local" && !/^[a-z]+:/.test(spec.model) && spec.model.includes("/"))
    spec = { ...spec, model: path.resolve(io.cwd, spec.model) };
  const concurrency = positiveInt("--concurrency", values.concurrency ?? io.env["BORA_WORKFLOW_CONCURRENCY"], 2);
  if (concurrency < 1) throw new UsageError("--concurrency needs at least 1");

  const probe = new Spawner();
  let repo: string;
  let base: string;
  let origin: string | undefined;
  try {
    repo = await realpath(await repositoryRoot(path.resolve(io.cwd, values.repo ?? "."), probe));
    base = values.base ?? (await currentBranch(repo, probe));
    // A team worker on another machine clones it; without one, only a worker here can run the task.
    if (values.team === true) origin = await originUrl(repo, probe).catch(() => undefined);
  } catch (error) {
    throw new UsageError((error as Error).message);
  } finally {
    await probe.close();
  }
  const check = values.check ?? (await defaultCheckCommand(repo));
  let policy: ApprovalPolicy | undefined;
  if (values.policy !== undefined) {
    try {
      const raw = JSON.parse(await readFile(path.resolve(io.cwd, values.policy), "utf8")) as unknown;
      const parsed = parsePolicy(raw);
      // Only the file's own entries: the interactive defaults parsePolicy fills in (commands ask)
      // would undo the background default that lets sandboxed commands run.
      policy = Object.fromEntries(Object.keys(raw as object).map((tool) => [tool, parsed[tool]!]));
    } catch (error) {
      throw new UsageError(`--policy ${values.policy}: ${(error as Error).message}`);
    }
  }
  const jiraTransition = values["jira-transition"] ?? io.env["BORA_JIRA_TRANSITION"];
  const inputs = positionals.map((ref): IssueToPrInput => {
    let source: WorkItemSourceName;
    let key: string;
    try {
      source = detectSource(ref, integrationConfigFromEnv(io.env));
      key = canonicalWorkItemKey(source, ref);
    } catch (error) {
      if (error instanceof ConfigError || error instanceof UsageError) throw new UsageError(error.message);
      throw new UsageError((error as Error).message);
    }
    return {
      taskId: issueTaskId(source, key, repo),
      source,
      ref,
      repo,
      ...(origin !== undefined && { origin }),
      base,
      ...(check !== undefined && { check }),
      approve: values.approve === true,
      fixTurns: positiveInt("--fix-turns", values["fix-turns"], DEFAULT_FIX_TURNS),
      budgets: { maxTurns: positiveInt("--max-turns", values["max-turns"], 40) },
      allowUnsandboxed: values["allow-unsandboxed"] === true,
      engine: spec,
      ...(jiraTransition !== undefined && jiraTransition !== "" && { jiraTransition }),
      ...(policy !== undefined && { policy }),
    };
  });

  if (values.team === true) return runOnTeam(inputs, io, values.json === true);
  // DBOS loads only for the commands that run workflows, so every other `bora` command starts quickly.
  const { openCliWorkflows } = await import("../workflowCli.js");
  const { startIssueToPr } = await import("../../workflows/dbosWorkflows.js");
  const { followTask } = await import("../taskFollow.js");
  const workflows = await openCliWorkflows(io, "bora issue", { concurrency });
  try {
    for (const input of inputs) {
      const { attached } = await startIssueToPr(input);
      io.stderr.write(`bora issue: ${attached ? "attached to" : "queued"} task ${input.taskId} (${input.ref})\n`);
    }
    const statuses = await Promise.all(inputs.map((input) => followTask(input.taskId, io, prefixFor(inputs, input))));
    return await report(inputs, statuses, io, values.json === true);
  } finally {
    await workflows.close();
  }
}

function prefixFor(inputs: readonly IssueToPrInput[], input: IssueToPrInput): string {
  return inputs.length === 1 ? "bora issue" : `bora issue ${input.ref}`;
}

/**
 * `--team`: the tasks go on the shared database's queue through a DBOS client, and a `bora worker`
 * runs them; this process runs nothing (see `workflows/team.ts` for why a client, and how a worker
 * on another machine continues a task).
 */
async function runOnTeam(inputs: readonly IssueToPrInput[], io: CliIO, json: boolean): Promise<number> {
  const url = io.env["BORA_DATABASE_URL"]?.trim();
  if (!url) throw new UsageError("--team needs the team's database in BORA_DATABASE_URL");
  const { openTeamClient } = await import("../../workflows/team.js");
  const { followTask } = await import("../taskFollow.js");
  const { cliWorkflowLog } = await import("../workflowCli.js");
  const team = await openTeamClient(url, cliWorkflowLog(io, "bora issue"));
  try {
    for (const input of inputs) {
      const { attached } = await team.enqueue(input);
      io.stderr.write(
        `bora issue: ${attached ? "attached to" : "queued"} task ${input.taskId} on the team queue (${input.ref})\n`,
      );
    }
    const statuses = await Promise.all(
      inputs.map((input) => followTask(input.taskId, io, prefixFor(inputs, input), undefined, team.reader)),
    );
    return await report(inputs, statuses, io, json);
  } finally {
    await team.close();
  }
}

/** Prints each task's outcome (stdout: the PR URL, or one JSON object) and returns the exit code. */
async function report(
  inputs: readonly IssueToPrInput[],
  statuses: readonly (TaskStatusRecord | null)[],
  io: CliIO,
  json: boolean,
): Promise<number> {
  const { exitCodeFor, resultLine } = await import("../taskFollow.js");
  let code = 0;
  statuses.forEach((status, i) => {
    const input = inputs[i]!;
    const prefix = prefixFor(inputs, input);
    if (json) {
      io.stdout.write(
        `${JSON.stringify({ taskId: input.taskId, ref: input.ref, status: status?.state ?? "unknown", reason: status?.reason, pr: status?.pr ? { url: status.pr.url, number: status.pr.number } : null })}\n`,
      );
    } else {
      io.stdout.write(resultLine(status) || "\n");
    }
    if (status?.state === "waiting") io.stderr.write(`${prefix}: approve with: bora tasks approve ${input.taskId}\n`);
    if (status?.state === "failed")
      io.stderr.write(`${prefix}: after fixing the cause: bora tasks retry ${input.taskId}\n`);
    code = Math.max(code, exitCodeFor(status));
  });
  return code;
}

export const issueCommand: CliCommand = {
  name: "issue",
  summary: "Turn a GitHub issue, Jira ticket or Sentry error into a pull request (durable)",
  usage: USAGE,
  run,
};
