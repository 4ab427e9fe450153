/**
 * A task never overwrites a file the user is editing with unsaved changes: the write is refused to
 * the model (`unsaved_changes`) before anything is written, and the user's buffer and the file on
 * disk stay as they were. A document counts as unsaved when the text the editor holds (from
 * `didOpen`/`didChange`) differs from the file on disk; an open document whose text matches the
 * disk is written normally, and the editor reloads it.
 */
import { readFile, realpath } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ToolError, type WriteGuard, type WriteTarget } from "../agent/tools/types.js";

/** An open document as the host holds it. */
export interface OpenText {
  uri: string;
  getText(): string;
}

const BOM = "\uFEFF";

async function sameFile(uri: string, target: WriteTarget): Promise<boolean> {
  if (!uri.startsWith("file:")) return false;
  const file = fileURLToPath(uri);
  if (file === target.absolute) return true;
  // The editor may name the file through a symbolic link (e.g. a linked temp folder).
  return (await realpath(file).catch(() => file)) === target.absolute;
}

export function unsavedChangesGuard(openDocuments: () => readonly OpenText[]): WriteGuard {
  return async (target) => {
    for (const document of openDocuments()) {
      if (!(await sameFile(document.uri, target))) continue;
      const disk = await readFile(target.absolute, "utf8").catch(() => undefined);
      // Editors drop a byte-order mark from the text they hold; it is not an unsaved change.
      const onDisk = disk?.startsWith(BOM) ? disk.slice(1) : disk;
      if (onDisk === document.getText()) return;
      throw new ToolError(
        "unsaved_changes",
        `${target.relative} is open in the editor with unsaved changes; nothing was written. Ask the user to save or close it, or change another file.`,
      );
    }
  };
}
