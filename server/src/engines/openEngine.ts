/**
 * The one place engines are made. The host (per role, from the editor's settings), `bora run` and
 * `bora engine serve` all describe what they want as an `EngineSpec` and call `openEngine`; what
 * an engine needs from its surroundings (the model store, the HTTP client, a log) comes in
 * `EngineDeps`, so every engine gets the same ones.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  CodedError,
  EngineError,
  LocalEngine,
  ModelStore,
  RemoteEngine,
  ScriptedEngine,
  isEngineError,
  parseScript,
  type Engine,
  type FetchFunction,
  type LocalEngineOptions,
  type ModelLocation,
  type ModelReferenceKind,
  type PullProgress,
  type RemoteEngineOptions,
} from "@bora/inference";
import type { Logger } from "../host/logger.js";
import { modelDownloadFetch, remoteEngineFetch } from "../http/fetches.js";
import type { HttpPolicy } from "../http/policy.js";
import type { EngineSpec, LocalSpec, ScriptSpec } from "./engineSpec.js";
import { AjvToolValidator } from "./toolArgumentsValidator.js";

/** How the real engines are constructed; tests swap them to count what is opened. */
export interface EngineOpeners {
  openLocal(options: LocalEngineOptions): Promise<Engine>;
  /** Connects after `/v1/models` confirmed that the server serves the model. */
  openRemote(options: RemoteEngineOptions): Promise<Engine>;
}

export const REAL_OPENERS: EngineOpeners = Object.freeze({
  openLocal: (options: LocalEngineOptions) => LocalEngine.open(options),
  openRemote: (options: RemoteEngineOptions) => RemoteEngine.connect(options),
});

/** The parts of the model store an engine needs. */
export type EngineModelStore = Pick<ModelStore, "locate" | "pull" | "parse">;

export interface EngineDeps {
  /** Finds local models (and pulls them for a spec with `pull`). */
  store: EngineModelStore;
  /** Every HTTP request a remote engine makes goes through this: the host's policy (`remoteEngineFetch`). */
  fetch: FetchFunction;
  /** Where llama.cpp's messages are logged. */
  log: Pick<Logger, "error" | "warn" | "info" | "debug">;
  /** The environment the remote API key is read from when the spec gives none. */
  env: NodeJS.ProcessEnv;
  /** Folder a relative script path is resolved against. */
  cwd: string;
  /** Progress of a pull started for a spec with `pull`. Defaults to none. */
  onPullProgress?: (progress: PullProgress) => void;
  /** Defaults to `REAL_OPENERS`. */
  openers?: EngineOpeners;
}

/**
 * The dependencies of a front end that has nothing to swap: a store from `env` whose downloads, and
 * remote engines whose requests, go through the front end's one HTTP policy.
 */
export function defaultEngineDeps(options: {
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: EngineDeps["log"];
  http: HttpPolicy;
  onPullProgress?: (progress: PullProgress) => void;
}): EngineDeps & { store: ModelStore } {
  const { http, ...rest } = options;
  const store = new ModelStore({ env: options.env, uri: { cwd: options.cwd }, fetch: modelDownloadFetch(http) });
  return { store, fetch: remoteEngineFetch(http), ...rest };
}

/** A model reference the store cannot find on this machine. */
export class ModelNotHereError extends CodedError<"modelMissing"> {
  override readonly name = "ModelNotHereError";
  /** The reference as it was given. */
  readonly uri: string;
  /** Whether the store could pull it (a URL or `hf:` reference). */
  readonly downloadable: boolean;
  /** What kind of reference it is. */
  readonly kind: ModelReferenceKind;
  /** For a file (and a bare word), the absolute path that was looked for. */
  readonly path: string | undefined;

  constructor(location: Extract<ModelLocation, { found: false }>) {
    super("modelMissing", `the model ${location.reference} is not on this machine`);
    this.uri = location.reference;
    this.downloadable = location.downloadable;
    this.kind = location.kind;
    this.path = location.path;
  }
}

/**
 * Where a model reference is on disk, or which kind it was and that it is not there. The one call
 * that looks a reference up, for `chooseEngine` and `openEngine` alike.
 */
export function lookupModel(store: EngineModelStore, uri: string): Promise<ModelLocation> {
  return store.locate(uri);
}

/** The id a model goes by (`/v1/models` of `bora engine serve`): the store name, the server's name, or the script's. */
export function modelIdFor(spec: EngineSpec, store: EngineModelStore): string {
  switch (spec.kind) {
    case "local":
      return store.parse(spec.model).name;
    case "remote":
      return spec.model;
    case "script":
      return spec.name ?? "scripted";
  }
}

async function localModelPath(spec: LocalSpec, deps: EngineDeps): Promise<string> {
  const location = await lookupModel(deps.store, spec.model);
  if (location.found) return location.path;
  if (!spec.pull || !location.downloadable) throw new ModelNotHereError(location);
  const pulled = await deps.store.pull(spec.model, deps.onPullProgress ? { onProgress: deps.onPullProgress } : {});
  return pulled.model.path;
}

async function scriptedEngine(spec: ScriptSpec, cwd: string): Promise<Engine> {
  const file = path.resolve(cwd, spec.file);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new EngineError("invalidScript", `cannot read the script ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const script = parseScript(raw);
    return new ScriptedEngine(script, {
      chunkDelayMs: script.chunkDelayMs ?? 0,
      ...(spec.turnFrom !== undefined ? { turnFrom: spec.turnFrom } : {}),
    });
  } catch (error) {
    if (isEngineError(error, "invalidScript")) throw new EngineError("invalidScript", `${file}: ${error.message}`);
    throw error;
  }
}

/** Opens the engine a spec describes. Failures are typed (`CodedError`s) for `problemFor` to word. */
export async function openEngine(spec: EngineSpec, deps: EngineDeps): Promise<Engine> {
  const openers = deps.openers ?? REAL_OPENERS;
  const { log } = deps;
  switch (spec.kind) {
    case "script":
      return scriptedEngine(spec, deps.cwd);
    case "local":
      return openers.openLocal({
        ...spec.options,
        modelPath: await localModelPath(spec, deps),
        log: (level, message) =>
          level === "error" ? log.error(`llama.cpp: ${message.trim()}`) : log.debug(`llama.cpp: ${message.trim()}`),
      });
    case "remote":
      return openers.openRemote({
        preset: spec.preset,
        ...(spec.baseUrl !== undefined ? { baseUrl: spec.baseUrl } : {}),
        model: spec.model,
        ...(spec.fimModel !== undefined ? { fimModel: spec.fimModel } : {}),
        ...(spec.apiKey !== undefined ? { apiKey: spec.apiKey } : {}),
        env: deps.env,
        fetch: deps.fetch,
        validator: new AjvToolValidator(),
      });
  }
}
