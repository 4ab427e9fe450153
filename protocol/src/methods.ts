/**
 * Every custom LSP method between the Bora extension (client) and the agent host (server).
 *
 * Each method is a namespace holding its method string, who sends it (`direction`), the schema of
 * its params (`params`, a TypeBox schema: plain JSON Schema that the TypeScript type derives from)
 * and its typed `RequestType` or `NotificationType`. No method string is written anywhere else in
 * the code base: both sides import the namespace. The host checks every incoming message against
 * `params` before a handler runs (`server/src/lsp/params.ts`), so a handler only ever sees params
 * that match it, with documented defaults filled in. `PROTOCOL.md` lists the same methods and
 * params; a unit test keeps the two in step.
 */
import { Type, type Static } from "@sinclair/typebox";
import { NotificationType, RequestType } from "vscode-languageserver-protocol";
import { Problem } from "./problems.js";
import { stringEnum } from "./schema.js";
import { SealedSecret } from "./sealedSecret.js";

/**
 * The version of this protocol. Bumped on any change that an older peer would misread.
 * The host reports it in `bora/version`; the client warns when the major parts differ.
 */
export const PROTOCOL_VERSION = "0.2.0";

/** Who sends a method: the client to the host (the host checks its params) or the reverse. */
export type Direction = "clientToHost" | "hostToClient";

/**
 * Longest model reference (`https://` URL, `hf:` reference or path) accepted. Real URLs with a
 * signed query stay under 2 KiB; 8 KiB is what common servers accept in a request line.
 */
export const MAX_MODEL_URI_CHARS = 8192;
/** Longest version string: semver with a pre-release and build part fits in well under 64. */
export const MAX_VERSION_CHARS = 64;
/** Longest store name of a model: a file name without `.gguf`; file systems allow 255 bytes. */
export const MAX_MODEL_NAME_CHARS = 255;
/** Longest `workDoneToken` string: clients use UUIDs (36 characters). */
export const MAX_PROGRESS_TOKEN_CHARS = 256;

/** The `workDoneToken` of LSP's `WorkDoneProgressParams`: the client's id for `$/progress` reports. */
const WorkDoneToken = Type.Union([Type.Integer(), Type.String({ maxLength: MAX_PROGRESS_TOKEN_CHARS })], {
  description: "Token for `$/progress` reports of this request (LSP `WorkDoneProgressParams`). Defaults to none.",
});

// --- bora/status -------------------------------------------------------------------------------

export const HostState = Type.Union(
  [Type.Literal("starting"), Type.Literal("ready"), Type.Literal("degraded"), Type.Literal("stopping")],
  { description: "What the agent host is doing as a whole." },
);
/** What the agent host is doing as a whole. */
export type HostState = Static<typeof HostState>;

export const EngineState = Type.Union(
  [Type.Literal("none"), Type.Literal("loading"), Type.Literal("ready"), Type.Literal("error")],
  { description: "What the inference engine is doing; `none` means no engine is configured yet." },
);
/** What the inference engine is doing. `none` means no engine is configured yet. */
export type EngineState = Static<typeof EngineState>;

export const EngineStatus = Type.Object({
  state: EngineState,
  kind: Type.Optional(
    Type.Union([Type.Literal("local"), Type.Literal("remote")], {
      description: "`local` for the in-process engine, `remote` for an OpenAI-compatible server.",
    }),
  ),
  model: Type.Optional(Type.String({ description: "Display name of the loaded model, when one is loaded." })),
  lastTokensPerSecond: Type.Optional(
    Type.Number({ description: "Decode speed of the most recent generation, in tokens per second." }),
  ),
  /** Why the engine cannot run, when `state` is `error` (or `none` with something to do). */
  problem: Type.Optional(Problem),
});
export type EngineStatus = Static<typeof EngineStatus>;

export const StatusParams = Type.Object(
  {
    host: HostState,
    engine: EngineStatus,
    message: Type.Optional(
      Type.String({ description: "Short text for the status bar tooltip, e.g. why the host is degraded." }),
    ),
  },
  { examples: [{ host: "ready", engine: { state: "ready", kind: "local", model: "qwen2.5-coder-1.5b" } }] },
);
export type StatusParams = Static<typeof StatusParams>;

/**
 * `bora/status` — host → client notification.
 *
 * Sent once after `initialized` and again whenever the host or engine state changes, so the
 * extension's status-bar item always shows what the host is doing without polling.
 */
export namespace Status {
  export const method = "bora/status" as const;
  export const direction: Direction = "hostToClient";
  export const params = StatusParams;
  export const type = new NotificationType<StatusParams>(method);
}

// --- bora/version ------------------------------------------------------------------------------

export const VersionParams = Type.Object(
  {
    clientProtocolVersion: Type.Optional(
      Type.String({
        maxLength: MAX_VERSION_CHARS,
        description:
          "The protocol version the client was built against. Defaults to none: the host then has nothing to judge and reports `compatible: true`.",
      }),
    ),
  },
  { examples: [{ clientProtocolVersion: PROTOCOL_VERSION }] },
);
export type VersionParams = Static<typeof VersionParams>;

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
 * the host disagree about the protocol (e.g. a remote host of another release). Any LSP client may
 * ask it with `{}`.
 */
export namespace Version {
  export const method = "bora/version" as const;
  export const direction: Direction = "clientToHost";
  export const params = VersionParams;
  export const type = new RequestType<VersionParams, VersionResult, void>(method);
}

// --- bora/pullModel ----------------------------------------------------------------------------

export const PullModelParams = Type.Object(
  {
    uri: Type.String({
      minLength: 1,
      maxLength: MAX_MODEL_URI_CHARS,
      description: "A GGUF file path, an `https://` URL or `hf:<owner>/<repo>/<file>.gguf`.",
    }),
    sha256: Type.Optional(
      Type.String({
        maxLength: 64,
        pattern: "^[0-9a-fA-F]{64}$",
        description: "Expected SHA-256 in hex; the pull fails when the file does not match. Defaults to none.",
      }),
    ),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_MODEL_NAME_CHARS,
        description: "Name in the model store. Defaults to the file name without `.gguf`.",
      }),
    ),
    workDoneToken: Type.Optional(WorkDoneToken),
  },
  { examples: [{ uri: "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" }] },
);
export type PullModelParams = Static<typeof PullModelParams>;

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
 * with `$/cancelRequest`. When the engine was waiting for this model, the host starts it. A failed
 * pull's `ResponseError.data` is a `Problem`.
 */
export namespace PullModel {
  export const method = "bora/pullModel" as const;
  export const direction: Direction = "clientToHost";
  export const params = PullModelParams;
  export const type = new RequestType<PullModelParams, PullModelResult, Problem>(method);
}

// --- bora/setSecret ----------------------------------------------------------------------------

/** Secrets the extension keeps in the editor's secret storage and hands to the host. */
export const SECRET_NAMES = ["remote.apiKey"] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

export const SetSecretParams = Type.Object(
  {
    name: stringEnum(SECRET_NAMES, {
      description: "Which secret: `remote.apiKey`, the bearer key for the remote engine's server.",
    }),
    sealed: Type.Union([SealedSecret, Type.Null()], {
      description: "The secret sealed to the host's `secretKey` (see `sealedSecret.ts`), or `null` to forget it.",
    }),
  },
  { examples: [{ name: "remote.apiKey", sealed: null }] },
);
export type SetSecretParams = Static<typeof SetSecretParams>;

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
  export const direction: Direction = "clientToHost";
  export const params = SetSecretParams;
  export const type = new RequestType<SetSecretParams, null, Problem>(method);
}
