/**
 * The agent host's state, independent of LSP: what it is doing, what the engine is doing, and who
 * wants to hear about changes. The LSP layer turns changes into `bora/status` notifications.
 */
import type { EngineStatus, HostState, StatusParams } from "@bora/protocol";
import { Spawner } from "../workspace/spawner.js";
import type { Logger } from "./logger.js";

export type StatusListener = (status: StatusParams) => void;

export class AgentHost {
  /** Starts every child process of the host (sandboxed commands, git, search, checks); `stop` ends them all. */
  readonly spawner = new Spawner();
  private state: HostState = "starting";
  private engine: EngineStatus = { state: "none" };
  private message: string | undefined;
  private readonly listeners = new Set<StatusListener>();

  constructor(readonly logger: Logger) {}

  /** Names of the optional features this host offers, reported by `bora/version`. */
  get capabilities(): string[] {
    return ["status", "engine.local", "engine.remote"];
  }

  status(): StatusParams {
    const status: StatusParams = { host: this.state, engine: { ...this.engine } };
    if (this.message !== undefined) status.message = this.message;
    return status;
  }

  onStatus(listener: StatusListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  setState(state: HostState, message?: string): void {
    this.state = state;
    this.message = message;
    this.emit();
  }

  setEngine(engine: EngineStatus): void {
    this.engine = engine;
    this.emit();
  }

  /** Ends everything the host started, and refuses to start more. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.state !== "stopping") this.setState("stopping");
    await this.spawner.close();
  }

  /**
   * Ends everything the host started at once (SIGKILL, no grace), for exits that cannot wait: LSP
   * `exit` without a finished `shutdown`, where the process ends as soon as the handler returns.
   */
  stopNow(): void {
    if (this.state !== "stopping") this.setState("stopping");
    this.spawner.closeNow();
  }

  private emit(): void {
    const status = this.status();
    for (const listener of this.listeners) {
      try {
        listener(status);
      } catch (error) {
        this.logger.error("a status listener failed", error);
      }
    }
  }
}
