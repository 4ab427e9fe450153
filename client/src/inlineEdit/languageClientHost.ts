/** The real `InlineEditHost`: `bora/inlineEdit` over the language client, the stream as `$/progress`. */
import { randomUUID } from "node:crypto";
import { InlineEdit, type InlineEditPartial } from "@bora/protocol";
import { ProgressType, type CancellationToken } from "vscode-languageclient/node";
import type { HostClient } from "../hostClient.js";
import type { InlineEditHost } from "./host.js";

const PARTIAL = new ProgressType<InlineEditPartial>();

export function languageClientHost(client: HostClient): InlineEditHost {
  return {
    async inlineEdit(params, onDelta, token) {
      // A fresh token per request, so a late piece of an earlier request cannot land in this one.
      const partialResultToken = randomUUID();
      const listener = client.onProgress(PARTIAL, partialResultToken, (value) => {
        if (typeof value?.delta === "string") onDelta(value.delta);
      });
      try {
        return await client.sendRequest(InlineEdit.type, { ...params, partialResultToken }, token as CancellationToken);
      } finally {
        listener.dispose();
      }
    },
  };
}
