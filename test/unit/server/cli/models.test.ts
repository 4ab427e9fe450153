/** `bora models` in-process: argument checks, exit codes, overwrite refusal, progress and the subcommand table. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readGgufHeader } from "@bora/inference";
import { modelsCommand, modelsCommandWith, type ModelsSubcommand } from "../../../../server/src/cli/commands/models.js";
import { runCliInProcess } from "../../../support/cliInProcess.js";

const bora = (argv: string[], cwd: string, commands = [modelsCommand]) => runCliInProcess(argv, { cwd, commands });

async function sha256(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

describe("bora models", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), "bora-models-"))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("generates a model at a path relative to the working folder, creating folders", async () => {
    const result = await bora(["models", "generate", "--shape", "tiny", "--out", "a/b/tiny.gguf", "--seed", "3"], dir);
    assert.equal(result.code, 0, result.stderr);
    const file = path.join(dir, "a/b/tiny.gguf");
    assert.equal(result.stdout.split("\n")[0], file);
    assert.match(result.stdout, /shape tiny, seed 3, 590,464 parameters, 1\.1 MiB, written in \d+\.\d s/);
    assert.equal(result.stderr, "", "no progress lines for a 1 MiB model");
    assert.equal((await readGgufHeader(file)).metadata.get("bora.generator.seed")?.value, 3);
  });

  it("reports progress on stderr for bigger shapes, every tenth, ending at 100%", async () => {
    const result = await bora(["models", "generate", "--shape", "copy", "--out", "copy.gguf"], dir);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.ok(lines.length >= 2, result.stderr);
    for (const line of lines) assert.match(line, /^generating copy: \d+0% \(\d+\.\d MiB of 13\.5 MiB\)$/);
    assert.equal(lines.at(-1), "generating copy: 100% (13.5 MiB of 13.5 MiB)");
  });

  it("refuses to overwrite a file without --force, leaving it as it was", async () => {
    const file = path.join(dir, "tiny.gguf");
    assert.equal((await bora(["models", "generate", "--shape", "tiny", "--out", file, "--seed", "4"], dir)).code, 0);
    const before = await sha256(file);
    const again = await bora(["models", "generate", "--shape", "tiny", "--out", file], dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; pass --force to replace it/);
    assert.equal(await sha256(file), before);
    assert.equal((await bora(["models", "generate", "--shape", "tiny", "--out", file, "--force"], dir)).code, 0);
    assert.notEqual(await sha256(file), before, "the seed-1 model replaced the seed-4 one");
  });

  it("explains each bad argument with exit code 2 and writes nothing", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["generate", "--shape", "7b", "--out", "x.gguf"],
        /unknown shape '7b': choose one of tiny, 0\.5b, 0\.5b-code, 1b, copy, 0\.5b-copy/,
      ],
      [["generate", "--out", "x.gguf"], /--shape is required: one of tiny, 0\.5b, 0\.5b-code, 1b, copy, 0\.5b-copy/],
      [["generate", "--shape", "tiny"], /--out FILE\.gguf is required/],
      [["generate", "--shape", "tiny", "--out", "x.gguf", "--seed=-3"], /--seed must be an integer/],
      [["generate", "--shape", "tiny", "--out", "x.gguf", "--seed", "1.5"], /--seed must be an integer/],
      [["generate", "--shape", "tiny", "--out", "."], /is a folder; give a file name/],
      [["generate", "--shape", "tiny", "--out", "x.gguf", "extra"], /unexpected argument 'extra'/],
      [["generate", "--shape", "tiny", "--out", "x.gguf", "--quant", "q2"], /Unknown option '--quant'/],
      [["fetch"], /unknown subcommand 'fetch': choose one of generate/],
      [[], /a subcommand is needed: generate/],
    ];
    for (const [args, message] of cases) {
      const result = await bora(["models", ...args], dir);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message, args.join(" "));
      assert.match(result.stderr, /Run 'bora help models' for usage/);
    }
    assert.equal(existsSync(path.join(dir, "x.gguf")), false);
  });

  it("dispatches to any subcommand in its table and lists each in its help", async () => {
    const seen: string[][] = [];
    const list: ModelsSubcommand = {
      name: "list",
      summary: "List the models in the store",
      usage: "bora models list",
      run: (args) => (seen.push(args), Promise.resolve(0)),
    };
    const command = modelsCommandWith([list]);
    assert.equal((await bora(["models", "list", "--json"], dir, [command])).code, 0);
    assert.deepEqual(seen, [["--json"]]);
    const help = await bora(["models", "--help"], dir, [command]);
    assert.match(help.stdout, /list\s+List the models in the store/);
    const realHelp = await bora(["help", "models"], dir);
    assert.match(realHelp.stdout, /generate\s+Write a generated test model/);
    assert.match(realHelp.stdout, /--shape SHAPE {2}One of tiny, 0\.5b, 0\.5b-code, 1b, copy, 0\.5b-copy/);
  });
});
