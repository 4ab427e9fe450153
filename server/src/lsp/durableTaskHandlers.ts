/**
 * LSP handlers of the durable-task methods: `bora/startIssueToPr`, `bora/listTasks` (durable and
 * foreground tasks in one list, the team's too), `bora/retryTask`, `bora/approve`,
 * `bora/handOffTask`, `bora/checkOutTask`, and the durable side of `bora/cancelTask`. The work is `DurableTasks`'; here params become calls and refusals become
 * `InvalidParams` or `RequestFailed` with a `Problem`.
 */
import {
  Approve,
  CheckOutTask,
  HandOffTask,
  ListTasks,
  RetryTask,
  StartIssueToPr,
  type ListedTask,
  type Problem,
} from "@bora/protocol";
import { LSPErrorCodes, ResponseError, type Connection } from "vscode-languageserver/node";
import type { EngineManager } from "../engines/engineManager.js";
import type { EngineSpec } from "../engines/engineSpec.js";
import type { AgentHost } from "../host/agentHost.js";
import { listedForegroundTask } from "../tasks/durableTaskView.js";
import { folderPathOf, type DurableTasks } from "../tasks/durableTasks.js";
import { TaskRequestError, type TaskManager } from "../tasks/taskManager.js";
import { invalidParams, onCheckedRequest } from "./params.js";

/** A refusal the user can act on becomes `InvalidParams`; anything else stays a failure. */
function asInvalid(error: unknown): never {
  if (error instanceof TaskRequestError) throw invalidParams(error.message);
  throw error;
}

/** Runs `work`, turning a `TaskRequestError` into `InvalidParams`. */
async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    return asInvalid(error);
  }
}

/** The path of the workspace folder `uri` (a folder of the client's), else of the first; refused when there is none. */
function folderOf(uri: string | undefined, folders: readonly string[]): string {
  if (uri !== undefined && !folders.includes(uri)) throw invalidParams(`${uri} is not a workspace folder`);
  const folder = folderPathOf(uri, folders);
  if (folder === undefined) throw invalidParams("no workspace folder is open; open the repository's folder first");
  return folder;
}

/** The model a durable task records: the chat role's, as the settings run it now. */
function recordedEngineSpec(host: AgentHost, engines: EngineManager): EngineSpec {
  const spec = engines.chatSpec();
  if (spec !== undefined) return spec;
  const problem: Problem = host.status().engine.problem ?? {
    code: "engineNotReady",
    message: "No model is configured yet; set one up, then start the task again.",
  };
  throw new ResponseError(LSPErrorCodes.RequestFailed, problem.message, problem);
}

/** `bora/startTask` of kind `background`: a durable task on a worktree of `root`'s repository. */
export function startBackgroundTask(
  durable: DurableTasks,
  host: AgentHost,
  engines: EngineManager,
): (instruction: string, openPr: boolean, root: string) => Promise<string> {
  return (instruction, openPr, root) =>
    refusing(() => durable.startBackground(instruction, openPr, root, recordedEngineSpec(host, engines)));
}

export function registerDurableTaskHandlers(
  connection: Connection,
  host: AgentHost,
  engines: EngineManager,
  tasks: TaskManager,
  durable: DurableTasks,
  /** The client's workspace folders (URIs). */
  workspaceFolders: () => readonly string[],
): void {
  const { logger } = host;
  const engineSpec = (): EngineSpec => recordedEngineSpec(host, engines);

  onCheckedRequest(
    connection,
    StartIssueToPr,
    async (params) => {
      const folder = folderOf(params.folder, workspaceFolders());
      const spec = engineSpec();
      return refusing(() => durable.start(params, folder, spec));
    },
    logger,
  );

  onCheckedRequest(
    connection,
    ListTasks,
    async () => {
      const now = Date.now();
      const foreground = tasks.snapshots().map((update) => listedForegroundTask(update, now));
      const { tasks: recorded, problem } = await durable.list();
      const all: ListedTask[] = [...foreground, ...recorded].sort((a, b) => b.createdAt - a.createdAt);
      return { tasks: all, ...(problem && { problem }) };
    },
    logger,
  );

  onCheckedRequest(
    connection,
    RetryTask,
    async ({ taskId }) => {
      await refusing(() => durable.retry(taskId));
      logger.info(`durable task ${taskId}: retry sent`);
      return {};
    },
    logger,
  );

  onCheckedRequest(
    connection,
    Approve,
    async ({ taskId, approved, note }) => {
      await refusing(() => durable.approve(taskId, approved, note));
      logger.info(`durable task ${taskId}: ${approved ? "approved" : "denied"}`);
      return {};
    },
    logger,
  );

  onCheckedRequest(connection, HandOffTask, ({ taskId }) => refusing(() => durable.handOff(taskId)), logger);

  onCheckedRequest(
    connection,
    CheckOutTask,
    async (params) => {
      const folder = folderOf(params.folder, workspaceFolders());
      return refusing(() => durable.checkOut(params.taskId, folder));
    },
    logger,
  );
}

/** The durable side of `bora/cancelTask`, for `registerTaskHandlers`. */
export function cancelDurableTask(durable: DurableTasks): (taskId: string) => Promise<void> {
  return (taskId) => refusing(() => durable.cancel(taskId));
}
