/**
 * The standard LSP `textDocument/inlineCompletion` (3.18): ghost text in VS Code (its language
 * client registers the feature by itself once the host offers `inlineCompletionProvider`) and in
 * any client that supports the method. A standard method, so it is registered through the
 * library's own API, not the params gate of the `bora/*` methods; the library reads its params.
 */
import { DEFAULT_SETTINGS } from "@bora/protocol";
import type { TextDocument } from "vscode-languageserver-textdocument";
import {
  InlineCompletionTriggerKind,
  type Connection,
  type InlineCompletionItem,
  type TextDocuments,
} from "vscode-languageserver/node";
import { CompletionService } from "../completions/completionService.js";
import type { EngineManager } from "../engines/engineManager.js";
import type { Logger } from "../host/logger.js";

export function registerCompletionHandlers(
  connection: Connection,
  documents: TextDocuments<TextDocument>,
  engines: EngineManager,
  logger: Logger,
): void {
  const completions = new CompletionService(
    engines,
    // The settings reach the host once, through the engine manager (see `EngineManager.settings`).
    () => engines.settings?.completions ?? DEFAULT_SETTINGS.completions,
    logger,
  );
  documents.onDidClose(({ document }) => completions.forget(document.uri));

  connection.languages.inlineCompletion.on(async (params, token): Promise<InlineCompletionItem[]> => {
    const document = documents.get(params.textDocument.uri);
    if (document === undefined) return [];
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    try {
      const completion = await completions.complete(
        {
          uri: document.uri,
          text: document.getText(),
          offset: document.offsetAt(params.position),
          trigger: params.context.triggerKind === InlineCompletionTriggerKind.Invoked ? "invoked" : "automatic",
        },
        controller.signal,
      );
      if (completion === undefined) return [];
      return [{ insertText: completion.text, range: { start: params.position, end: params.position } }];
    } finally {
      cancel.dispose();
    }
  });
}
