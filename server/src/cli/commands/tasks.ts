/**
 * `bora tasks list|show|resume|cancel|retry|approve|handoff|checkout`: the durable tasks of this host (and, on a
 * shared database, of the team). Opening the workflow database resumes this host's unfinished
 * tasks, so resume, retry and approve follow their task to its end and print its PR URL.
 */
import { parseArgs } from "node:util";
import { isFinalState } from "../../workflows/durable.js";
import type { TaskSummary } from "../../workflows/dbosWorkflows.js";
import type { TaskStatusRecord } from "../../workflows/durable.js";
import { UsageError, type CliCommand, type CliIO } from "../command.js";
import { formatStatus } from "../taskStatusText.js";

const USAGE = `bora tasks list [--json]
bora tasks show ID [--json]
bora tasks resume [ID]
bora tasks abandon ID
bora tasks cancel ID
bora tasks retry ID
bora tasks approve ID [--deny] [--note TEXT]
bora tasks handoff ID
bora tasks checkout ID [--repo DIR]

The durable tasks (bora issue) recorded in the workflow database. resume continues a task a crash or
a closed terminal interrupted (no ID: every unfinished task of this host) and prints each PR URL as it
finishes; retry runs a failed task's failed step again; approve answers a task waiting for approval
(--deny refuses, keeping its worktree and branch); cancel stops a task at its next step, keeping its
worktree and branch. approve also answers a task waiting for input: a tool call its --policy says
"ask" about (--deny declines that call; the agent is told so).

handoff sends an unfinished task of this host to the team's workers (BORA_DATABASE_URL): its worktree
is pushed to the work branch, and a worker rebuilds it from there and continues from the last recorded
step. checkout brings a team task's work branch into a worktree here and prints its path, so you carry
on in the editor; a team task still running is stopped first.

A task an older version of Bora left unfinished is listed as "stale": an upgrade does not resume it by
itself, since its steps were recorded by other code. bora tasks resume ID runs it on under this
version (its finished steps are kept, the interrupted one runs again); bora tasks abandon ID gives it
up (cancelled, its record kept).`;

/** Unfinished, and recorded by another version of Bora: launch does not resume it. */
function isStale(t: TaskSummary, version: string): boolean {
  return (
    (t.engineStatus === "PENDING" || t.engineStatus === "ENQUEUED") &&
    t.applicationVersion !== undefined &&
    t.applicationVersion !== version
  );
}

function line(t: TaskSummary, version: string): string {
  const when = new Date(t.createdAt).toISOString().replace("T", " ").slice(0, 16);
  const stale = isStale(t, version)
    ? ` [stale: left by Bora ${t.applicationVersion}; bora tasks resume ${t.taskId} or abandon it]`
    : "";
  // A task cancelled between steps (bora tasks cancel, a handoff) never published that it ended.
  const cancelled = t.engineStatus === "CANCELLED" && !(t.status && isFinalState(t.status.state));
  const state =
    (cancelled
      ? `cancelled${t.status ? ` (was ${formatStatus(t.status)})` : ""}`
      : t.status
        ? formatStatus(t.status)
        : t.engineStatus.toLowerCase()) + stale;
  const pr = t.status?.pr ? ` ${t.status.pr.url}` : "";
  return `${t.taskId}  ${when}  ${state}${pr}`;
}

async function follow(ids: readonly string[], io: CliIO, answered?: TaskStatusRecord): Promise<number> {
  const { exitCodeFor, followTask, resultLine } = await import("../taskFollow.js");
  let code = 0;
  for (const id of ids) {
    const status = await followTask(id, io, `bora tasks ${id}`, answered);
    io.stdout.write(resultLine(status));
    code = Math.max(code, exitCodeFor(status));
  }
  return code;
}

async function run(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  const subs = ["list", "show", "resume", "abandon", "cancel", "retry", "approve", "handoff", "checkout"];
  if (sub === undefined || !subs.includes(sub)) throw new UsageError(`say one of: ${subs.join(", ")}`);
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      deny: { type: "boolean" },
      note: { type: "string" },
      repo: { type: "string" },
    },
  });
  const id = positionals[0];
  if (sub !== "list" && sub !== "resume" && id === undefined) throw new UsageError(`bora tasks ${sub} needs a task id`);
  if (sub === "handoff" || sub === "checkout") {
    // Both work through database clients: this host's workflows are not launched (nor resumed) meanwhile.
    const { checkoutTask, handoffTask } = await import("./taskHandoff.js");
    return sub === "handoff" ? handoffTask(id!, io) : checkoutTask(id!, io, values.repo);
  }
  // DBOS loads only for the commands that run workflows, so every other `bora` command starts quickly.
  const { openCliWorkflows } = await import("../workflowCli.js");
  const { approveTask, cancelTask, listTasks, retryTask, showTask } = await import("../../workflows/dbosWorkflows.js");
  const { abandonStale, resumeStale } = await import("../../workflows/dbosRuntime.js");
  const workflows = await openCliWorkflows(io, "bora tasks");
  const version = workflows.host.applicationVersion;
  try {
    if (sub === "list") {
      const tasks = await listTasks();
      if (values.json) io.stdout.write(`${JSON.stringify(tasks.map(({ input: _input, ...t }) => t))}\n`);
      else io.stdout.write(tasks.length === 0 ? "no tasks\n" : `${tasks.map((t) => line(t, version)).join("\n")}\n`);
      return 0;
    }
    const task = id === undefined ? undefined : await showTask(id);
    if (id !== undefined && task === undefined) throw new UsageError(`no task ${id}: bora tasks list shows them`);
    switch (sub) {
      case "show": {
        if (values.json) {
          const { input: _input, ...shown } = task!;
          io.stdout.write(`${JSON.stringify(shown)}\n`);
        } else io.stdout.write(`${line(task!, version)}\n`);
        return 0;
      }
      case "abandon":
        if (!isStale(task!, version))
          throw new UsageError(`${id} is not a stale task; to stop it, bora tasks cancel ${id}`);
        await abandonStale([id!]);
        io.stderr.write(`bora tasks: abandoned ${id}; its worktree, branch and record are kept\n`);
        return 0;
      case "cancel":
        await cancelTask(id!);
        io.stderr.write(`bora tasks: cancelled ${id}; its worktree and branch are kept\n`);
        return 0;
      case "retry":
        if (task!.status?.state !== "failed")
          throw new UsageError(`${id} has not failed (${task!.status?.state ?? task!.engineStatus})`);
        await retryTask(id!);
        return await follow([id!], io, task!.status!);
      case "approve":
        if (task!.status?.state !== "waiting")
          throw new UsageError(
            `${id} is not waiting for approval or input (${task!.status?.state ?? task!.engineStatus})`,
          );
        await approveTask(id!, values.deny !== true, values.note);
        return await follow([id!], io, task!.status!);
      case "resume": {
        if (id !== undefined) {
          if (isStale(task!, version)) {
            await resumeStale([id]);
            io.stderr.write(`bora tasks: ${id} (left by Bora ${task!.applicationVersion}) now runs under ${version}\n`);
          }
          return await follow([id], io);
        }
        const open = (await listTasks(200)).filter(
          (t) =>
            t.executorId === workflows.host.executorId &&
            (t.engineStatus === "PENDING" || t.engineStatus === "ENQUEUED") &&
            !(t.status && isFinalState(t.status.state)),
        );
        if (open.length === 0) {
          io.stderr.write("bora tasks: nothing to resume\n");
          return 0;
        }
        return await follow(
          open.map((t) => t.taskId),
          io,
        );
      }
    }
    return 2;
  } finally {
    await workflows.close();
  }
}

export const tasksCommand: CliCommand = {
  name: "tasks",
  summary: "List, resume, retry, approve, cancel, hand off or check out durable tasks",
  usage: USAGE,
  run,
};
