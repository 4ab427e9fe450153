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
 * nothing of this host is resumed meanwhile.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { integrationConfigFromEnv } from "../../integrations/config.js";
import { isFinalState } from "../../workflows/durable.js";
import type { RecordedOperation } from "../../workflows/handoff.js";
import { worktreeDir } from "../../workflows/issueToPr.js";
import type { TaskWorktree } from "../../workflows/worktrees.js";
import { git, GitError } from "../../workspace/git.js";
import { pushBranch, redactToken, tokenConfig } from "../../workspace/gitPush.js";
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

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The worktree the task's recorded `worktree` step made, when it got that far. */
function recordedWorktree(operations: readonly RecordedOperation[]): TaskWorktree | undefined {
  const op = operations.find((o) => o.kind === "step" && o.name === "worktree");
  return op?.output as TaskWorktree | undefined;
}

function unfinished(engineStatus: string): boolean {
  return engineStatus === "PENDING" || engineStatus === "ENQUEUED";
}

export async function handoffTask(taskId: string, io: CliIO): Promise<number> {
  const url = teamUrl(io, "handoff");
  const { openWorkflowDatabase } = await import("../../workflows/database.js");
  const { takeWorkflowLock } = await import("../../workflows/workflowHost.js");
  const { openTeamClient, openWorkflowClient } = await import("../../workflows/team.js");
  const { commitAll, originUrl } = await import("../../workflows/worktrees.js");
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
    const task = await local.task(taskId);
    if (task === undefined)
      throw new UsageError(`no task ${taskId} in this host's database (${stateDir}): bora tasks list shows them`);
    if (!unfinished(task.engineStatus))
      throw new UsageError(
        `${taskId} has ended (${task.status ? formatStatus(task.status) : task.engineStatus.toLowerCase()}): only an unfinished task can be handed off`,
      );
    const team = await openTeamClient(url, log);
    closers.unshift(() => team.close());
    if ((await team.task(taskId)) !== undefined)
      throw new UsageError(
        `the team's database already holds a task ${taskId}: BORA_DATABASE_URL=… bora tasks show ${taskId}`,
      );
    const origin = task.input.origin ?? (await originUrl(task.input.repo, spawner));

    await local.cancel(taskId);
    try {
      const operations = await local.operations(taskId);
      const worktree = recordedWorktree(operations);
      if (worktree !== undefined && (await exists(path.join(worktree.dir, ".git")))) {
        // Everything in the worktree goes, edits the developer made there since included.
        const what = task.input.kind === "background" ? "background task" : task.input.ref;
        await commitAll(
          worktree.dir,
          `${what}: work in progress, handed off to the team\n\nBora-Task: ${taskId}\n`,
          worktree.baseCommit,
          spawner,
        );
        await pushBranch({ dir: worktree.dir, remote: "origin", branch: worktree.branch, token, spawner });
        io.stderr.write(`${PREFIX}: pushed ${worktree.branch} from ${worktree.dir}\n`);
      }
      await team.enqueue({ ...task.input, origin, handoff: { from: task.executorId ?? "unknown", operations } });
      io.stderr.write(
        `${PREFIX}: handed ${taskId} off to the team with its ${operations.length} recorded steps; a worker continues from the last one. ` +
          `Follow it with BORA_DATABASE_URL=… bora tasks show ${taskId}\n`,
      );
      return 0;
    } catch (error) {
      // Nothing reached the team: the task goes on here, at the next start of this host.
      await local.resume(taskId).catch(() => undefined);
      throw error;
    }
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await unlock();
    await spawner.close();
  }
}

export async function checkoutTask(taskId: string, io: CliIO, repoOption: string | undefined): Promise<number> {
  const url = teamUrl(io, "checkout");
  const { openTeamClient } = await import("../../workflows/team.js");
  const { originUrl, repositoryRoot } = await import("../../workflows/worktrees.js");
  const stateDir = resolveStateDir(io.env, io.cwd);
  const spawner = new Spawner();
  const token = integrationConfigFromEnv(io.env).github?.token;
  const team = await openTeamClient(url, cliWorkflowLog(io, PREFIX));
  try {
    const task = await team.task(taskId);
    if (task === undefined) throw new UsageError(`the team's database holds no task ${taskId}`);
    const branch = task.status?.branch;
    if (branch === undefined)
      throw new UsageError(
        `${taskId} has no work branch yet (${task.status ? formatStatus(task.status) : task.engineStatus.toLowerCase()}); try again once it has one`,
      );
    if (unfinished(task.engineStatus) && !(task.status && isFinalState(task.status.state))) {
      await team.cancel(taskId);
      io.stderr.write(
        `${PREFIX}: stopped ${taskId} on the team (it was ${formatStatus(task.status!)}); its branch is yours now\n`,
      );
    }

    const repo = await repositoryRoot(path.resolve(io.cwd, repoOption ?? task.input.repo), spawner);
    const origin = await originUrl(repo, spawner);
    if (task.input.origin !== undefined && origin !== task.input.origin)
      throw new UsageError(`${repo} pushes to ${origin}, the task's work is on ${task.input.origin}: pass --repo DIR`);
    const run = (args: string[], cwd = repo): Promise<string> =>
      git(args, { cwd, spawner, env: tokenConfig(token) }).catch((error: Error) => {
        throw new Error(
          redactToken(error instanceof GitError ? `${error.message}: ${error.stderr.trim()}` : error.message, token),
        );
      });
    const remoteRef = `refs/remotes/origin/${branch}`;
    await run(["fetch", "--quiet", "origin", `+refs/heads/${branch}:${remoteRef}`]);
    const dir = worktreeDir(stateDir, taskId);

    const checkedOutAt = await worktreeOf(branch, run);
    if (checkedOutAt !== undefined) {
      // Checked out already (an earlier checkout): brought up to the team's branch when it only moved on.
      await run(["merge", "--ff-only", "--quiet", remoteRef], checkedOutAt).catch(() =>
        io.stderr.write(
          `${PREFIX}: warning: ${checkedOutAt} has changes of its own; merge ${remoteRef} there yourself\n`,
        ),
      );
      io.stdout.write(`${checkedOutAt}\n`);
      return 0;
    }
    const local = await run(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).then(
      (out) => out.trim(),
      () => undefined,
    );
    if (local === undefined) {
      await run(["worktree", "add", "--quiet", "--track", "-b", branch, dir, remoteRef]);
    } else {
      const behind = await run(["merge-base", "--is-ancestor", local, remoteRef]).then(
        () => true,
        () => false,
      );
      if (!behind)
        throw new UsageError(`your branch ${branch} has commits the team's lacks: merge ${remoteRef} into it yourself`);
      await run(["branch", "--quiet", "--force", "--track", branch, remoteRef]);
      await run(["worktree", "add", "--quiet", dir, branch]);
    }
    io.stderr.write(`${PREFIX}: ${branch} is checked out in ${dir}; open it in the editor and carry on\n`);
    io.stdout.write(`${dir}\n`);
    return 0;
  } finally {
    await team.close();
    await spawner.close();
  }
}

/** The worktree (of the repository `run` works in) that has `branch` checked out, if one has. */
async function worktreeOf(branch: string, run: (args: string[]) => Promise<string>): Promise<string | undefined> {
  const listing = await run(["worktree", "list", "--porcelain"]);
  let current: string | undefined;
  for (const line of listing.split("\n")) {
    if (line.startsWith("worktree ")) current = line.slice("worktree ".length);
    if (line === `branch refs/heads/${branch}` && current !== undefined) return current;
  }
  return undefined;
}
