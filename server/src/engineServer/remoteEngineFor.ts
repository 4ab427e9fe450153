/**
 * What the host calls to start a remote engine for one role of a `chooseEngine` result: the
 * engine, with the host's ajv validator, after `/v1/models` confirmed the server has the model.
 */
import {
  RemoteEngine,
  type EngineChoice,
  type FetchFunction,
  type ModelRole,
  type RemoteEngineOptions,
} from "@bora/inference";
import { AjvToolValidator } from "./toolSchemaValidator.js";

export interface RemoteEngineForOptions {
  /** How requests go out: the host's policy fetch (`remoteEngineFetch`). */
  fetch: FetchFunction;
  /** The key from SecretStorage or the settings. Defaults to the preset's environment variables. */
  apiKey?: string;
  /** Passed through to `RemoteEngine` (idle timeout, streaming, extra headers). Defaults to its defaults. */
  engine?: Partial<Omit<RemoteEngineOptions, "preset" | "baseUrl" | "model" | "validator" | "apiKey" | "fetch">>;
  signal?: AbortSignal;
}

export function remoteEngineFor(
  choice: Extract<EngineChoice, { kind: "remote" }>,
  role: ModelRole,
  options: RemoteEngineForOptions,
): Promise<RemoteEngine> {
  const model = role === "fim" ? choice.models.fim : choice.models[role];
  if (model === undefined) return Promise.reject(new Error(`no remote model is configured for the ${role} role`));
  return RemoteEngine.connect({
    ...options.engine,
    preset: choice.preset,
    ...(choice.baseUrl !== undefined ? { baseUrl: choice.baseUrl } : {}),
    model,
    ...(role === "fim" && choice.models.fim !== undefined ? { fimModel: choice.models.fim } : {}),
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    validator: new AjvToolValidator(),
    fetch: options.fetch,
  });
}
