import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { GitRemoteFake } from "../../fakes/gitRemote.js";

const run = promisify(execFile);
const TOKEN = "ghs_FAKEremoteTOKEN000000000000000000000";
const ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_TERMINAL_PROMPT: "0",
  GIT_ASKPASS: "",
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run("git", args, { cwd, env: ENV, timeout: 20_000 })).stdout;
}

function auth(token: string): string[] {
  return ["-c", `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`];
}

describe("GitRemoteFake: git http-backend over HTTP with a token check", function () {
  let remote: GitRemoteFake;
  let tmp: string;
  let seed: string;
  let head: string;

  beforeEach(async () => {
    remote = await new GitRemoteFake(TOKEN).start();
    tmp = mkdtempSync(path.join(os.tmpdir(), "bora-remote-test-"));
    seed = path.join(tmp, "seed");
    await git(tmp, "init", "-q", "-b", "main", seed);
    writeFileSync(path.join(seed, "a.txt"), "one\n");
    await git(seed, "add", "a.txt");
    await git(seed, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "one");
    head = (await git(seed, "rev-parse", "HEAD")).trim();
  });
  afterEach(async () => {
    await remote.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("serves a repository seeded from a local one to a clone with the token", async () => {
    const url = remote.createRepo("octo/app.git", seed);
    assert.equal(remote.branch("octo/app.git", "main"), head);
    await git(tmp, ...auth(TOKEN), "clone", "-q", url, "clone");
    assert.equal(readFileSync(path.join(tmp, "clone/a.txt"), "utf8"), "one\n");
    assert.ok(remote.requests.some((r) => r.service === "git-upload-pack" && r.status === 200));
    assert.equal(remote.refused, 0);
    assert.equal(remote.pushes, 0);
  });

  it("accepts a push with the token and counts it", async () => {
    const url = remote.createRepo("octo/app.git", seed);
    await git(seed, ...auth(TOKEN), "push", "-q", url, "HEAD:refs/heads/feature");
    assert.equal(remote.branch("octo/app.git", "feature"), head);
    assert.equal(remote.pushes, 1);
  });

  it("answers 401 with WWW-Authenticate without the token, so git fails at once instead of prompting", async () => {
    const url = remote.createRepo("octo/app.git", seed);
    const response = await fetch(`${url}/info/refs?service=git-upload-pack`);
    assert.equal(response.status, 401);
    assert.match(response.headers.get("www-authenticate") ?? "", /^Basic /);
    await assert.rejects(
      git(seed, ...auth("wrong"), "push", "-q", url, "HEAD:refs/heads/x"),
      /terminal prompts disabled/,
    );
    assert.equal(remote.branch("octo/app.git", "x"), undefined);
    assert.equal(remote.pushes, 0);
    assert.ok(remote.refused >= 2);
    assert.ok(
      remote.requests.every((r) => !JSON.stringify(r).includes(TOKEN)),
      "the log holds no token",
    );
  });

  it("answers 404 for a repository it does not have", async () => {
    remote.createRepo("octo/app.git", seed);
    const response = await fetch(`${remote.repoUrl("octo/other.git")}/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}` },
    });
    assert.equal(response.status, 404);
  });
});
