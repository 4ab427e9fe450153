/**
 * `bora run --background "instruction"`: the instruction as a durable background task (the same
 * steps as `bora issue`, without a tracker) in a worktree and branch of its own. Prints the branch,
 * or the PR URL with --pr, on stdout.
 */
import { randomBytes } from "node:crypto";
import { realpath } from "node:fs/promises";
import path from "node:path";
import { LOCAL_PROFILES } from "../../engines/engineSpec.js";
import { defaultCheckCommand } from "../../workflows/checks.js";
import type { BackgroundTaskInput } from "../../workflows/issueToPr.js";
import { slugify } from "../../workflows/taskIds.js";
import { currentBranch, repositoryRoot } from "../../workflows/worktrees.js";
import { Spawner } from "../../workspace/spawner.js";
import { UsageError, type CliIO } from "../command.js";
import { engineSpecFromFlags, type EngineFlagValues } from "../engineFlags.js";

/** Extra turns while the checks fail, as `bora issue` gives. */
const FIX_TURNS = 5;

export interface BackgroundFlags extends EngineFlagValues {
  pr?: boolean;
  check?: string;
  base?: string;
  approve?: boolean;
  "max-turns"?: string;
  "allow-unsandboxed"?: boolean;
  json?: boolean;
}

export async function runInBackground(
  instruction: string,
  folder: string,
  values: BackgroundFlags,
  io: CliIO,
): Promise<number> {
  let spec = engineSpecFromFlags(values, { local: LOCAL_PROFILES.headlessRun });
  if (spec.kind === "script") spec = { ...spec, file: path.resolve(io.cwd, spec.file), turnFrom: "conversation" };
  if (spec.kind === "remote") spec = { ...spec, apiKey: undefined };
  const probe = new Spawner();
  let repo: string;
  let base: string;
  try {
    repo = await realpath(await repositoryRoot(folder, probe));
    base = values.base ?? (await currentBranch(repo, probe));
  } catch (error) {
    throw new UsageError((error as Error).message);
  } finally {
    await probe.close();
  }
  const maxTurns = values["max-turns"] === undefined ? 40 : Number(values["max-turns"]);
  if (!Number.isInteger(maxTurns) || maxTurns <= 0) throw new UsageError(`--max-turns needs a positive whole number`);
  const check = values.check ?? (await defaultCheckCommand(repo));
  const input: BackgroundTaskInput = {
    kind: "background",
    // New each time: an instruction names no item a second run could attach to.
    taskId: `task-${slugify(instruction, 24) || "change"}-${randomBytes(4).toString("hex")}`,
    instruction,
    openPr: values.pr === true,
    repo,
    base,
    ...(check !== undefined && { check }),
    approve: values.approve === true,
    fixTurns: FIX_TURNS,
    budgets: { maxTurns },
    allowUnsandboxed: values["allow-unsandboxed"] === true,
    engine: spec,
  };
  const { openCliWorkflows } = await import("../workflowCli.js");
  const { startBackgroundTask } = await import("../../workflows/dbosWorkflows.js");
  const { exitCodeFor, followTask, resultLine } = await import("../taskFollow.js");
  const workflows = await openCliWorkflows(io, "bora run");
  try {
    await startBackgroundTask(input);
    io.stderr.write(`bora run: queued task ${input.taskId}\n`);
    const status = await followTask(input.taskId, io, "bora run");
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify({ taskId: input.taskId, status: status?.state ?? "unknown", reason: status?.reason, branch: status?.branch, worktree: status?.worktree, pr: status?.pr ?? null })}\n`,
      );
    } else {
      io.stdout.write(status?.pr ? resultLine(status) : status?.branch ? `${status.branch}\n` : "");
    }
    if (status?.state === "waiting") io.stderr.write(`bora run: approve with: bora tasks approve ${input.taskId}\n`);
    if (status?.state === "failed")
      io.stderr.write(`bora run: after fixing the cause: bora tasks retry ${input.taskId}\n`);
    // A branch ready for review is this command's success.
    return status?.state === "needsReview" ? 0 : exitCodeFor(status);
  } finally {
    await workflows.close();
  }
}
