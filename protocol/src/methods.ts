/**
 * Every custom LSP method between the Bora extension (client) and the agent host (server).
 *
 * Each method is a namespace holding its method string and its typed `RequestType` or
 * `NotificationType`. No method string is written anywhere else in the code base: both sides
 * import the namespace. `PROTOCOL.md` lists the same methods; a unit test keeps the two in step.
 */
import { NotificationType, RequestType, type WorkDoneProgressParams } from "vscode-languageserver-protocol";
import type { SealedSecret } from "./sealedSecret.js";

/**
 * The version of this protocol. Bumped on any change that an older peer would misread.
 * The host reports it in `bora/version`; the client warns when the major parts differ.
 */
export const PROTOCOL_VERSION = "0.1.0";

/** What the agent host is doing as a whole. */
export type HostState = "starting" | "ready" | "degraded" | "stopping";

/** What the inference engine is doing. `none` means no engine is configured yet. */
export type EngineState = "none" | "loading" | "ready" | "error";

/**
 * What a user can do about a problem, as a button the client offers: `pullModel` runs
 * **Bora: Pull Model…**, `setApiKey` **Bora: Set Remote API Key…**, `openSettings` opens the
 * settings at `Problem.target`, `openLogs` shows the Bora log, `configureIntegration` (later) the
 * integration's settings.
 */
export const PROBLEM_FIXES = ["pullModel", "setApiKey", "openSettings", "openLogs", "configureIntegration"] as const;
export type ProblemFix = (typeof PROBLEM_FIXES)[number];

/**
 * A problem the host reports, the same object in `bora/status` and in a `ResponseError`'s `data`.
 * `code` is stable for programs to branch on; `message` is worded for the front end that shows it.
 */
export interface Problem {
  /** Stable identifier, e.g. `modelMissing`, `remoteUnauthorized`. */
  code: string;
  /** One or two sentences for the user: what is wrong and what to do. */
  message: string;
  /** The button that fixes it. Defaults to none. */
  fix?: ProblemFix;
  /**
   * What the fix acts on: for `openSettings` the settings search (e.g. `bora.models.chat`), for
   * `pullModel` the model reference to offer. Defaults to none.
   */
  target?: string;
}

export interface EngineStatus {
  state: EngineState;
  /** `local` for the in-process engine, `remote` for an OpenAI-compatible server. */
  kind?: "local" | "remote";
  /** Display name of the loaded model, when one is loaded. */
  model?: string;
  /** Decode speed of the most recent generation, in tokens per second. */
  lastTokensPerSecond?: number;
  /** Why the engine cannot run, when `state` is `error` (or `none` with something to do). */
  problem?: Problem;
}

export interface StatusParams {
  host: HostState;
  engine: EngineStatus;
  /** Short text for the status bar tooltip, e.g. why the host is degraded. */
  message?: string;
}

/**
 * `bora/status` — host → client notification.
 *
 * Sent once after `initialized` and again whenever the host or engine state changes, so the
 * extension's status-bar item always shows what the host is doing without polling.
 */
export namespace Status {
  export const method = "bora/status" as const;
  export const type = new NotificationType<StatusParams>(method);
}

export interface VersionParams {
  /** The protocol version the client was built against. */
  clientProtocolVersion: string;
}

export interface VersionResult {
  /** The agent host's own package version. */
  hostVersion: string;
  /** The protocol version the host speaks (`PROTOCOL_VERSION`). */
  protocolVersion: string;
  /** Whether the host considers the client's protocol version compatible (same major part). */
  compatible: boolean;
  /** Names of the optional features this host offers, e.g. `engine.local`. */
  capabilities: string[];
}

/**
 * `bora/version` — client → host request.
 *
 * Asked once after the connection is up, so the client can tell the user when the extension and
 * the host disagree about the protocol (e.g. a remote host of another release).
 */
export namespace Version {
  export const method = "bora/version" as const;
  export const type = new RequestType<VersionParams, VersionResult, void>(method);
}

export interface PullModelParams extends WorkDoneProgressParams {
  /** A GGUF file path, an `https://` URL or `hf:<owner>/<repo>/<file>.gguf`. */
  uri: string;
  /** Expected SHA-256 in hex; the pull fails when the file does not match. */
  sha256?: string;
  /** Name in the model store. Defaults to the file name without `.gguf`. */
  name?: string;
}

export interface PullModelResult {
  name: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  /** True when the store already had the model and nothing was downloaded. */
  alreadyPresent: boolean;
  /** Bytes an earlier, interrupted pull had left that this one reused. */
  resumedFromBytes: number;
}

/**
 * `bora/pullModel` — client → host request.
 *
 * Downloads a model into the host's model store (resuming an interrupted download, verifying it),
 * reporting bytes, rate and time left as `$/progress` on the request's `workDoneToken`; cancelled
 * with `$/cancelRequest`. When the engine was waiting for this model, the host starts it.
 */
export namespace PullModel {
  export const method = "bora/pullModel" as const;
  export const type = new RequestType<PullModelParams, PullModelResult, void>(method);
}

/** Secrets the extension keeps in the editor's secret storage and hands to the host. */
export const SECRET_NAMES = ["remote.apiKey"] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

export interface SetSecretParams {
  /** `remote.apiKey`: the bearer key for the remote engine's server. */
  name: SecretName;
  /** The secret sealed to the host's `secretKey` (see `sealedSecret.ts`), or `null` to forget it. */
  sealed: SealedSecret | null;
}

/** What the host offers in `initialize` under `capabilities.experimental.bora`. */
export interface BoraServerCapabilities {
  protocolVersion: string;
  capabilities: string[];
  /** X25519 public key (base64 SPKI DER) that `bora/setSecret` values are sealed to. */
  secretKey: string;
}

/**
 * `bora/setSecret` — client → host request.
 *
 * Hands the host a secret from the editor's secret storage, after every host start and on every
 * change, sealed so that a message trace does not show it. The host keeps it in memory only: never
 * on disk, in a log, a transcript or a prompt. A changed remote API key reconnects the remote
 * engine. Unknown names and values that do not open are refused with `InvalidParams`.
 */
export namespace SetSecret {
  export const method = "bora/setSecret" as const;
  export const type = new RequestType<SetSecretParams, null, void>(method);
}
