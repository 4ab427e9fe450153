/**
 * Owns the host's engines: turns the engine settings into an `EngineProvider` (the bundled local
 * engine or a remote OpenAI-compatible one, per model role), keeps `bora/status` informed about the
 * chat engine (loading, ready with the model and its recent speed, or a problem worded for the
 * editor), and swaps engines when the settings change. Agents get engines from here and never
 * construct one themselves.
 */
import { chooseEngine, type Engine, type EngineChoice } from "@bora/inference";
import type { BoraSettings, EngineStatus } from "@bora/protocol";
import { SerialQueue, engineSettingsDiffer } from "@bora/protocol";
import type { AgentHost } from "../host/agentHost.js";
import { createEngineProvider, type EngineProvider, type EngineRole, type RoleSpecs } from "./engineProvider.js";
import { localOptionsFromSettings, type EngineSpec } from "./engineSpec.js";
import { measuredEngine } from "./measuredEngine.js";
import { lookupModel, openEngine, type EngineDeps } from "./openEngine.js";
import { problemFor } from "./problems.js";

/** The parts of the store the manager needs beyond the engines': what is pulled, for "pulled but not in use". */
export type ManagerDeps = EngineDeps & { store: EngineDeps["store"] & { list(): Promise<{ name: string }[]> } };

/** What each role runs, from a `chooseEngine` result the settings gave. */
export function roleSpecsFor(
  choice: Exclude<EngineChoice, { kind: "unavailable" }>,
  settings: BoraSettings,
  remoteApiKey: string | undefined,
): RoleSpecs {
  if (choice.kind === "local") {
    const options = localOptionsFromSettings(settings.local);
    const local = (path: string): EngineSpec => ({ kind: "local", model: path, options });
    return {
      chat: local(choice.chat.path),
      edit: local(choice.edit.path),
      ...(choice.fim !== undefined ? { fim: local(choice.fim.path) } : {}),
    };
  }
  const remote = (model: string): EngineSpec => ({
    kind: "remote",
    preset: choice.preset,
    ...(choice.baseUrl !== undefined ? { baseUrl: choice.baseUrl } : {}),
    model,
    // Every role's engine completes with the fim model, so roles on the same model stay one engine.
    ...(choice.models.fim !== undefined ? { fimModel: choice.models.fim } : {}),
    ...(remoteApiKey !== undefined ? { apiKey: remoteApiKey } : {}),
  });
  return {
    chat: remote(choice.models.chat),
    edit: remote(choice.models.edit),
    ...(choice.models.fim !== undefined ? { fim: remote(choice.models.fim) } : {}),
  };
}

export class EngineManager {
  private provider: EngineProvider | undefined;
  /** The chat engine, wrapped so its speed reaches `bora/status`. */
  private chat: Engine | undefined;
  private chatInner: Engine | undefined;
  /** What each role runs, from the settings that started the engines (the remote key included). */
  private specs: RoleSpecs | undefined;
  private applied: BoraSettings | undefined;
  /** The last settings `apply` received, even those that changed no engine. */
  private latest: BoraSettings | undefined;
  /** The kind the last start chose, so a new remote key reconnects only a remote engine. */
  private chosenKind: "local" | "remote" | undefined;
  /** From the editor's secret storage; held in memory only, never logged. */
  private remoteApiKey: string | undefined;
  /** Settings, secrets and retries are applied one at a time, in order. */
  private readonly queue = new SerialQueue();
  private status: EngineStatus = { state: "none" };

  constructor(
    private readonly host: AgentHost,
    private readonly deps: ManagerDeps,
  ) {}

  /** The running chat engine, or undefined while none is configured, loading or after an error. */
  get current(): Engine | undefined {
    return this.chat;
  }

  /**
   * The engine of a role (see `EngineProvider.forRole`): undefined while no engine runs. Rejects
   * when the role's own model fails to open.
   */
  async forRole(role: EngineRole): Promise<Engine | undefined> {
    const provider = this.provider;
    if (provider === undefined || this.chat === undefined) return undefined;
    const engine = await provider.forRole(role);
    return engine === this.chatInner ? this.chat : engine;
  }

  /**
   * The settings the host read last (given to `apply`), or undefined before the first read. The
   * services that use the engines read their own part here (`completions`), so settings reach them
   * the one way they reach the engines.
   */
  get settings(): BoraSettings | undefined {
    return this.latest;
  }

  /** Starts, swaps or stops the engines for these settings; resolves once the change is done. */
  apply(settings: BoraSettings): Promise<void> {
    this.latest = settings;
    return this.enqueue(async () => {
      if (this.applied !== undefined && !engineSettingsDiffer(this.applied, settings)) return;
      this.applied = settings;
      await this.stopEngines();
      await this.startEngines(settings);
    });
  }

  /**
   * Tries the current settings again when they did not give a running engine (a model that was
   * missing has been pulled since, a server that was down is up). Does nothing while one runs.
   */
  retry(): Promise<void> {
    return this.enqueue(async () => {
      const settings = this.applied;
      if (settings === undefined || this.chat !== undefined) return;
      await this.stopEngines();
      await this.startEngines(settings);
    });
  }

  /**
   * What the chat role runs, without its API key: what a durable task records, so that whichever
   * process resumes it opens the same model (keys stay in that process's secrets and environment).
   * Undefined while no engine is configured.
   */
  chatSpec(): EngineSpec | undefined {
    const spec = this.specs?.chat;
    if (spec?.kind !== "remote") return spec;
    const { apiKey: _key, ...withoutKey } = spec;
    return withoutKey;
  }

  /**
   * Opens an engine outside the roles (a durable task recorded with another model than the one the
   * settings run now), with the host's store and HTTP policy. The editor's remote key is not lent to
   * it: the spec may name another server; its key comes from the environment. The caller disposes it.
   */
  openOther(spec: EngineSpec): Promise<Engine> {
    return openEngine(spec, this.deps);
  }

  /** The secrets the editor handed over, for redaction; never for logs. */
  heldSecrets(): string[] {
    return this.remoteApiKey === undefined ? [] : [this.remoteApiKey];
  }

  /**
   * Sets (or with `undefined` forgets) the remote engine's API key. A remote engine, running or
   * refused, is reconnected with it; a local one is left alone.
   */
  setRemoteApiKey(key: string | undefined): Promise<void> {
    return this.enqueue(async () => {
      if (key === this.remoteApiKey) return;
      this.remoteApiKey = key;
      const settings = this.applied;
      if (settings === undefined || this.chosenKind !== "remote") return;
      await this.stopEngines();
      await this.startEngines(settings);
    });
  }

  async dispose(): Promise<void> {
    await this.queue.idle();
    await this.stopEngines();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    return this.queue.run(step);
  }

  private setStatus(status: EngineStatus): void {
    this.status = status;
    this.host.setEngine(status);
  }

  private async stopEngines(): Promise<void> {
    const provider = this.provider;
    this.provider = undefined;
    this.specs = undefined;
    this.chat = undefined;
    this.chatInner = undefined;
    await provider?.dispose();
  }

  /** Store names of the pulled models; none when the store cannot be read (the problem is still worth showing). */
  private async pulledModels(): Promise<string[]> {
    try {
      return (await this.deps.store.list()).map((m) => m.name);
    } catch (error) {
      this.host.logger.warn(`listing the model store: ${(error as Error).message}`);
      return [];
    }
  }

  private async startEngines(settings: BoraSettings): Promise<void> {
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
        (uri) => lookupModel(this.deps.store, uri),
      );
    } catch (error) {
      this.setStatus({ state: "error", problem: problemFor(error, "editor") });
      return;
    }
    this.chosenKind = choice.kind === "unavailable" ? undefined : choice.kind;
    if (choice.kind === "unavailable") {
      const pulled = choice.reason === "unconfigured" && choice.engine === "local" ? await this.pulledModels() : [];
      const problem = problemFor({ ...choice, pulled }, "editor");
      logger.info(problem.message);
      // Nothing configured is not an error, but it still has something to do about it.
      this.setStatus({ state: choice.reason === "unconfigured" ? "none" : "error", problem });
      return;
    }
    const kind = choice.kind;
    const model = kind === "local" ? choice.chat.uri : choice.models.chat;
    this.setStatus({ state: "loading", kind, model });
    this.specs = roleSpecsFor(choice, settings, this.remoteApiKey);
    const provider = createEngineProvider(this.specs, this.deps);
    this.provider = provider;
    try {
      const engine = await provider.forRole("chat");
      if (this.applied !== settings) {
        // The settings changed again while this engine loaded; the next step replaces it.
        await provider.dispose();
        return;
      }
      this.chatInner = engine;
      this.chat = measuredEngine(engine, ({ timing }) => {
        // A generation of one token has no decode rate (see `decodeTokensPerSecond`); the last real one stays shown.
        if (timing.tokensPerSecond <= 0) return;
        this.setStatus({ ...this.status, lastTokensPerSecond: Math.round(timing.tokensPerSecond * 10) / 10 });
      });
      const shown = engine.info.model || model;
      logger.info(`engine ready: ${kind} ${shown}`);
      this.setStatus({ state: "ready", kind, model: shown });
    } catch (error) {
      logger.error(`the ${kind} engine did not start`, error);
      this.setStatus({ state: "error", kind, model, problem: problemFor(error, "editor") });
    }
  }
}
