/**
 * The engines of the three model roles. Chat runs agents and chat; edit runs inline edits; fim
 * completes code as you type. Each role opens its own model when one is set, and roles that name
 * the same model (the same file, or the same model of the same server) share one engine, so a
 * model is loaded once however many roles use it.
 *
 * When a role has no model: edit uses the chat engine (an edit is a chat with a prediction, which
 * every engine can run). fim has no engine: completions as you type fire on every keystroke and
 * want a small, fast model of their own, and `bora.models.fim` promises none by default, so a
 * chat model that happens to have FIM tokens is not pressed into that service.
 */
import { EngineError, type Engine, type ModelRole } from "@bora/inference";
import type { EngineSpec } from "./engineSpec.js";
import { lookupModel, openEngine, type EngineDeps } from "./openEngine.js";

export type EngineRole = ModelRole;

/** The spec each role runs. */
export interface RoleSpecs {
  chat: EngineSpec;
  /** Defaults to the chat engine. */
  edit?: EngineSpec;
  /** Defaults to none (no completions as you type). */
  fim?: EngineSpec;
}

export interface EngineProvider {
  /**
   * The engine for a role, opened on first use: the role's own model when it is set, else the
   * chat engine (edit) or undefined (fim). Roles that name the same model get the same engine.
   * Rejects with the opening error (a `CodedError` for `problemFor`), or with code `disposed`.
   */
  forRole(role: EngineRole): Promise<Engine | undefined>;
  /** Closes every engine it opened; later `forRole` calls reject with code `disposed`. */
  dispose(): Promise<void>;
}

/**
 * What makes two specs the same model. A local model is its file (two references to one file are
 * one model); a remote one its server and name (the API key is the same for every role and stays
 * out of the key).
 */
async function identity(spec: EngineSpec, deps: EngineDeps): Promise<string> {
  switch (spec.kind) {
    case "local": {
      const location = await lookupModel(deps.store, spec.model);
      return `local:${location.found ? location.path : spec.model}`;
    }
    case "remote":
      return `remote:${JSON.stringify([spec.preset, spec.baseUrl ?? "", spec.model, spec.fimModel ?? ""])}`;
    case "script":
      return `script:${spec.file}`;
  }
}

export function createEngineProvider(specs: RoleSpecs, deps: EngineDeps): EngineProvider {
  const byIdentity = new Map<string, Promise<Engine>>();
  const byRole = new Map<EngineRole, Promise<Engine>>();
  let disposed = false;
  const disposedError = (): EngineError => new EngineError("disposed", "the engines were shut down");

  const open = async (spec: EngineSpec): Promise<Engine> => {
    const key = await identity(spec, deps);
    if (disposed) throw disposedError();
    let engine = byIdentity.get(key);
    if (engine === undefined) {
      engine = openEngine(spec, deps);
      byIdentity.set(key, engine);
    }
    return engine;
  };

  return {
    async forRole(role) {
      if (disposed) throw disposedError();
      const spec = role === "chat" ? specs.chat : role === "edit" ? (specs.edit ?? specs.chat) : specs.fim;
      if (spec === undefined) return undefined;
      let engine = byRole.get(role);
      if (engine === undefined) {
        engine = open(spec);
        byRole.set(role, engine);
      }
      const opened = await engine;
      if (disposed) throw disposedError();
      return opened;
    },
    async dispose() {
      disposed = true;
      const opened = await Promise.allSettled(byIdentity.values());
      byIdentity.clear();
      byRole.clear();
      for (const result of opened) {
        if (result.status === "fulfilled") {
          await result.value
            .dispose()
            .catch((error: unknown) => deps.log.warn(`disposing an engine: ${(error as Error).message ?? error}`));
        }
      }
    },
  };
}
