import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT, runBuiltCli } from "../support/hostProcess.js";

const run = (args: string[]) => runBuiltCli(args);

describe("the built `bora` executable", () => {
  it("prints its version", async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, "server/package.json"), "utf8")) as {
      version: string;
    };
    const result = await run(["--version"]);
    assert.deepEqual(result, { code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("prints help listing serve", async () => {
    const result = await run(["--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: bora <command>/);
    assert.match(result.stdout, /serve\s+Run the agent host as a language server/);
  });

  it("exits 2 on an unknown command and on a bad serve flag, saying why", async () => {
    const unknown = await run(["launch-rockets"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'launch-rockets'/);
    const bad = await run(["serve", "--socket=abc"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--socket needs a port number/);
  });
});
