/**
 * An `InlineEditHost` that answers a text already known instead of asking the model: the chat's
 * **Apply** feeds a code block through the same pending-edit flow (green/red lines, per-hunk
 * accept and reject, one undo) as an edit the model streams. Pure (no `vscode` import).
 */
import type { InlineEditResult } from "@bora/protocol";
import type { InlineEditHost } from "./host.js";

export function givenTextHost(text: string): InlineEditHost {
  return {
    inlineEdit(params, onDelta, token) {
      // One piece, as a model would stream it, so the view draws it like any other proposal.
      if (!token.isCancellationRequested) onDelta(text);
      const result: InlineEditResult = {
        edit: {
          documentChanges: [{ textDocument: params.textDocument, edits: [{ range: params.range, newText: text }] }],
        },
        finishReason: "stop",
        stats: { promptTokens: 0, generatedTokens: 0, predictedTokensAccepted: 0, ms: 0 },
      };
      return Promise.resolve(result);
    },
  };
}
