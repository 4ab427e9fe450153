import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  diskFileExists,
  mapFramesToWorkspace,
  workspacePathOf,
} from "../../../../server/src/integrations/stackFrames.js";

const FILES = new Set(["src/save.ts", "src/util/format.ts", "index.js"]);
const exists = (rel: string): boolean => FILES.has(rel);
const ROOT = "/home/ana/app";

describe("stack-frame paths → workspace paths", () => {
  it("maps an absolute path under the workspace root", () => {
    assert.equal(workspacePathOf("/home/ana/app/src/save.ts", ROOT, exists), "src/save.ts");
  });

  it("maps a deployed path by its longest suffix that exists in the workspace", () => {
    assert.equal(workspacePathOf("/srv/deploy/releases/42/src/util/format.ts", ROOT, exists), "src/util/format.ts");
  });

  it("understands URL-like and Windows file names", () => {
    assert.equal(workspacePathOf("app:///src/save.ts", ROOT, exists), "src/save.ts");
    assert.equal(workspacePathOf("webpack://my-app/./src/util/format.ts?abc", ROOT, exists), "src/util/format.ts");
    assert.equal(workspacePathOf("file:///opt/app/index.js", ROOT, exists), "index.js");
    assert.equal(workspacePathOf("C:\\build\\src\\save.ts", ROOT, exists), "src/save.ts");
  });

  it("leaves files that do not exist unmapped", () => {
    assert.equal(workspacePathOf("/srv/app/src/deleted.ts", ROOT, exists), undefined);
    assert.equal(workspacePathOf("/home/ana/app/src/deleted.ts", ROOT, exists), undefined);
  });

  it("never maps dependencies or paths that climb out", () => {
    assert.equal(workspacePathOf("/srv/app/node_modules/lib/index.js", ROOT, exists), undefined);
    assert.equal(workspacePathOf("../../src/save.ts", ROOT, exists), undefined);
    assert.equal(workspacePathOf("", ROOT, exists), undefined);
  });

  it("sets workspacePath on the frames that map and removes a stale one", () => {
    const frames = mapFramesToWorkspace(
      [
        { file: "/srv/app/src/save.ts", line: 3, context: [], inApp: true },
        { file: "/srv/app/src/gone.ts", workspacePath: "src/gone.ts", context: [], inApp: true },
      ],
      ROOT,
      exists,
    );
    assert.equal(frames[0]?.workspacePath, "src/save.ts");
    assert.ok(!("workspacePath" in (frames[1] ?? {})));
  });

  it("checks the disk with diskFileExists (files only, not folders)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bora-frames-"));
    try {
      mkdirSync(path.join(dir, "src"));
      writeFileSync(path.join(dir, "src/a.ts"), "");
      const onDisk = diskFileExists(dir);
      assert.equal(workspacePathOf("/x/src/a.ts", dir, onDisk), "src/a.ts");
      assert.equal(workspacePathOf("/x/src", dir, onDisk), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
