/** Where the model store keeps its files. */
import os from "node:os";
import path from "node:path";

/**
 * The model store directory: `$BORA_MODELS_DIR` when set, else `$XDG_CACHE_HOME/bora/models`, else
 * `~/.cache/bora/models`. Models are a cache in the XDG sense: large, re-downloadable, not backed up.
 */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env["BORA_MODELS_DIR"];
  if (explicit !== undefined && explicit !== "") return path.resolve(explicit);
  const cache = env["XDG_CACHE_HOME"];
  const base = cache !== undefined && cache !== "" ? cache : path.join(os.homedir(), ".cache");
  return path.join(base, "bora", "models");
}
