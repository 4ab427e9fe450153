/**
 * LSP handlers of the task methods: `bora/startTask` resolves the scope (the document's text as the
 * editor holds it, the workspace folder it belongs to, the files it names) and hands the task to
 * the `TaskManager`; updates go out as `bora/taskUpdated`, and the manager's approvals and
 * questions become `bora/requestApproval` and `bora/askUser` requests to a client that said it can
 * answer them (`initializationOptions.questions: true`).
 */
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Engine } from "@bora/inference";
import {
  APPROVAL_DECISIONS,
  AskUser,
  CancelTask,
  RequestApproval,
  StartTask,
  TaskFileBase,
  TaskUpdated,
  UndoTaskChanges,
  type ApprovalDecision,
  type Problem,
  type StartTaskParams,
} from "@bora/protocol";
import type { TextDocument } from "vscode-languageserver-textdocument";
import {
  CancellationTokenSource,
  LSPErrorCodes,
  ResponseError,
  type Connection,
  type TextDocuments,
} from "vscode-languageserver/node";
import type { EngineManager } from "../engines/engineManager.js";
import type { AgentHost } from "../host/agentHost.js";
import { TaskRequestError, type TaskClient, type TaskManager } from "../tasks/taskManager.js";
import type { TaskContext } from "../tasks/taskPrompt.js";
import { invalidParams, onCheckedRequest } from "./params.js";
import { folderPaths, isInside, workspaceRootFor } from "./workspaceRoots.js";

/** Runs `work` with a cancellation token that follows `signal`. */
async function withSignal<T>(signal: AbortSignal, work: (source: CancellationTokenSource) => Promise<T>): Promise<T> {
  const source = new CancellationTokenSource();
  const cancel = (): void => source.cancel();
  signal.addEventListener("abort", cancel, { once: true });
  try {
    return await work(source);
  } finally {
    signal.removeEventListener("abort", cancel);
    source.dispose();
  }
}

/** The task client over an LSP connection. */
export function connectionTaskClient(connection: Connection, canAsk: () => boolean): TaskClient {
  return {
    update: (params) => void connection.sendNotification(TaskUpdated.type, params),
    canAsk,
    requestApproval: (params, signal) =>
      withSignal(signal, async (source) => {
        try {
          const answer: unknown = await connection.sendRequest(RequestApproval.type, params, source.token);
          const decision = (answer as { decision?: unknown } | null)?.decision;
          // Anything but a known decision is a refusal: an approval must be given, not guessed.
          return (APPROVAL_DECISIONS as readonly unknown[]).includes(decision)
            ? (decision as ApprovalDecision)
            : undefined;
        } catch {
          return undefined;
        }
      }),
    askUser: (params, signal) =>
      withSignal(signal, async (source) => {
        try {
          const answer: unknown = await connection.sendRequest(AskUser.type, params, source.token);
          const text = (answer as { answer?: unknown } | null)?.answer;
          return typeof text === "string" ? text : undefined;
        } catch {
          return undefined;
        }
      }),
  };
}

export function registerTaskHandlers(
  connection: Connection,
  host: AgentHost,
  engines: EngineManager,
  documents: TextDocuments<TextDocument>,
  tasks: TaskManager,
  /** The client's workspace folders (URIs). */
  workspaceFolders: () => readonly string[],
  /** Cancels a task the manager does not know (a durable task); by default such an id is unknown. */
  cancelOther?: (taskId: string) => Promise<void>,
  /** Starts a `background` task (durable, in a worktree of `root`'s repository); by default the kind is refused. */
  startBackground?: (instruction: string, openPr: boolean, root: string) => Promise<string>,
): void {
  const { logger } = host;

  const engine = async (): Promise<Engine> => {
    const found = await engines.forRole("chat");
    if (found !== undefined) return found;
    const problem: Problem = host.status().engine.problem ?? {
      code: "engineNotReady",
      message: "The model is still loading; start the task again in a moment.",
    };
    throw new ResponseError(LSPErrorCodes.RequestFailed, problem.message, problem);
  };

  /** The task's root and what it is about, from the scope; refusals name what is wrong. */
  const resolveScope = async (params: StartTaskParams): Promise<{ root: string; context: TaskContext }> => {
    const scope = params.scope ?? {};
    const uri = scope.textDocument?.uri;
    const folders = workspaceFolders();
    const rootPath = uri !== undefined ? workspaceRootFor(uri, folders) : folderPaths(folders)[0];
    if (rootPath === undefined) {
      throw invalidParams(
        uri !== undefined
          ? `${uri} is not in a workspace folder; open its folder to run a task on it`
          : "no workspace folder is open; open a folder to run a task",
      );
    }
    const root = await realpath(rootPath).catch(() => {
      throw invalidParams(`the workspace folder ${rootPath} does not exist`);
    });
    const relative = async (fileUri: string): Promise<string> => {
      if (!fileUri.startsWith("file:")) throw invalidParams(`${fileUri} is not a file`);
      const file = fileURLToPath(fileUri);
      const real = await realpath(file).catch(() => file);
      if (!isInside(root, real)) throw invalidParams(`${fileUri} is outside the workspace folder ${root}`);
      return path.relative(root, real).split(path.sep).join("/");
    };
    const context: TaskContext = { files: await Promise.all((scope.files ?? []).map(relative)) };
    if (uri !== undefined) {
      context.file = await relative(uri);
      const document = documents.get(uri);
      const text =
        document?.getText() ??
        (await readFile(fileURLToPath(uri), "utf8").catch(() => {
          throw invalidParams(`${uri} is neither open in the editor nor readable on disk`);
        }));
      if (document !== undefined) context.language = document.languageId;
      if (scope.range !== undefined) {
        const { start, end } = scope.range;
        const lines = text.split("\n");
        if (start.line >= lines.length || end.line > lines.length) throw invalidParams(`the range is outside ${uri}`);
        const at = (line: number, character: number): number =>
          lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + Math.min(character, (lines[line] ?? "").length);
        const selected = text.slice(at(start.line, start.character), at(end.line, end.character));
        // A selection that ends at the start of a line ends on the line before, as people count.
        const endLine = end.character === 0 && end.line > start.line ? end.line : end.line + 1;
        if (selected.trim() !== "") context.selection = { text: selected, startLine: start.line + 1, endLine };
      }
    }
    return { root, context };
  };

  const asInvalid = (error: unknown): never => {
    if (error instanceof TaskRequestError) throw invalidParams(error.message);
    throw error;
  };

  onCheckedRequest(
    connection,
    StartTask,
    async (params) => {
      const instruction = params.instruction ?? "";
      if (params.kind === "free" && instruction.trim() === "")
        throw invalidParams("a free task needs an instruction: say what to do");
      if (params.kind === "background") {
        if (instruction.trim() === "") throw invalidParams("a background task needs an instruction: say what to do");
        if (startBackground === undefined) throw invalidParams("this host runs no background tasks");
        const { root } = await resolveScope(params);
        const taskId = await startBackground(instruction, params.openPr === true, root).catch(asInvalid);
        logger.info(`task ${taskId} queued (background) for ${root}`);
        return { taskId };
      }
      const { root, context } = await resolveScope(params);
      const taskId = tasks.start({ kind: params.kind, instruction, root, context, engine: await engine() });
      logger.info(`task ${taskId} started (${params.kind}) in ${root}`);
      return { taskId };
    },
    logger,
  );

  onCheckedRequest(
    connection,
    CancelTask,
    async ({ taskId }) => {
      if (!tasks.has(taskId) && cancelOther !== undefined) await cancelOther(taskId);
      else await tasks.cancel(taskId).catch(asInvalid);
      return null;
    },
    logger,
  );

  onCheckedRequest(
    connection,
    TaskFileBase,
    async ({ taskId, path: file }) => ({ text: await tasks.fileBase(taskId, file).catch(asInvalid) }),
    logger,
  );

  onCheckedRequest(
    connection,
    UndoTaskChanges,
    async ({ taskId, paths }) => {
      const result = await tasks.undo(taskId, paths).catch(asInvalid);
      logger.info(`task ${taskId}: restored ${result.restored.map((c) => c.path).join(", ") || "nothing"}`);
      return result;
    },
    logger,
  );
}
