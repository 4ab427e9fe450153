/**
 * `bora tasks handoff ID` and `bora tasks checkout ID`: a task moves between a developer's host and
 * the team's workers, both ways.
 *
 * - handoff: a task of this host (its own database in the state folder) goes to the team's database
 *   (`BORA_DATABASE_URL`). The worktree is pushed to the work branch, the local record is cancelled,
 *   and the task is queued for the team with what it recorded (`workflows/handoff.ts`); a worker
 *   rebuilds the worktree from the branch and continues from the last recorded step.
 * - checkout: a team task's work branch comes into a worktree here, for the developer to carry on in
 *   the editor; a team task still running is stopped first, so that two hands never write the branch.
 *
 * Neither launches DBOS in this process: both read and write the databases through clients, so
 * nothing of this host is resumed meanwhile. The moves themselves are `workflows/moveTask.ts`'s,
 * shared with the editor's host.
 */
import path from "node:path";
import { integrationConfigFromEnv } from "../../integrations/config.js";
import type { ClientTask } from "../../workflows/team.js";
import { Spawner } from "../../workspace/spawner.js";
import { resolveStateDir } from "../../workspace/stateDir.js";
import { UsageError, type CliIO } from "../command.js";
import { formatStatus } from "../taskStatusText.js";
import { cliWorkflowLog } from "../workflowCli.js";

const PREFIX = "bora tasks";

function teamUrl(io: CliIO, sub: string): string {
  const url = io.env["BORA_DATABASE_URL"]?.trim();
  if (!url) throw new UsageError(`bora tasks ${sub} needs the team's database in BORA_DATABASE_URL`);
  return url;
}

function describe(task: ClientTask): string {
  return task.status ? formatStatus(task.status) : task.engineStatus.toLowerCase();
}

/** A refusal of the move is the user's to act on: a usage error (exit 2), worded as the move said. */
async function refusalsAsUsage<T>(work: () => Promise<T>): Promise<T> {
  const { TaskMoveRefusal } = await import("../../workflows/moveTask.js");
  try {
    return await work();
  } catch (error) {
    if (error instanceof TaskMoveRefusal) throw new UsageError(error.message);
    throw error;
  }
}

export async function handoffTask(taskId: string, io: CliIO): Promise<number> {
  const url = teamUrl(io, "handoff");
  const { openWorkflowDatabase } = await import("../../workflows/database.js");
  const { takeWorkflowLock } = await import("../../workflows/workflowHost.js");
  const { openTeamClient, openWorkflowClient } = await import("../../workflows/team.js");
  const { handOffTask } = await import("../../workflows/moveTask.js");
  const stateDir = resolveStateDir(io.env, io.cwd);
  const log = cliWorkflowLog(io, PREFIX);
  const spawner = new Spawner();
  const token = integrationConfigFromEnv(io.env).github?.token;
  // No process of this host may run the task while it is sent away.
  const unlock = await takeWorkflowLock(stateDir);
  const closers: (() => Promise<void>)[] = [];
  try {
    // The source is this host's own database, never the team's (where its tasks would be already).
    const database = await openWorkflowDatabase({ stateDir, spawner, log });
    closers.unshift(() => database.close());
    const local = await openWorkflowClient(database.url, log);
    closers.unshift(() => local.close());
    if ((await local.task(taskId)) === undefined)
      throw new UsageError(`no task ${taskId} in this host's database (${stateDir}): bora tasks list shows them`);
    const team = await openTeamClient(url, log);
    closers.unshift(() => team.close());
    const result = await refusalsAsUsage(() =>
      handOffTask({
        taskId,
        local,
        team,
        spawner,
        ...(token !== undefined && { token }),
        describe,
        say: (line) => io.stderr.write(`${PREFIX}: ${line}\n`),
      }),
    );
    io.stderr.write(
      `${PREFIX}: handed ${taskId} off to the team with its ${result.operations} recorded steps; a worker continues from the last one. ` +
        `Follow it with BORA_DATABASE_URL=… bora tasks show ${taskId}\n`,
    );
    return 0;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await unlock();
    await spawner.close();
  }
}

export async function checkoutTask(taskId: string, io: CliIO, repoOption: string | undefined): Promise<number> {
  const url = teamUrl(io, "checkout");
  const { openTeamClient } = await import("../../workflows/team.js");
  const { checkOutTeamTask } = await import("../../workflows/moveTask.js");
  const stateDir = resolveStateDir(io.env, io.cwd);
  const spawner = new Spawner();
  const token = integrationConfigFromEnv(io.env).github?.token;
  const team = await openTeamClient(url, cliWorkflowLog(io, PREFIX));
  try {
    const result = await refusalsAsUsage(() =>
      checkOutTeamTask({
        taskId,
        team,
        ...(repoOption !== undefined && { repoDir: path.resolve(io.cwd, repoOption) }),
        stateDir,
        spawner,
        ...(token !== undefined && { token }),
        describe,
        say: (line) => io.stderr.write(`${PREFIX}: ${line}\n`),
      }),
    );
    if (result.diverged)
      io.stderr.write(
        `${PREFIX}: warning: ${result.dir} has changes of its own; merge refs/remotes/origin/${result.branch} there yourself\n`,
      );
    else io.stderr.write(`${PREFIX}: open ${result.dir} in the editor and carry on\n`);
    io.stdout.write(`${result.dir}\n`);
    return 0;
  } finally {
    await team.close();
    await spawner.close();
  }
}
