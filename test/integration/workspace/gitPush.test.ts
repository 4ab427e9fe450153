import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PushError, pushBranch } from "../../../server/src/workspace/gitPush.js";
import { Spawner, type RunOptions, type RunResult } from "../../../server/src/workspace/spawner.js";
import { GitRemoteFake } from "../../fakes/gitRemote.js";

const TOKEN = "ghs_FAKEpushTOKEN00000000000000000000000";
const WRONG = "ghs_FAKEwrongTOKEN0000000000000000000000";
const REPO = "octo/app.git";

/** A spawner that records every argv it starts, to show that the token never travels in one. */
class RecordingSpawner extends Spawner {
  readonly argvs: string[][] = [];
  override run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    this.argvs.push([command, ...args]);
    return super.run(command, args, options);
  }
}

function sh(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" },
  });
}

function commit(dir: string, file: string, text: string): string {
  writeFileSync(path.join(dir, file), text);
  sh(dir, "add", file);
  sh(dir, "-c", "user.name=Bora", "-c", "user.email=bora@example.invalid", "commit", "-q", "-m", `edit ${file}`);
  return sh(dir, "rev-parse", "HEAD").trim();
}

describe("pushBranch against a git http-backend remote with a token check", function () {
  let remote: GitRemoteFake;
  let work: string;
  let spawner: RecordingSpawner;
  let url: string;

  beforeEach(async () => {
    remote = await new GitRemoteFake(TOKEN).start();
    work = mkdtempSync(path.join(os.tmpdir(), "bora-push-"));
    sh(work, "init", "-q", "-b", "main");
    commit(work, "README.md", "hello\n");
    url = remote.createRepo(REPO, work);
    sh(work, "remote", "add", "origin", url);
    sh(work, "checkout", "-q", "-b", "bora/ABC-1-fix");
    spawner = new RecordingSpawner();
  });
  afterEach(async () => {
    await spawner.close();
    await remote.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("creates the branch on the remote, with hooks off and no token in argv or .git/config", async () => {
    writeFileSync(path.join(work, ".git/hooks/pre-push"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const head = commit(work, "fix.js", "fixed\n");
    const result = await pushBranch({ dir: work, remote: "origin", branch: "bora/ABC-1-fix", token: TOKEN, spawner });
    assert.deepEqual(result, { status: "created", commit: head });
    assert.equal(
      remote.branch(REPO, "bora/ABC-1-fix"),
      head,
      "the remote holds the commit (the failing pre-push hook did not run)",
    );
    assert.equal(remote.pushes, 1);
    const argv = JSON.stringify(spawner.argvs);
    assert.ok(!argv.includes(TOKEN) && !argv.includes(Buffer.from(`x-access-token:${TOKEN}`).toString("base64")));
    assert.ok(
      spawner.argvs.some((a) => a.includes("HEAD:refs/heads/bora/ABC-1-fix")),
      "explicit refspec",
    );
    assert.ok(!readFileSync(path.join(work, ".git/config"), "utf8").includes("Authorization"));
  });

  it("succeeds again without a second push when the remote already has the commit (a re-run after a crash)", async () => {
    const head = commit(work, "fix.js", "fixed\n");
    await pushBranch({ dir: work, remote: url, branch: "bora/ABC-1-fix", token: TOKEN, spawner });
    const again = await pushBranch({ dir: work, remote: url, branch: "bora/ABC-1-fix", token: TOKEN, spawner });
    assert.deepEqual(again, { status: "upToDate", commit: head });
    assert.equal(remote.pushes, 1, "one receive-pack exchange in all");
  });

  it("fast-forwards the branch with a later commit", async () => {
    await pushBranch({ dir: work, remote: url, branch: "bora/ABC-1-fix", token: TOKEN, spawner });
    const next = commit(work, "more.js", "more\n");
    const result = await pushBranch({ dir: work, remote: url, branch: "bora/ABC-1-fix", token: TOKEN, spawner });
    assert.deepEqual(result, { status: "updated", commit: next });
    assert.equal(remote.branch(REPO, "bora/ABC-1-fix"), next);
  });

  it("replaces a commit re-made after a crash only under the lease of the one it pushed", async () => {
    const first = commit(work, "fix.js", "fixed\n");
    await pushBranch({ dir: work, remote: url, branch: "bora/ABC-1-fix", token: TOKEN, spawner });
    sh(work, "reset", "-q", "--hard", "HEAD~1");
    const remade = commit(work, "fix.js", "fixed differently\n");
    await assert.rejects(
      pushBranch({ dir: work, remote: url, branch: "bora/ABC-1-fix", token: TOKEN, spawner }),
      (e: unknown) => e instanceof PushError && e.reason === "diverged" && /not overwriting/.test(e.message),
    );
    assert.equal(remote.branch(REPO, "bora/ABC-1-fix"), first, "without the lease nothing moved");
    const result = await pushBranch({
      dir: work,
      remote: url,
      branch: "bora/ABC-1-fix",
      token: TOKEN,
      spawner,
      expected: first,
    });
    assert.deepEqual(result, { status: "updated", commit: remade });
    assert.equal(remote.branch(REPO, "bora/ABC-1-fix"), remade);
  });

  it("refuses a wrong token with a clear message that holds no token, and writes nothing", async () => {
    commit(work, "fix.js", "fixed\n");
    const error = await pushBranch({
      dir: work,
      remote: "origin",
      branch: "bora/ABC-1-fix",
      token: WRONG,
      spawner,
      timeoutMs: 20_000,
    }).then(
      () => assert.fail("the push succeeded"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PushError, String(error));
    assert.equal(error.reason, "auth");
    assert.match(error.message, /the remote refused the token: check GITHUB_TOKEN/);
    for (const secret of [WRONG, Buffer.from(`x-access-token:${WRONG}`).toString("base64")])
      assert.ok(!error.message.includes(secret) && !String(error.stack).includes(secret));
    assert.ok(remote.refused >= 1);
    assert.equal(remote.branch(REPO, "bora/ABC-1-fix"), undefined);
    const config = readFileSync(path.join(work, ".git/config"), "utf8");
    assert.ok(!config.includes(WRONG) && !config.includes("Authorization"));
  });

  it("says credentials are needed when no token is given", async () => {
    await assert.rejects(
      pushBranch({ dir: work, remote: url, branch: "bora/ABC-1-fix", spawner }),
      (e: unknown) => e instanceof PushError && e.reason === "auth" && /set GITHUB_TOKEN/.test(e.message),
    );
  });

  it("refuses a branch name git would not accept", async () => {
    await assert.rejects(
      pushBranch({ dir: work, remote: url, branch: "bad..name", token: TOKEN, spawner }),
      /not a valid branch name/,
    );
  });
});
