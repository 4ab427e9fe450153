/**
 * LSP handler of `bora/inlineEdit`: the document text comes from the host's `TextDocuments` (what
 * `didOpen`/`didChange` said), `$/cancelRequest` becomes the abort that reaches the engine, the
 * cleaned replacement streams as `$/progress` `{ delta }` on the `partialResultToken`, and refusals
 * get the error codes `PROTOCOL.md` gives them.
 */
import type { Engine } from "@bora/inference";
import { InlineEdit, type InlineEditPartial, type InlineEditResult, type Problem } from "@bora/protocol";
import type { TextDocument } from "vscode-languageserver-textdocument";
import {
  ErrorCodes,
  LSPErrorCodes,
  ProgressType,
  ResponseError,
  type Connection,
  type TextDocuments,
} from "vscode-languageserver/node";
import { loadRules } from "../agent/rules.js";
import { EditRefusal, runInlineEdit, type RefusalReason } from "../edits/inlineEditService.js";
import type { EngineManager } from "../engines/engineManager.js";
import { problemFor } from "../engines/problems.js";
import type { AgentHost } from "../host/agentHost.js";
import { onCheckedRequest } from "./params.js";
import { workspaceRootFor } from "./workspaceRoots.js";

const partialResult = new ProgressType<InlineEditPartial>();

const ERROR_CODE: Record<RefusalReason, number> = {
  staleVersion: LSPErrorCodes.ContentModified,
  unknownDocument: ErrorCodes.InvalidParams,
  rangeOutside: ErrorCodes.InvalidParams,
  editTooLarge: LSPErrorCodes.RequestFailed,
  noEngine: LSPErrorCodes.RequestFailed,
  cancelled: LSPErrorCodes.RequestCancelled,
};

export function registerEditHandlers(
  connection: Connection,
  host: AgentHost,
  engines: EngineManager,
  documents: TextDocuments<TextDocument>,
  /** The client's workspace folders (URIs), as `initialize` and its change notifications said. */
  workspaceFolders: () => readonly string[],
): void {
  const { logger } = host;

  const workspaceRoot = (uri: string): Promise<string | undefined> =>
    Promise.resolve(workspaceRootFor(uri, workspaceFolders()));

  const engine = async (): Promise<Engine> => {
    const found = await engines.forRole("edit");
    if (found !== undefined) return found;
    // The engine manager has already worded why there is none (nothing configured, a missing model…).
    const problem: Problem = host.status().engine.problem ?? {
      code: "engineNotReady",
      message: "The model is still loading; try the edit again in a moment.",
    };
    throw new EditRefusal("noEngine", problem);
  };

  onCheckedRequest(
    connection,
    InlineEdit,
    async (params, token): Promise<InlineEditResult> => {
      const controller = new AbortController();
      const cancel = token.onCancellationRequested(() => controller.abort());
      const workDone =
        params.workDoneToken !== undefined ? connection.window.attachWorkDoneProgress(params.workDoneToken) : undefined;
      workDone?.begin("Bora: editing", undefined, "starting", true);
      const partialToken = params.partialResultToken;
      try {
        return await runInlineEdit(
          params,
          { document: (uri) => documents.get(uri), engine, workspaceRoot, loadRules },
          {
            signal: controller.signal,
            onDelta: (delta) => {
              if (partialToken !== undefined) void connection.sendProgress(partialResult, partialToken, { delta });
            },
            onTokens: (generated) => workDone?.report(`${generated} tokens`),
          },
        );
      } catch (error) {
        if (token.isCancellationRequested)
          throw new ResponseError(LSPErrorCodes.RequestCancelled, "The edit was cancelled.");
        if (error instanceof EditRefusal) {
          throw new ResponseError(ERROR_CODE[error.reason], error.problem.message, error.problem);
        }
        const problem = problemFor(error, "editor");
        logger.warn(`inline edit failed: ${problem.message}`);
        throw new ResponseError(LSPErrorCodes.RequestFailed, problem.message, problem);
      } finally {
        cancel.dispose();
        workDone?.done();
      }
    },
    logger,
  );
}
