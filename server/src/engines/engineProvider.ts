/**
 * The engines of the three model roles. Chat runs agents and chat; edit runs inline edits; fim
 * completes code as you type. Each role opens its own model when one is set, and roles that name
 * the same model (the same file, or the same model of the same server) share one engine, so a
 * model is loaded once however many roles use it.
 *
 * When a role has no model, it uses the chat engine: an edit is a chat with a prediction, which
 * every engine can run, and completions as you type would rather come from the model the user has
 * than from none (issue 11: "`bora.models.fim`, else the chat model"). A small model of its own is
 * faster, and a chat model without FIM tokens completes from the text before the cursor only (see
 * `server/src/completions/completionService.ts`), so the setting still matters.
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
  /** Defaults to the chat engine. */
  fim?: EngineSpec;
}

export interface EngineProvider {
  /**
   * The engine for a role, opened on first use: the role's own model when it is set, else the
   * chat engine. Roles that name the same model get the same engine.
   * Rejects with the opening error (a `CodedError` for `problemFor`), or with code `disposed`.
   */
  forRole(role: EngineRole): Promise<Engine>;
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
      const spec = (role === "chat" ? undefined : specs[role]) ?? specs.chat;
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
