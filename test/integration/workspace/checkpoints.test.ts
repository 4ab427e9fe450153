import assert from "node:assert/strict";
import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { CheckpointStore } from "../../../server/src/workspace/checkpoints.js";
import { createCommandRunner } from "../../../server/src/workspace/sandbox.js";
import { Spawner } from "../../../server/src/workspace/spawner.js";
import { fixtureRepo, gitIn, tempDir } from "../agent/helpers.js";

describe("checkpoints", function () {
  this.timeout(30000);
  const spawner = new Spawner();
  // Repositories inside git never use the state folder; one that is used gets its own temp dir below.
  const unusedStateDir = "/nonexistent/bora-state";
  after(() => spawner.close());

  it("snapshots tracked and untracked files without touching the user's index, HEAD or branches", async () => {
    const repo = await fixtureRepo();
    try {
      await writeFile(path.join(repo.dir, "staged.txt"), "staged\n");
      gitIn(repo.dir, "add", "staged.txt");
      await writeFile(path.join(repo.dir, "untracked.txt"), "untracked\n");
      await writeFile(path.join(repo.dir, "debug.log"), "ignored\n");
      const statusBefore = gitIn(repo.dir, "status", "--porcelain");
      const headBefore = gitIn(repo.dir, "rev-parse", "HEAD");
      const indexBefore = await readFile(path.join(repo.dir, ".git/index"));

      const store = await CheckpointStore.open(repo.dir, { spawner, stateDir: unusedStateDir });
      const checkpoint = await store.create("run-1");
      assert.equal(checkpoint.ref, "refs/bora/checkpoints/run-1");
      assert.equal(gitIn(repo.dir, "rev-parse", checkpoint.ref).trim(), checkpoint.commit);
      const files = gitIn(repo.dir, "ls-tree", "-r", "--name-only", checkpoint.commit).split("\n");
      assert.ok(files.includes("staged.txt") && files.includes("untracked.txt") && files.includes("src/cart.js"));
      assert.ok(!files.includes("debug.log"), "ignored files are not in the checkpoint");

      assert.equal(gitIn(repo.dir, "status", "--porcelain"), statusBefore);
      assert.equal(gitIn(repo.dir, "rev-parse", "HEAD"), headBefore);
      assert.deepEqual(await readFile(path.join(repo.dir, ".git/index")), indexBefore);
      assert.equal(gitIn(repo.dir, "branch", "--list").trim(), "* main");
      assert.equal(gitIn(repo.dir, "stash", "list"), "");
    } finally {
      await repo.dispose();
    }
  });

  it("rolls back edits, deletions, new files and changes made by sandboxed commands", async () => {
    const repo = await fixtureRepo();
    try {
      await writeFile(path.join(repo.dir, "notes.txt"), "untracked before the run\n");
      await chmod(path.join(repo.dir, "notes.txt"), 0o755);
      const store = await CheckpointStore.open(repo.dir, { spawner, stateDir: unusedStateDir });
      const checkpoint = await store.create("run-2");
      const original = await readFile(path.join(repo.dir, "src/cart.js"), "utf8");

      await writeFile(path.join(repo.dir, "src/cart.js"), "broken\n");
      await rm(path.join(repo.dir, "README.md"));
      await mkdir(path.join(repo.dir, "generated"), { recursive: true });
      await writeFile(path.join(repo.dir, "generated/out.js"), "new\n");
      const runner = await createCommandRunner({ root: repo.dir, spawner });
      const result = await runner.run({
        command: "echo changed >> notes.txt && rm test/cart.test.js && echo x > made-by-command.txt",
        timeoutMs: 10000,
      });
      assert.equal(result.exitCode, 0, result.output);

      const changes = await store.changedSince(checkpoint);
      assert.deepEqual(changes.map((c) => `${c.status} ${c.path}`).sort(), [
        "added generated/out.js",
        "added made-by-command.txt",
        "deleted README.md",
        "deleted test/cart.test.js",
        "modified notes.txt",
        "modified src/cart.js",
      ]);

      await store.restore(checkpoint);
      assert.equal(await readFile(path.join(repo.dir, "src/cart.js"), "utf8"), original);
      assert.equal(await readFile(path.join(repo.dir, "notes.txt"), "utf8"), "untracked before the run\n");
      assert.equal((await stat(path.join(repo.dir, "notes.txt"))).mode & 0o777, 0o755);
      assert.ok((await readFile(path.join(repo.dir, "README.md"), "utf8")).startsWith("# agent-fixture"));
      assert.ok((await readFile(path.join(repo.dir, "test/cart.test.js"), "utf8")).includes("cartTotal"));
      await assert.rejects(stat(path.join(repo.dir, "generated/out.js")));
      await assert.rejects(stat(path.join(repo.dir, "made-by-command.txt")));
      assert.deepEqual(await store.changedSince(checkpoint), []);
      assert.equal(gitIn(repo.dir, "status", "--porcelain"), "?? notes.txt\n");
    } finally {
      await repo.dispose();
    }
  });

  it("works in a sub-folder of a repository, leaving the rest of it alone", async () => {
    const repo = await fixtureRepo();
    try {
      const root = path.join(repo.dir, "src");
      const store = await CheckpointStore.open(root, { spawner, stateDir: unusedStateDir });
      const checkpoint = await store.create("run-sub");
      await writeFile(path.join(root, "cart.js"), "changed\n");
      await writeFile(path.join(repo.dir, "outside-root.txt"), "not ours\n");
      assert.deepEqual(await store.changedSince(checkpoint), [{ status: "modified", path: "cart.js" }]);
      await store.restore(checkpoint);
      assert.match(await readFile(path.join(root, "cart.js"), "utf8"), /cartTotal/);
      assert.equal(await readFile(path.join(repo.dir, "outside-root.txt"), "utf8"), "not ours\n");
    } finally {
      await repo.dispose();
    }
  });

  it("uses a shadow repository for a folder that is not in git", async () => {
    const folder = await tempDir("bora-plain-");
    const state = await tempDir("bora-state-");
    try {
      await writeFile(path.join(folder.dir, "a.txt"), "one\n");
      const store = await CheckpointStore.open(folder.dir, { spawner, stateDir: state.dir });
      const checkpoint = await store.create("run-plain");
      await writeFile(path.join(folder.dir, "a.txt"), "two\n");
      await writeFile(path.join(folder.dir, "b.txt"), "new\n");
      await store.restore(checkpoint);
      assert.equal(await readFile(path.join(folder.dir, "a.txt"), "utf8"), "one\n");
      await assert.rejects(stat(path.join(folder.dir, "b.txt")));
      await assert.rejects(stat(path.join(folder.dir, ".git")), "no .git is created in the user's folder");
      assert.deepEqual(await store.find("run-plain"), checkpoint);
      assert.equal(await store.find("never-ran"), undefined);
    } finally {
      await folder.dispose();
      await state.dispose();
    }
  });

  it("refuses run ids that are not safe ref names", () => {
    assert.throws(() => CheckpointStore.refFor("../../heads/main"), /invalid run id/);
  });
});
