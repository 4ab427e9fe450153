/**
 * `bora models pull | list | rm` as real processes: a pull killed half-way (SIGKILL, no chance to
 * clean up) resumes with a Range request on the next run and verifies; list and rm show and
 * remove what the store holds.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { exitOf, runBuiltCli, spawnCli, waitFor } from "../../support/hostProcess.js";
import { runCliInProcess } from "../../support/cliInProcess.js";
import { ensureTestModel } from "../../support/testModels.js";
import { fixtureRepo } from "../agent/helpers.js";
import { startEngineServe } from "../../support/engineServe.js";
import { sha256, startModelFileServer, type ModelFileServer } from "./modelFileServer.js";

const runCli = (args: string[], env: NodeJS.ProcessEnv) => runBuiltCli(args, { env });

/** The same CLI code in this process: for commands that need no process of their own to kill. */
const runHere = (args: string[], env: NodeJS.ProcessEnv) => runCliInProcess(args, { env, cwd: process.cwd() });

describe("bora models pull, list, rm", function () {
  let model: Buffer;
  let server: ModelFileServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    model = await readFile(await ensureTestModel("tiny"));
    server = await startModelFileServer();
    dir = await mkdtemp(path.join(os.tmpdir(), "bora-models-cli-"));
    env = { BORA_MODELS_DIR: dir };
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("resumes and verifies a pull that was killed half-way", async function () {
    // A loaded machine takes tens of seconds to start the child (tsx and the network guard).
    this.timeout(150_000);
    // About 2.5 s for the whole file, so the kill lands in the middle.
    server.files.set("/slow/tiny.gguf", { data: model, throttle: { chunkBytes: 16 * 1024, delayMs: 30 } });
    const child = spawnCli(["models", "pull", server.url("/slow/tiny.gguf"), "--sha256", sha256(model)], { env });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const partFile = path.join(dir, ".partial", "tiny.part");
    await waitFor(
      "half the model on disk",
      () => {
        const sent = server.sent.get("/slow/tiny.gguf") ?? 0;
        return sent > model.length / 2 && sent < model.length;
      },
      90_000,
    );
    child.kill("SIGKILL");
    await exitOf(child);
    assert.ok(!(await readdir(dir)).includes("tiny.gguf"), "no complete-looking file after the kill");
    const kept = (await readFile(partFile)).length;
    assert.ok(kept > 0 && kept < model.length, `the partial file holds ${kept} of ${model.length} bytes`);
    assert.match(stderr, /tiny: [\d.]+ MiB \/ [\d.]+ MiB \(\d+%\)/, "progress was printed");

    const listed = await runHere(["models", "list"], env);
    assert.match(listed.stdout, new RegExp(`tiny\\s+partial: .*'bora models pull' again resumes it`));

    server.files.get("/slow/tiny.gguf")!.throttle = undefined;
    const resumed = await runCli(["models", "pull", server.url("/slow/tiny.gguf"), "--sha256", sha256(model)], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(server.log.at(-1)?.range, `bytes=${kept}-`, "the second run asked only for the missing bytes");
    assert.match(resumed.stderr, new RegExp(`resumed from ${kept} bytes`));
    assert.match(
      resumed.stdout,
      new RegExp(`^tiny\\t${path.join(dir, "tiny.gguf").replaceAll("/", "\\/")}\\tsha256:${sha256(model)}`),
    );
    assert.deepEqual(await readFile(path.join(dir, "tiny.gguf")), model);
    assert.deepEqual(
      await readdir(path.join(dir, ".partial")),
      [],
      "the lock left by the killed process was taken over and removed",
    );
  });

  it("takes a bare name as the model in the store: pull says it is there, engine serve serves it", async function () {
    this.timeout(150_000);
    const again = await runHere(["models", "pull", "tiny"], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^tiny is already in the store$/m);
    const served = await startEngineServe(["--model", "tiny", "--cpu", "--context-size", "512"], env, 90_000);
    try {
      assert.match(served.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    } finally {
      await served.stop();
    }

    // What is not here is worded by its kind: only a downloadable reference is "pull it".
    const repo = await fixtureRepo();
    try {
      const absent = await runHere(["run", "--cwd", repo.dir, "--model", "absent", "Go"], env);
      assert.equal(absent.code, 1);
      assert.match(
        absent.stderr,
        /the model 'absent' is not on this machine: the model store has no model of that name/,
      );
      assert.match(absent.stderr, /'bora models list' shows the store/);
      assert.doesNotMatch(absent.stderr, /bora models pull absent/);
      const hub = await runHere(["run", "--cwd", repo.dir, "--model", "hf:o/r/x.gguf", "Go"], env);
      assert.equal(hub.code, 1);
      assert.match(hub.stderr, /pull it first with 'bora models pull hf:o\/r\/x\.gguf'/);
    } finally {
      await repo.dispose();
    }
  });

  it("lists models as a table and as JSON, and removes one", async () => {
    const table = await runHere(["models", "list"], env);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^tiny\s+1\.1 MiB\s+llama\s+http:\/\/127\.0\.0\.1:\d+\/slow\/tiny\.gguf$/m);
    const json = JSON.parse((await runHere(["models", "list", "--json"], env)).stdout) as {
      models: { name: string; sha256: string }[];
    };
    assert.deepEqual(
      json.models.map((m) => [m.name, m.sha256]),
      [["tiny", sha256(model)]],
    );
    const removed = await runHere(["models", "rm", "tiny"], env);
    assert.equal(removed.code, 0);
    assert.equal(removed.stdout, "removed tiny\n");
    const again = await runHere(["models", "rm", "tiny"], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /there is no model named 'tiny'.*'bora models list' shows what there is/);
    assert.match((await runHere(["models", "list"], env)).stdout, /^no models in .*bora models pull <uri>/);
  });

  it("explains a bad reference with exit 2 and a failed pull with exit 1", async () => {
    const bad = await runHere(["models", "pull", "hf:only-owner"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /write hf:<owner>\/<repo>\/<file>\.gguf/);
    const insecure = await runHere(["models", "pull", "http://models.invalid/x.gguf"], env);
    assert.equal(insecure.code, 2);
    assert.match(insecure.stderr, /downloaded over https:\/\//);
    const missing = await runHere(["models", "pull", server.url("/nope.gguf")], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist \(HTTP 404\)/);
  });
});
