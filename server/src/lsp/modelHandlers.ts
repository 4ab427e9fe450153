/**
 * LSP handlers for the model store: `bora/pullModel` turns a pull's progress into `$/progress`
 * reports and `$/cancelRequest` into an abort, then lets the engine start if it waited for the model.
 */
import { ModelStoreError, formatProgress, type ModelStore, type PullProgress } from "@bora/inference";
import { PullModel, type PullModelResult } from "@bora/protocol";
import { ResponseError, type Connection } from "vscode-languageserver/node";

import type { EngineManager } from "../engines/engineManager.js";
import { problemFor } from "../engines/problems.js";
import type { Logger } from "../host/logger.js";
import { onCheckedRequest } from "./params.js";

/** LSP error code for a request that failed for a reason the message explains (not a protocol error). */
const REQUEST_FAILED = -32803;

function percentage(progress: PullProgress): number | undefined {
  if (progress.totalBytes === undefined || progress.totalBytes <= 0) return undefined;
  return Math.min(100, Math.floor((100 * progress.receivedBytes) / progress.totalBytes));
}

export function registerModelHandlers(
  connection: Connection,
  engines: EngineManager,
  logger: Logger,
  store: ModelStore,
): void {
  onCheckedRequest(
    connection,
    PullModel,
    async (params, token): Promise<PullModelResult> => {
      const controller = new AbortController();
      // The client cancels with $/cancelRequest (its progress UI's cancel button sends that too).
      const cancel = token.onCancellationRequested(() => controller.abort());
      const workDone = connection.window.attachWorkDoneProgress(params.workDoneToken);
      workDone.begin(`Pulling ${params.uri}`, 0, "starting", true);
      try {
        const result = await store.pull(params.uri, {
          ...(params.sha256 !== undefined ? { sha256: params.sha256 } : {}),
          ...(params.name !== undefined ? { name: params.name } : {}),
          signal: controller.signal,
          onProgress: (progress) => workDone.report(percentage(progress) ?? 0, formatProgress(progress)),
        });
        const { model } = result;
        logger.info(
          result.alreadyPresent
            ? `model ${model.name} was already in the store`
            : `pulled model ${model.name} (${model.sizeBytes} bytes)`,
        );
        void engines.retry();
        return {
          name: model.name,
          path: model.path,
          sizeBytes: model.sizeBytes,
          sha256: model.sha256,
          alreadyPresent: result.alreadyPresent,
          resumedFromBytes: result.resumedFromBytes,
        };
      } catch (error) {
        const cancelled = controller.signal.aborted;
        const problem = problemFor(
          cancelled ? new ModelStoreError("aborted", `Pull of ${params.uri} cancelled`) : error,
          "editor",
        );
        logger.warn(`pulling ${params.uri} failed: ${problem.message}`);
        // The client shows `data` (a Problem) with its fix button; the message is for clients that only read that.
        throw new ResponseError(REQUEST_FAILED, problem.message, problem);
      } finally {
        cancel.dispose();
        workDone.done();
      }
    },
    logger,
  );
}
