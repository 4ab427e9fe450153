/**
 * A task moving between a developer's host and the team's workers, both ways; what `bora tasks
 * handoff|checkout` and the editor's **Hand Off to Team** / **Check Out Locally** (`bora/handOffTask`,
 * `bora/checkOutTask`) share.
 *
 * - Hand off: a task of this host goes to the team's database. The local record is cancelled, the
 *   worktree is committed and pushed to the work branch, and the task is queued for the team with
 *   what it recorded (`handoff.ts`); a worker rebuilds the worktree from the branch and continues
 *   from the last recorded step. If anything fails before the enqueue, the local task is resumed.
 * - Check out: a team task's work branch comes into a worktree of the developer's repository; a team
 *   task still running is stopped first, so that two hands never write the branch.
 *
 * Both work through `WorkflowClient`s: nothing here runs a workflow. The caller makes sure no
 * process of this host runs the task meanwhile (the CLI holds the workflow lock; the editor's host
 * waits for the task's run in its own process to end, `afterCancel`).
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { git, GitError } from "../workspace/git.js";
import { pushBranch, redactToken, tokenConfig } from "../workspace/gitPush.js";
import type { Spawner } from "../workspace/spawner.js";
import { isFinalState } from "./durable.js";
import type { RecordedOperation } from "./handoff.js";
import { worktreeDir } from "./issueToPr.js";
import type { ClientTask, WorkflowClient } from "./team.js";
import { commitAll, originUrl, repositoryRoot, type TaskWorktree } from "./worktrees.js";

/** A move the user asked for that cannot be done as asked; the message says why and what to do. */
export class TaskMoveRefusal extends Error {
  override readonly name = "TaskMoveRefusal";
}

/** Whether the engine may still run the task (it has not ended for good). */
export function unfinished(engineStatus: string): boolean {
  return engineStatus === "PENDING" || engineStatus === "ENQUEUED";
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

export interface HandOffOptions {
  taskId: string;
  /** The host's own database (where the task is). */
  local: WorkflowClient;
  /** The team's database. */
  team: WorkflowClient;
  spawner: Spawner;
  /** The GitHub token git pushes with, if the remote needs one. */
  token?: string;
  /** How a task's state reads in a refusal ("[approval] waiting", "done"). */
  describe(task: ClientTask): string;
  /** Runs once the local record is cancelled, before anything is read: waits for a run in progress to stop. */
  afterCancel?(): Promise<void>;
  /** Progress for the user (the push). */
  say?(line: string): void;
}

export interface HandOffResult {
  /** The recorded operations the task carries to the team. */
  operations: number;
  /** The work branch pushed, when the task had a worktree. */
  pushed?: { branch: string; dir: string };
}

export async function handOffTask(options: HandOffOptions): Promise<HandOffResult> {
  const { taskId, local, team, spawner, token } = options;
  const task = await local.task(taskId);
  if (task === undefined) throw new TaskMoveRefusal(`no task ${taskId} on this host`);
  if (!unfinished(task.engineStatus))
    throw new TaskMoveRefusal(
      `${taskId} has ended (${options.describe(task)}): only an unfinished task can be handed off`,
    );
  if ((await team.task(taskId)) !== undefined)
    throw new TaskMoveRefusal(`the team's database already holds a task ${taskId}`);
  const origin = task.input.origin ?? (await originUrl(task.input.repo, spawner));

  await local.cancel(taskId);
  try {
    await options.afterCancel?.();
    const operations = await local.operations(taskId);
    const worktree = recordedWorktree(operations);
    let pushed: HandOffResult["pushed"];
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
      pushed = { branch: worktree.branch, dir: worktree.dir };
      options.say?.(`pushed ${worktree.branch} from ${worktree.dir}`);
    }
    await team.enqueue({ ...task.input, origin, handoff: { from: task.executorId ?? "unknown", operations } });
    return { operations: operations.length, ...(pushed && { pushed }) };
  } catch (error) {
    // Nothing reached the team: the task goes on here.
    await local.resume(taskId).catch(() => undefined);
    throw error;
  }
}

export interface CheckOutOptions {
  taskId: string;
  team: WorkflowClient;
  /** A folder of the developer's repository (any folder inside it); defaults to the task's own repository path. */
  repoDir?: string;
  /** This host's state folder: the worktree goes under it, where the host's own tasks' worktrees are. */
  stateDir: string;
  spawner: Spawner;
  token?: string;
  describe(task: ClientTask): string;
  say?(line: string): void;
}

export interface CheckOutResult {
  /** The worktree with the work branch checked out. */
  dir: string;
  branch: string;
  /** The task's state when it was stopped on the team, when it was still running. */
  stopped?: string;
  /** A worktree there already, with changes of its own: the team's branch was not merged into it. */
  diverged?: boolean;
}

export async function checkOutTeamTask(options: CheckOutOptions): Promise<CheckOutResult> {
  const { taskId, team, spawner, token } = options;
  const task = await team.task(taskId);
  if (task === undefined) throw new TaskMoveRefusal(`the team's database holds no task ${taskId}`);
  const branch = task.status?.branch;
  if (branch === undefined)
    throw new TaskMoveRefusal(
      `${taskId} has no work branch yet (${options.describe(task)}); try again once it has one`,
    );
  const repo = await repositoryRoot(options.repoDir ?? task.input.repo, spawner);
  const origin = await originUrl(repo, spawner);
  if (task.input.origin !== undefined && origin !== task.input.origin)
    throw new TaskMoveRefusal(
      `${repo} pushes to ${origin}, the task's work is on ${task.input.origin}: use a checkout of that repository`,
    );
  let stopped: string | undefined;
  if (unfinished(task.engineStatus) && !(task.status && isFinalState(task.status.state))) {
    await team.cancel(taskId);
    stopped = options.describe(task);
    options.say?.(`stopped ${taskId} on the team (it was ${stopped}); its branch is yours now`);
  }

  const run = (args: string[], cwd = repo): Promise<string> =>
    git(args, { cwd, spawner, env: tokenConfig(token) }).catch((error: Error) => {
      throw new Error(
        redactToken(error instanceof GitError ? `${error.message}: ${error.stderr.trim()}` : error.message, token),
      );
    });
  const remoteRef = `refs/remotes/origin/${branch}`;
  await run(["fetch", "--quiet", "origin", `+refs/heads/${branch}:${remoteRef}`]);
  const dir = worktreeDir(options.stateDir, taskId);

  const checkedOutAt = await worktreeOf(branch, run);
  if (checkedOutAt !== undefined) {
    // Checked out already (an earlier checkout): brought up to the team's branch when it only moved on.
    const merged = await run(["merge", "--ff-only", "--quiet", remoteRef], checkedOutAt).then(
      () => true,
      () => false,
    );
    return { dir: checkedOutAt, branch, ...(stopped !== undefined && { stopped }), ...(!merged && { diverged: true }) };
  }
  const localHead = await run(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).then(
    (out) => out.trim(),
    () => undefined,
  );
  if (localHead === undefined) {
    await run(["worktree", "add", "--quiet", "--track", "-b", branch, dir, remoteRef]);
  } else {
    const behind = await run(["merge-base", "--is-ancestor", localHead, remoteRef]).then(
      () => true,
      () => false,
    );
    if (!behind)
      throw new TaskMoveRefusal(
        `your branch ${branch} has commits the team's lacks: merge ${remoteRef} into it yourself`,
      );
    await run(["branch", "--quiet", "--force", "--track", branch, remoteRef]);
    await run(["worktree", "add", "--quiet", dir, branch]);
  }
  options.say?.(`${branch} is checked out in ${dir}`);
  return { dir, branch, ...(stopped !== undefined && { stopped }) };
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
