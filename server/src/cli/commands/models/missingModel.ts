/** How the CLI words a model reference that is not on this machine, by the kind of reference it is. */
import type { ModelLocation } from "@bora/inference";

/** Quotes for a POSIX shell only when needed, so the suggested command can be pasted as it is. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Only a URL or `hf:` reference is worth "pull it"; a name or a path that is not here is a mistake to fix. */
export function describeMissingModel(location: Extract<ModelLocation, { found: false }>, storeDir: string): string {
  switch (location.kind) {
    case "url":
    case "huggingFace":
      return `the model ${location.reference} is not on this machine; pull it first with 'bora models pull ${shellWord(location.reference)}'`;
    case "storeName":
      return (
        `the model '${location.name}' is not on this machine: the model store (${storeDir}) has no model of that name ` +
        `and there is no file ${location.path}. 'bora models list' shows the store; ` +
        `'bora models pull <hf:owner/repo/file.gguf | https://...>' adds a model`
      );
    case "file":
      return `the model file ${location.path} is not on this machine; check the path`;
  }
}
