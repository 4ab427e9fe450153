import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { confine, PathError, realRoot } from "../../../../server/src/workspace/confinement.js";

describe("path confinement", () => {
  let base: string;
  let root: string;
  before(async () => {
    base = await realRoot(await mkdtemp(path.join(os.tmpdir(), "bora-confine-")));
    root = path.join(base, "root");
    await mkdir(path.join(root, "src"), { recursive: true });
    await mkdir(path.join(base, "outside"));
    await writeFile(path.join(base, "outside", "secret.txt"), "s");
    await writeFile(path.join(root, "src", "a.ts"), "a");
    await symlink(path.join(base, "outside"), path.join(root, "link-out"));
    await symlink(path.join(root, "src"), path.join(root, "link-in"));
    await symlink(path.join(base, "missing"), path.join(root, "dangling"));
  });
  after(() => rm(base, { recursive: true, force: true }));

  const refused = async (input: string, pattern: RegExp): Promise<void> => {
    await assert.rejects(
      confine(root, input),
      (error: unknown) => error instanceof PathError && error.code === "outside_root" && pattern.test(error.message),
    );
  };

  it("resolves relative paths, absolute paths inside, and new files", async () => {
    assert.deepEqual(await confine(root, "src/a.ts"), { absolute: path.join(root, "src/a.ts"), relative: "src/a.ts" });
    assert.equal((await confine(root, path.join(root, "src/a.ts"))).relative, "src/a.ts");
    assert.equal((await confine(root, "src/../src/new/dir/b.ts")).relative, "src/new/dir/b.ts");
    assert.equal((await confine(root, ".")).relative, ".");
  });

  it("follows symlinks that stay inside", async () => {
    assert.equal((await confine(root, "link-in/a.ts")).relative, "src/a.ts");
  });

  it("refuses traversal, absolute paths outside and symlinks out, with a readable reason", async () => {
    await refused("../outside/secret.txt", /outside the workspace root/);
    await refused("src/../../outside", /outside the workspace root/);
    await refused("/etc/passwd", /outside the workspace root/);
    await refused("link-out/secret.txt", /symbolic link to a place outside/);
    await refused("link-out/new-file.txt", /symbolic link to a place outside/);
    await refused("dangling", /broken symbolic link/);
  });

  it("refuses empty paths and NUL bytes", async () => {
    await assert.rejects(confine(root, ""), /empty/);
    await assert.rejects(confine(root, "a\0b"), /NUL/);
  });
});
