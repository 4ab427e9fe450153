/**
 * What engine to open, in one shape for every front end (the editor's settings, `bora run`'s and
 * `bora engine serve`'s flags), and the local engine's defaults for each of them, side by side so
 * that their differences are deliberate and visible.
 */
import type { LocalEngineOptions, RemotePresetName, TurnChoice } from "@bora/inference";
import type { BoraSettings } from "@bora/protocol";

/** Settings of the local engine beyond the model file (the log goes to `EngineDeps.log`). */
export type LocalOptions = Omit<LocalEngineOptions, "modelPath" | "log">;

export interface LocalSpec {
  kind: "local";
  /** A GGUF path, an `https://` URL, an `hf:` reference or a store name; the model store finds it. */
  model: string;
  /**
   * Whether a URL or `hf:` reference that is not in the store yet is pulled first (`bora engine
   * serve`). Defaults to false: a missing model is a problem for the user to fix.
   */
  pull?: boolean;
  /** Defaults to the engine's own defaults (see `LOCAL_PROFILES.serve`). */
  options?: LocalOptions;
}

export interface RemoteSpec {
  kind: "remote";
  preset: RemotePresetName;
  /** Base URL including `/v1`. Defaults to the preset's. */
  baseUrl?: string;
  /** The model name the server lists at `/v1/models`. */
  model: string;
  /** Model for fill-in-the-middle. Defaults to `model`. */
  fimModel?: string;
  /**
   * The key (e.g. from the editor's secret storage). Defaults to the first of the preset's
   * environment variables that is set (`BORA_REMOTE_API_KEY`, then e.g. `MISTRAL_API_KEY`).
   */
  apiKey?: string;
}

export interface ScriptSpec {
  kind: "script";
  /** A script file (`{"turns": [...]}`), absolute or relative to `EngineDeps.cwd`. */
  file: string;
  /** The name the scripted model goes by. Defaults to `scripted`. */
  name?: string;
  /** Overrides the script's own `turnFrom` (a durable workflow needs `conversation`). */
  turnFrom?: TurnChoice;
}

export type EngineSpec = LocalSpec | RemoteSpec | ScriptSpec;

/**
 * The local engine's shape per front end. They differ on purpose:
 * - the editor takes the `bora.local.*` settings (`localOptionsFromSettings`), whose defaults
 *   (4096 tokens × 4 sequences) let chat, edits and agents run side by side;
 * - `headlessRun`: `bora run` runs one agent, so one sequence, and agent prompts (tool
 *   definitions, rules, files read) need a large window: 16384 tokens, used as given;
 * - `serve`: `bora engine serve` leaves the engine's own defaults (4096 tokens, or the model's
 *   training context when smaller, × 4 sequences) to its `--context-size` and `--sequences` flags.
 */
export const LOCAL_PROFILES = Object.freeze({
  headlessRun: Object.freeze({ contextSize: 16384, sequences: 1 }),
  serve: Object.freeze({}),
} satisfies Record<string, LocalOptions>);

/** The editor's local engine options, from its settings (`bora.local.*`; defaults in `DEFAULT_SETTINGS`). */
export function localOptionsFromSettings(local: BoraSettings["local"]): LocalOptions {
  return {
    contextSize: local.contextSize,
    sequences: local.sequences,
    // 0 means "pick for the model and the machine", which is the engine's default.
    ...(local.threads > 0 ? { threads: local.threads } : {}),
    gpuLayers: local.gpuLayers,
  };
}
