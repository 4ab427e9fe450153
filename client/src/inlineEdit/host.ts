/**
 * The host as the inline edit sees it: one call that streams the replacement and answers the
 * result. Pure (no `vscode` import), so the retry rule is tested with a fake host;
 * `languageClientHost.ts` is the real one.
 */
import type { InlineEditParams, InlineEditResult } from "@bora/protocol";

/** A cancellation token (VS Code's and vscode-jsonrpc's both fit). */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
}

export type EditRequest = Omit<InlineEditParams, "partialResultToken" | "workDoneToken">;

export interface InlineEditHost {
  /** Sends `bora/inlineEdit`, calling `onDelta` for each streamed piece, in order. */
  inlineEdit(params: EditRequest, onDelta: (delta: string) => void, token: CancelToken): Promise<InlineEditResult>;
}

/** LSP's `ContentModified`: the host holds another version of the document than the request names. */
export const CONTENT_MODIFIED = -32801;

export function isContentModified(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === CONTENT_MODIFIED;
}

/**
 * Sends the request; when the host answers that the version is stale (the user typed just as it was
 * sent), asks once more with `retry()`'s params (the current version), or gives up when `retry()`
 * says the range changed.
 */
export async function requestEdit(
  host: InlineEditHost,
  params: EditRequest,
  retry: () => EditRequest | undefined,
  onDelta: (delta: string) => void,
  token: CancelToken,
): Promise<InlineEditResult> {
  try {
    return await host.inlineEdit(params, onDelta, token);
  } catch (error) {
    if (!isContentModified(error) || token.isCancellationRequested) throw error;
    const again = retry();
    if (again === undefined) throw error;
    return host.inlineEdit(again, onDelta, token);
  }
}

/** The replacement text in the answer's edit for `uri`, if the answer has one. */
export function replacementOf(result: InlineEditResult, uri: string): string | undefined {
  for (const change of result.edit.documentChanges ?? []) {
    if (!("textDocument" in change) || change.textDocument.uri !== uri) continue;
    const edit = change.edits[0];
    if (edit !== undefined && "newText" in edit) return edit.newText;
  }
  const edits = result.edit.changes?.[uri];
  return edits?.[0]?.newText;
}
