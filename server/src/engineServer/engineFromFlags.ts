/**
 * Builds the engine `bora engine serve` serves: a scripted engine from `--engine script:FILE`
 * (tests), or the local engine on `--model <name|path|uri>`, pulling the model into the store
 * first when the reference is a URL or `hf:` and it is not there yet.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  LocalEngine,
  ModelStore,
  ScriptedEngine,
  parseScript,
  type Engine,
  type FetchFunction,
  type LocalEngineOptions,
  type PullProgress,
} from "@bora/inference";
import { UsageError } from "../cli/command.js";
import { describeMissingModel } from "../cli/commands/models/missingModel.js";

export interface EngineFlags {
  /** `script:FILE`, or `local` (the default when `--model` is given). */
  engine?: string;
  /** A store name, GGUF path, URL or `hf:` reference. */
  model?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** How a model that is not in the store is downloaded: the command's policy fetch (`modelDownloadFetch`). */
  fetch: FetchFunction;
  onProgress?: (progress: PullProgress) => void;
  /** Settings of the local engine beyond the model path. Defaults to the engine's defaults. */
  local?: Omit<LocalEngineOptions, "modelPath">;
}

export interface BuiltEngine {
  engine: Engine;
  /** The id `/v1/models` lists. */
  modelId: string;
}

export async function engineFromFlags(flags: EngineFlags): Promise<BuiltEngine> {
  const spec = flags.engine ?? (flags.model !== undefined ? "local" : undefined);
  if (spec === undefined) throw new UsageError("give --model <path|uri> (or --engine script:FILE for tests)");
  if (spec.startsWith("script:")) {
    const file = path.resolve(flags.cwd, spec.slice("script:".length));
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new UsageError(`cannot read the script ${file}: ${(error as Error).message}`);
    }
    return { engine: new ScriptedEngine(parseScript(raw)), modelId: flags.model ?? "scripted" };
  }
  if (spec !== "local") throw new UsageError(`--engine must be 'local' or 'script:FILE', got '${spec}'`);
  if (flags.model === undefined) throw new UsageError("--engine local needs --model <path|uri>");
  const store = new ModelStore({ env: flags.env, uri: { cwd: flags.cwd }, fetch: flags.fetch });
  const location = await store.locate(flags.model);
  if (!location.found && !location.downloadable) throw new UsageError(describeMissingModel(location, store.dir));
  const modelPath = location.found
    ? location.path
    : (await store.pull(flags.model, flags.onProgress ? { onProgress: flags.onProgress } : {})).model.path;
  return { engine: await LocalEngine.open({ ...flags.local, modelPath }), modelId: location.name };
}
