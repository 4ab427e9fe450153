/**
 * Owns the host's engine: turns the engine settings into a running engine (the bundled local
 * engine or a remote OpenAI-compatible one), keeps `bora/status` informed (loading, ready with the
 * model and its recent speed, or an error that says what to do), and swaps engines when the
 * settings change. Agents get the engine from here and never construct one themselves.
 */
import {
  LocalEngine,
  ModelStore,
  RemoteEngine,
  chooseEngine,
  type Engine,
  type EngineChoice,
  type LocalEngineOptions,
  type ModelLocation,
  type RemoteEngineOptions,
} from "@bora/inference";
import type { BoraSettings, EngineStatus } from "@bora/protocol";
import { engineSettingsDiffer } from "@bora/protocol";
import { AjvToolValidator } from "../engineServer/toolSchemaValidator.js";
import { remoteEngineFetch } from "../http/fetches.js";
import type { HttpPolicy } from "../http/policy.js";
import type { AgentHost } from "./agentHost.js";
import { measuredEngine } from "./measuredEngine.js";

/** How engines are made; tests and other hosts swap these. */
export interface EngineOpeners {
  /** Finds a model reference on disk (store name, path, downloaded URL), or says what kind it was. */
  lookup(uri: string): Promise<ModelLocation>;
  openLocal(options: LocalEngineOptions): Promise<Engine>;
  /** Opens a remote engine; the openers decide how its requests go out. */
  openRemote(options: Omit<RemoteEngineOptions, "fetch">): Promise<Engine>;
}

/** The host's openers: models from `store`, remote requests through the host's one HTTP policy. */
export function defaultOpeners(store: ModelStore, http: HttpPolicy): EngineOpeners {
  const fetch = remoteEngineFetch(http);
  return {
    lookup: (uri) => store.locate(uri),
    openLocal: (options) => LocalEngine.open(options),
    openRemote: (options) => RemoteEngine.connect({ ...options, fetch }),
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where a VS Code user sets the remote engine's key (named in the messages of a refused key). */
export const REMOTE_API_KEY_SOURCE = "run 'Bora: Set Remote API Key' in VS Code";

export class EngineManager {
  private engine: Engine | undefined;
  private applied: BoraSettings | undefined;
  /** The kind the last start chose, so a new remote key reconnects only a remote engine. */
  private chosenKind: "local" | "remote" | undefined;
  /** From the editor's secret storage; held in memory only, never logged. */
  private remoteApiKey: string | undefined;
  /** Settings changes are applied one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  private status: EngineStatus = { state: "none" };

  constructor(
    private readonly host: AgentHost,
    private readonly openers: EngineOpeners,
  ) {}

  /** The running engine, or undefined while none is configured, loading or after an error. */
  get current(): Engine | undefined {
    return this.engine;
  }

  /** Starts, swaps or stops the engine for these settings; resolves once the change is done. */
  apply(settings: BoraSettings): Promise<void> {
    const step = async (): Promise<void> => {
      if (this.applied !== undefined && !engineSettingsDiffer(this.applied, settings)) return;
      this.applied = settings;
      await this.stopEngine();
      await this.startEngine(settings);
    };
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Tries the current settings again when they did not give a running engine (a model that was
   * missing has been pulled since, a server that was down is up). Does nothing while one runs.
   */
  retry(): Promise<void> {
    const step = async (): Promise<void> => {
      const settings = this.applied;
      if (settings === undefined || this.engine !== undefined) return;
      await this.startEngine(settings);
    };
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Sets (or with `undefined` forgets) the remote engine's API key. A remote engine, running or
   * refused, is reconnected with it; a local one is left alone.
   */
  setRemoteApiKey(key: string | undefined): Promise<void> {
    const step = async (): Promise<void> => {
      if (key === this.remoteApiKey) return;
      this.remoteApiKey = key;
      const settings = this.applied;
      if (settings === undefined || this.chosenKind !== "remote") return;
      await this.stopEngine();
      await this.startEngine(settings);
    };
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async dispose(): Promise<void> {
    await this.queue;
    await this.stopEngine();
  }

  private setStatus(status: EngineStatus): void {
    this.status = status;
    this.host.setEngine(status);
  }

  private async stopEngine(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    if (engine) {
      await engine
        .dispose()
        .catch((error: unknown) => this.host.logger.warn(`disposing the engine: ${describeError(error)}`));
    }
  }

  private async startEngine(settings: BoraSettings): Promise<void> {
    const { logger } = this.host;
    let choice: EngineChoice;
    try {
      choice = await chooseEngine(
        {
          engine: settings.engine,
          models: {
            chat: settings.models.chat || undefined,
            edit: settings.models.edit || undefined,
            fim: settings.models.fim || undefined,
          },
          remote: {
            preset: settings.remote.preset,
            ...(settings.remote.baseUrl ? { baseUrl: settings.remote.baseUrl } : {}),
          },
        },
        (uri) => this.openers.lookup(uri),
      );
    } catch (error) {
      this.setStatus({
        state: "error",
        problem: { code: "modelLookupFailed", message: `Could not look up the model: ${describeError(error)}` },
      });
      return;
    }
    this.chosenKind = choice.kind === "unavailable" ? undefined : choice.kind;
    if (choice.kind === "unavailable") {
      logger.info(choice.message);
      this.setStatus(
        choice.reason === "unconfigured"
          ? { state: "none" }
          : { state: "error", problem: { code: "modelMissing", message: choice.message } },
      );
      return;
    }
    const kind = choice.kind;
    const model = kind === "local" ? choice.chat.uri : choice.models.chat;
    this.setStatus({ state: "loading", kind, model });
    try {
      const engine =
        choice.kind === "local"
          ? await this.openers.openLocal({
              modelPath: choice.chat.path,
              contextSize: settings.local.contextSize,
              sequences: settings.local.sequences,
              ...(settings.local.threads > 0 ? { threads: settings.local.threads } : {}),
              gpuLayers: settings.local.gpuLayers,
              log: (level, message) =>
                level === "error" ? logger.error(`llama.cpp: ${message}`) : logger.debug(`llama.cpp: ${message}`),
            })
          : await this.openers.openRemote({
              preset: choice.preset,
              ...(choice.baseUrl !== undefined ? { baseUrl: choice.baseUrl } : {}),
              model: choice.models.chat,
              ...(choice.models.fim !== undefined ? { fimModel: choice.models.fim } : {}),
              ...(this.remoteApiKey !== undefined ? { apiKey: this.remoteApiKey } : {}),
              apiKeySource: REMOTE_API_KEY_SOURCE,
              validator: new AjvToolValidator(),
            });
      if (this.applied !== settings) {
        // The settings changed again while this engine loaded; the next step replaces it.
        await engine.dispose();
        return;
      }
      this.engine = measuredEngine(engine, ({ timing }) => {
        this.setStatus({ ...this.status, lastTokensPerSecond: Math.round(timing.tokensPerSecond * 10) / 10 });
      });
      const shown = engine.info.model || model;
      logger.info(`engine ready: ${kind} ${shown}`);
      this.setStatus({ state: "ready", kind, model: shown });
    } catch (error) {
      logger.error(`the ${kind} engine did not start`, error);
      this.setStatus({ state: "error", kind, model, problem: { code: "engineFailed", message: describeError(error) } });
    }
  }
}
