import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { UsageError } from "../../../../server/src/cli/command.js";
import { ENGINE_FLAG_OPTIONS, ENGINE_FLAGS_HELP, engineSpecFromFlags } from "../../../../server/src/cli/engineFlags.js";
import { LOCAL_PROFILES } from "../../../../server/src/engines/engineSpec.js";

/** The flags as a command parses them. */
function spec(args: string[], options: Partial<Parameters<typeof engineSpecFromFlags>[1]> = {}) {
  const { values } = parseArgs({ args, strict: true, options: ENGINE_FLAG_OPTIONS });
  return engineSpecFromFlags(values, { local: LOCAL_PROFILES.headlessRun, ...options });
}

function refused(args: string[], message: RegExp, options: Partial<Parameters<typeof engineSpecFromFlags>[1]> = {}) {
  assert.throws(
    () => spec(args, options),
    (error: unknown) => error instanceof UsageError && message.test(error.message),
    args.join(" "),
  );
}

describe("engine flags (one flag set → EngineSpec for every CLI command)", () => {
  it("takes a local model by default, with the command's local options", () => {
    assert.deepEqual(spec(["--model", "qwen.gguf"]), {
      kind: "local",
      model: "qwen.gguf",
      options: { contextSize: 16384, sequences: 1 },
    });
    assert.deepEqual(spec(["--engine", "local", "--model", "hf:o/r/f.gguf"], { local: {}, pull: true }), {
      kind: "local",
      model: "hf:o/r/f.gguf",
      options: {},
      pull: true,
    });
  });

  it("takes a remote server by preset, base URL and model name, defaulting to openai", () => {
    assert.deepEqual(
      spec(["--engine", "remote", "--preset", "vllm", "--base-url", "http://gpu:8000/v1", "--model", "qwen"]),
      { kind: "remote", preset: "vllm", baseUrl: "http://gpu:8000/v1", model: "qwen" },
    );
    assert.deepEqual(spec(["--engine", "remote", "--model", "gpt-x"]), {
      kind: "remote",
      preset: "openai",
      model: "gpt-x",
    });
  });

  it("takes a script, with --model as the scripted model's name", () => {
    assert.deepEqual(spec(["--engine", "script:s.json"]), { kind: "script", file: "s.json" });
    assert.deepEqual(spec(["--engine", "script:s.json", "--model", "m"]), {
      kind: "script",
      file: "s.json",
      name: "m",
    });
  });

  it("refuses what does not fit, naming the flag", () => {
    refused([], /--model PATH\|URI or --engine script:FILE/);
    refused(["--engine", "remote"], /--engine remote needs --model NAME/);
    refused(["--engine", "local"], /--engine local needs --model/);
    refused(["--engine", "gpu"], /--engine takes local, remote or script:FILE, got 'gpu'/);
    refused(["--engine", "script:"], /needs the script's file name/);
    refused(["--model", "m.gguf", "--base-url", "http://x/v1"], /--preset and --base-url go with --engine remote/);
    refused(["--engine", "remote", "--model", "m", "--preset", "azure"], /--preset must be one of openai, vllm/);
    refused(
      ["--engine", "remote", "--model", "m", "--base-url", "gpu:8000"],
      /--base-url needs an http:\/\/ or https:\/\//,
    );
    refused(["--engine", "remote", "--model", "m", "--base-url", "not a url"], /--base-url needs a URL/);
    refused(["--engine", "remote", "--model", "m"], /--engine takes local or script:FILE here/, {
      kinds: ["local", "script"],
    });
    refused(["--model", "m", "--preset", "vllm"], /for a remote engine, which this command does not take/, {
      kinds: ["local", "script"],
    });
  });

  it("documents every flag it parses", () => {
    for (const flag of Object.keys(ENGINE_FLAG_OPTIONS)) assert.match(ENGINE_FLAGS_HELP, new RegExp(`--${flag} `));
    assert.match(ENGINE_FLAGS_HELP, /\$BORA_REMOTE_API_KEY/);
  });
});
