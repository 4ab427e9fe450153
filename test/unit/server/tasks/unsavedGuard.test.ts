import assert from "node:assert/strict";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ToolError } from "../../../../server/src/agent/tools/types.js";
import { unsavedChangesGuard, type OpenText } from "../../../../server/src/tasks/unsavedGuard.js";

describe("the unsaved-changes write guard", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), "bora-guard-")));
    file = path.join(dir, "a.ts");
    writeFileSync(file, "\uFEFFconst a = 1;\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const target = (): { absolute: string; relative: string } => ({ absolute: file, relative: "a.ts" });
  const open = (text: string): OpenText[] => [{ uri: pathToFileURL(file).href, getText: () => text }];

  it("refuses a file whose editor text differs from the disk, with a message for the model", async () => {
    const guard = unsavedChangesGuard(() => open("const a = 2;\n"));
    await assert.rejects(
      guard(target()),
      (error: unknown) =>
        error instanceof ToolError &&
        error.code === "unsaved_changes" &&
        /a\.ts is open in the editor/.test(error.message),
    );
  });

  it("lets a write through when the open text matches the disk (a byte-order mark aside) or the file is not open", async () => {
    await unsavedChangesGuard(() => open("const a = 1;\n"))(target());
    await unsavedChangesGuard(() => [])(target());
    await unsavedChangesGuard(() => [{ uri: "untitled:Untitled-1", getText: () => "x" }])(target());
  });

  it("knows a file the editor opened through a symbolic link", async () => {
    const { symlinkSync } = await import("node:fs");
    const link = path.join(dir, "link");
    symlinkSync(dir, link);
    const guard = unsavedChangesGuard(() => [
      { uri: pathToFileURL(path.join(link, "a.ts")).href, getText: () => "changed" },
    ]);
    await assert.rejects(guard(target()), ToolError);
  });
});
