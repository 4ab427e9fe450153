/**
 * Checkpoints: before the first write of a run, the state of the run's root is committed to a hidden
 * ref (`refs/bora/checkpoints/<run>`) so the run can be rolled back, including files that commands
 * changed. The snapshot is built in a private index file, so the user's index, HEAD and branches are
 * never touched. Roots outside any git repository get a shadow repository in the state directory.
 *
 * What a checkpoint covers is what `git add -A` would: tracked and untracked files, minus the ones
 * `.gitignore` excludes (build output, `node_modules`), which are neither saved nor restored.
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { git, GitError, repoTopLevel } from "./git.js";
import type { Spawner } from "./spawner.js";

const IDENTITY = {
  GIT_AUTHOR_NAME: "Bora",
  GIT_AUTHOR_EMAIL: "bora@localhost",
  GIT_COMMITTER_NAME: "Bora",
  GIT_COMMITTER_EMAIL: "bora@localhost",
};

export interface CheckpointOptions {
  /** Starts every git the store runs, so that a shutdown of its owner ends them. */
  spawner: Spawner;
  /** The state folder (`resolveStateDir`): shadow repositories of roots outside git go under its `shadow/`. */
  stateDir: string;
}

export interface Checkpoint {
  ref: string;
  commit: string;
}

export interface ChangedFile {
  status: "added" | "modified" | "deleted";
  /** Relative to the root, POSIX separators. */
  path: string;
}

/** A run's checkpoints, bound to one root. */
export class CheckpointStore {
  private constructor(
    private readonly root: string,
    /** `--git-dir`/`--work-tree` for shadow repositories; empty for a real repository. */
    private readonly repoArgs: string[],
    private readonly indexSeed: string | undefined,
    private readonly spawner: Spawner,
  ) {}

  static async open(root: string, options: CheckpointOptions): Promise<CheckpointStore> {
    const { spawner } = options;
    const top = await repoTopLevel(root, { spawner });
    if (top !== undefined) {
      const indexPath = (
        await git(["rev-parse", "--path-format=absolute", "--git-path", "index"], { cwd: root, spawner })
      ).trim();
      return new CheckpointStore(root, [], indexPath, spawner);
    }
    const shadow = path.join(
      options.stateDir,
      "shadow",
      createHash("sha256").update(root).digest("hex").slice(0, 16) + ".git",
    );
    try {
      await stat(shadow);
    } catch {
      await mkdir(path.dirname(shadow), { recursive: true });
      await git(["init", "--bare", "--quiet", shadow], { cwd: root, spawner });
    }
    return new CheckpointStore(root, [`--git-dir=${shadow}`, `--work-tree=${root}`], undefined, spawner);
  }

  static refFor(runId: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new Error(`invalid run id '${runId}'`);
    return `refs/bora/checkpoints/${runId}`;
  }

  /** The checkpoint a run left, or undefined when it has none. */
  async find(runId: string): Promise<Checkpoint | undefined> {
    const ref = CheckpointStore.refFor(runId);
    try {
      const commit = (
        await git([...this.repoArgs, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
          cwd: this.root,
          spawner: this.spawner,
        })
      ).trim();
      return { ref, commit };
    } catch (error) {
      if (this.spawner.closed) throw error;
      return undefined;
    }
  }

  /** Snapshots the root now and points the run's ref at the snapshot. */
  async create(runId: string): Promise<Checkpoint> {
    const ref = CheckpointStore.refFor(runId);
    return this.withIndex(true, async (run) => {
      await run(["add", "-A", "--", "."]);
      const tree = (await run(["write-tree"])).trim();
      const parents: string[] = [];
      try {
        parents.push("-p", (await run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])).trim());
      } catch {
        // No commit yet (or a shadow repository): the checkpoint has no parent.
      }
      const commit = (await run(["commit-tree", tree, ...parents, "-m", `bora checkpoint ${runId}`])).trim();
      await run(["update-ref", ref, commit]);
      return { ref, commit };
    });
  }

  /** Files that differ between the checkpoint and the root now. */
  async changedSince(checkpoint: Checkpoint): Promise<ChangedFile[]> {
    return this.withIndex(false, async (run) => {
      await run(["read-tree", checkpoint.commit]);
      await run(["add", "-A", "--", "."]);
      const out = await run([
        "diff",
        "--cached",
        "--name-status",
        "--no-renames",
        "-z",
        "--relative",
        checkpoint.commit,
        "--",
        ".",
      ]);
      const fields = out.split("\0").filter((f) => f !== "");
      const changes: ChangedFile[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const code = fields[i]!;
        const status = code.startsWith("A") ? "added" : code.startsWith("D") ? "deleted" : "modified";
        changes.push({ status, path: fields[i + 1]! });
      }
      return changes;
    });
  }

  /**
   * Puts the root back as it was at the checkpoint: changed and deleted files are restored, files
   * created since are removed. Ignored files are left alone. `only` limits it to those paths
   * (relative, as `changedSince` gives them); the other changes stay.
   */
  async restore(checkpoint: Checkpoint, only?: readonly string[]): Promise<ChangedFile[]> {
    const all = await this.changedSince(checkpoint);
    const changes = only === undefined ? all : all.filter((c) => only.includes(c.path));
    for (const change of changes.filter((c) => c.status === "added")) {
      await rm(path.join(this.root, change.path), { force: true });
    }
    if (changes.some((c) => c.status !== "added")) {
      await this.withIndex(false, async (run) => {
        await run(["read-tree", checkpoint.commit]);
        const paths = changes.filter((c) => c.status !== "added").map((c) => c.path);
        await run(["checkout-index", "-f", "-z", "--stdin"], paths.join("\0"));
      });
    }
    return changes;
  }

  /** A file's text (UTF-8) at the checkpoint, or undefined when it did not exist there. */
  async textAt(checkpoint: Checkpoint, relativePath: string): Promise<string | undefined> {
    const spec = `${checkpoint.commit}:${relativePath}`;
    const run = (args: string[]): Promise<string> =>
      git([...this.repoArgs, ...args], { cwd: this.root, spawner: this.spawner });
    try {
      if ((await run(["cat-file", "-t", spec])).trim() !== "blob") return undefined;
    } catch (error) {
      if (error instanceof GitError) return undefined;
      throw error;
    }
    return run(["cat-file", "blob", spec]);
  }

  /** Runs `fn` with git bound to a private, temporary index (seeded from the real one for speed when asked). */
  private async withIndex<T>(
    seed: boolean,
    fn: (run: (args: string[], input?: string) => Promise<string>) => Promise<T>,
  ): Promise<T> {
    const index = path.join(os.tmpdir(), `bora-index-${randomBytes(6).toString("hex")}`);
    if (seed && this.indexSeed !== undefined) {
      // The real index carries stat data, so `add -A` only rehashes files that changed.
      await copyFile(this.indexSeed, index).catch(() => undefined);
    }
    const run = (args: string[], input?: string): Promise<string> =>
      git([...this.repoArgs, ...args], {
        cwd: this.root,
        spawner: this.spawner,
        env: { ...IDENTITY, GIT_INDEX_FILE: index },
        input,
      });
    try {
      return await fn(run);
    } catch (error) {
      if (error instanceof GitError) throw new Error(`checkpoint failed: ${error.message}`);
      throw error;
    } finally {
      await rm(index, { force: true });
    }
  }
}
