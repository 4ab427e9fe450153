/**
 * The engine choice on the command line, the same choice the editor's settings make: `--engine
 * local|remote|script:FILE` with `--model`, and for a remote server `--preset` and `--base-url`
 * (the API key comes from the environment). Every command that runs a model (`bora run`, `bora
 * engine serve`, later `bora issue` and `bora worker`) spreads `ENGINE_FLAG_OPTIONS` into its
 * `parseArgs` options, prints `ENGINE_FLAGS_HELP` in its usage and calls `engineSpecFromFlags`, then
 * `openEngineForCli`.
 */
import { REMOTE_PRESETS, isEngineError, isRemotePresetName, type Engine, type PullProgress } from "@bora/inference";
import type { EngineSpec, LocalOptions } from "../engines/engineSpec.js";
import { cliHttpPolicy } from "./httpPolicy.js";
import { defaultEngineDeps, openEngine, type EngineDeps } from "../engines/openEngine.js";
import { problemFor } from "../engines/problems.js";
import { UsageError, type CliIO } from "./command.js";

/** The flags, for `parseArgs`'s `options`. */
export const ENGINE_FLAG_OPTIONS = {
  engine: { type: "string" },
  model: { type: "string" },
  preset: { type: "string" },
  "base-url": { type: "string" },
} as const;

export interface EngineFlagValues {
  engine?: string | undefined;
  model?: string | undefined;
  preset?: string | undefined;
  "base-url"?: string | undefined;
}

const PRESETS = Object.keys(REMOTE_PRESETS).join(", ");

/** The usage lines of the flags, aligned for a 2-space indented options list. */
export const ENGINE_FLAGS_HELP = `  --engine KIND          local (the default): the bundled llama.cpp engine; remote: an OpenAI-compatible
                         server (vLLM, llama.cpp server, Ollama, Mistral, OpenAI, bora engine serve);
                         script:FILE: replay a scripted model ({"turns": [{"content"?, "tool_calls"?: [...]}]}).
  --model PATH|URI|NAME  local: a GGUF file, a store name, or an https:/hf: reference already pulled into the
                         model store; remote: the model name the server lists at /v1/models.
  --preset NAME          remote: the kind of server, one of ${PRESETS}. Defaults to openai.
  --base-url URL         remote: the server's base URL including /v1. Defaults to the preset's.
                         The API key comes from $BORA_REMOTE_API_KEY, else the preset's own variable
                         (e.g. $MISTRAL_API_KEY, $VLLM_API_KEY).`;

export interface EngineFlagOptions {
  /** The local engine's options (see `LOCAL_PROFILES`). */
  local: LocalOptions;
  /** Pull a missing URL or `hf:` model into the store first. Defaults to false. */
  pull?: boolean;
  /** The engine kinds this command takes. Defaults to all. */
  kinds?: readonly EngineSpec["kind"][];
}

function checkedBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--base-url needs a URL such as http://gpu-box:8000/v1, got '${value}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--base-url needs an http:// or https:// URL, got '${value}'`);
  }
  return value;
}

/** The spec the flags describe; usage mistakes throw `UsageError`. */
export function engineSpecFromFlags(values: EngineFlagValues, options: EngineFlagOptions): EngineSpec {
  const engine = values.engine ?? (values.model !== undefined ? "local" : undefined);
  if (engine === undefined) {
    throw new UsageError(
      "say which model to use: --model PATH|URI or --engine script:FILE (or --engine remote --model NAME)",
    );
  }
  const kind = engine.startsWith("script:") ? "script" : engine;
  if (kind !== "local" && kind !== "remote" && kind !== "script") {
    throw new UsageError(`--engine takes local, remote or script:FILE, got '${engine}'`);
  }
  const kinds = options.kinds ?? ["local", "remote", "script"];
  if (!kinds.includes(kind)) {
    throw new UsageError(
      `--engine takes ${kinds.map((k) => (k === "script" ? "script:FILE" : k)).join(" or ")} here, got '${engine}'`,
    );
  }
  if (kind !== "remote" && (values.preset !== undefined || values["base-url"] !== undefined)) {
    throw new UsageError(
      kinds.includes("remote")
        ? "--preset and --base-url go with --engine remote"
        : "--preset and --base-url are for a remote engine, which this command does not take",
    );
  }
  switch (kind) {
    case "script": {
      const file = engine.slice("script:".length);
      if (file === "") throw new UsageError("--engine script:FILE needs the script's file name");
      return { kind: "script", file, ...(values.model !== undefined ? { name: values.model } : {}) };
    }
    case "local":
      if (values.model === undefined) throw new UsageError("--engine local needs --model PATH|URI");
      return { kind: "local", model: values.model, options: options.local, ...(options.pull ? { pull: true } : {}) };
    case "remote": {
      if (values.model === undefined) {
        throw new UsageError("--engine remote needs --model NAME: the model name the server lists at /v1/models");
      }
      const preset = values.preset ?? "openai";
      if (!isRemotePresetName(preset)) throw new UsageError(`--preset must be one of ${PRESETS}, got '${preset}'`);
      const baseUrl = values["base-url"];
      return {
        kind: "remote",
        preset,
        ...(baseUrl !== undefined ? { baseUrl: checkedBaseUrl(baseUrl) } : {}),
        model: values.model,
      };
    }
  }
}

/**
 * Opens the engine and words a failure for the terminal: a bad script is a usage mistake (exit 2),
 * anything else an error whose message says what to do (exit 1).
 */
export async function openEngineForCli(spec: EngineSpec, deps: EngineDeps): Promise<Engine> {
  try {
    return await openEngine(spec, deps);
  } catch (error) {
    const problem = problemFor(error, "cli");
    if (isEngineError(error, "invalidScript")) throw new UsageError(problem.message);
    throw new Error(problem.message, { cause: error });
  }
}

/** The engine's log on a terminal: warnings and errors on stderr after the command's name; the rest dropped. */
export function cliEngineLog(stderr: NodeJS.WritableStream, prefix: string): EngineDeps["log"] {
  const line = (text: string): void => void stderr.write(`${prefix}: ${text}\n`);
  return {
    error: (message, error) => line(error === undefined ? message : `${message}: ${(error as Error).message ?? error}`),
    warn: line,
    info: () => undefined,
    debug: () => undefined,
  };
}

/** The engine dependencies of a CLI command. */
export function cliEngineDeps(
  io: CliIO,
  prefix: string,
  onPullProgress?: (progress: PullProgress) => void,
): EngineDeps {
  return defaultEngineDeps({
    env: io.env,
    cwd: io.cwd,
    log: cliEngineLog(io.stderr, prefix),
    // Every request (downloads, a remote engine's) goes through the one policy, audited on stderr.
    http: cliHttpPolicy(io.stderr),
    ...(onPullProgress !== undefined ? { onPullProgress } : {}),
  });
}
