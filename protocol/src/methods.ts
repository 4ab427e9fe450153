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
import { NotificationType, RequestType, type WorkspaceEdit } from "vscode-languageserver-protocol";
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

// --- bora/inlineEdit ---------------------------------------------------------------------------

/**
 * Longest document URI accepted: `file:` URIs follow path limits (4096 bytes on Linux, doubled for
 * percent-encoding), and 8 KiB is what common servers accept in a request line.
 */
export const MAX_DOCUMENT_URI_CHARS = 8192;
/**
 * Longest instruction: what a user types in the edit box is a few sentences; a diagnostic's message
 * with its related information (Fix Problem) runs to a few KiB. 16 KiB holds both with room.
 */
export const MAX_INSTRUCTION_CHARS = 16_384;
/**
 * Most diagnostics sent with one edit. Only those touching the range are sent; a file with more than
 * 64 problems in one selection is better fixed in parts, and each one costs prompt tokens.
 */
export const MAX_EDIT_DIAGNOSTICS = 64;
/** Longest text of one diagnostic field (message, source, code, related message). */
export const MAX_DIAGNOSTIC_TEXT_CHARS = 4096;
/**
 * Longest previous attempt of a follow-up: 1 MiB is far past any context window, so the host's own
 * token check, which gives the numbers, is what refuses an attempt that does not fit.
 */
export const MAX_PREVIOUS_ATTEMPT_CHARS = 1_048_576;

const Position = Type.Object(
  {
    line: Type.Integer({ minimum: 0, description: "Zero-based line." }),
    character: Type.Integer({ minimum: 0, description: "Zero-based UTF-16 offset in the line." }),
  },
  { description: "An LSP position.", examples: [{ line: 4, character: 0 }] },
);
const Range = Type.Object(
  { start: Position, end: Position },
  { description: "An LSP range.", examples: [{ start: { line: 4, character: 0 }, end: { line: 9, character: 0 } }] },
);

const DiagnosticText = Type.String({ maxLength: MAX_DIAGNOSTIC_TEXT_CHARS });

export const EditDiagnostic = Type.Object(
  {
    range: Range,
    message: DiagnosticText,
    severity: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 4, description: "1 error, 2 warning, 3 information, 4 hint." }),
    ),
    code: Type.Optional(Type.Union([Type.Integer(), DiagnosticText])),
    source: Type.Optional(DiagnosticText),
    relatedInformation: Type.Optional(
      Type.Array(
        Type.Object(
          {
            location: Type.Object(
              { uri: Type.String({ maxLength: MAX_DOCUMENT_URI_CHARS }), range: Range },
              {
                examples: [
                  {
                    uri: "file:///work/app/src/sum.ts",
                    range: { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } },
                  },
                ],
              },
            ),
            message: DiagnosticText,
          },
          {
            examples: [
              {
                location: {
                  uri: "file:///work/app/src/sum.ts",
                  range: { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } },
                },
                message: "declared here",
              },
            ],
          },
        ),
        { maxItems: 16 },
      ),
    ),
  },
  {
    description: "An LSP `Diagnostic` (the fields an edit prompt uses).",
    examples: [
      {
        range: { start: { line: 5, character: 2 }, end: { line: 5, character: 9 } },
        message: "Cannot find name 'totl'.",
        severity: 1,
        code: 2304,
        source: "ts",
      },
    ],
  },
);
export type EditDiagnostic = Static<typeof EditDiagnostic>;

export const InlineEditParams = Type.Object(
  {
    textDocument: Type.Object(
      {
        uri: Type.String({ minLength: 1, maxLength: MAX_DOCUMENT_URI_CHARS }),
        version: Type.Integer({ description: "The version the client's range refers to." }),
      },
      {
        description: "The document, opened with `didOpen`, and the version the range refers to.",
        examples: [{ uri: "file:///work/app/src/sum.ts", version: 3 }],
      },
    ),
    range: Range,
    instruction: Type.String({ minLength: 1, maxLength: MAX_INSTRUCTION_CHARS }),
    diagnostics: Type.Optional(
      Type.Array(EditDiagnostic, {
        maxItems: MAX_EDIT_DIAGNOSTICS,
        description:
          "Diagnostics the client knows (from any source) that touch the range; they go into the prompt. Defaults to none.",
      }),
    ),
    previous: Type.Optional(
      Type.Object(
        {
          instruction: Type.String({ minLength: 1, maxLength: MAX_INSTRUCTION_CHARS }),
          text: Type.String({ maxLength: MAX_PREVIOUS_ATTEMPT_CHARS }),
        },
        {
          description:
            "A follow-up: the earlier instruction and what it produced for this same range. The model refines that attempt by `instruction`. Defaults to none (a first attempt).",
          examples: [{ instruction: "use reduce", text: "const sum = xs.reduce((a, b) => a + b, 0);\n" }],
        },
      ),
    ),
    partialResultToken: Type.Optional(
      Type.Union([Type.Integer(), Type.String({ maxLength: MAX_PROGRESS_TOKEN_CHARS })], {
        description:
          "Token for the streamed replacement, reported as `$/progress` values `{ delta }`. Defaults to none.",
      }),
    ),
    workDoneToken: Type.Optional(WorkDoneToken),
  },
  {
    examples: [
      {
        textDocument: { uri: "file:///work/app/src/sum.ts", version: 3 },
        range: { start: { line: 4, character: 0 }, end: { line: 9, character: 0 } },
        instruction: "use reduce",
      },
    ],
  },
);
export type InlineEditParams = Static<typeof InlineEditParams>;

/** One `$/progress` value on an inline edit's `partialResultToken`: the next piece of the replacement. */
export interface InlineEditPartial {
  delta: string;
}

export interface InlineEditStats {
  promptTokens: number;
  generatedTokens: number;
  /** Tokens of the original text the model confirmed in batches instead of generating one by one. */
  predictedTokensAccepted: number;
  /** Milliseconds from the request to its answer. */
  ms: number;
}

export interface InlineEditResult {
  /** One `TextDocumentEdit` for the requested document version, replacing the range. */
  edit: WorkspaceEdit;
  /** `length` when the model stopped at its token limit: the replacement may be cut short. */
  finishReason: "stop" | "length";
  stats: InlineEditStats;
}

/**
 * `bora/inlineEdit` — client → host request.
 *
 * Rewrites `range` of an open document by `instruction` (an empty range inserts at that position).
 * The host builds the prompt from the range, the code around it, the diagnostics sent, the
 * language and the workspace rules, runs the `edit` model with the original text as the prediction,
 * streams the replacement on `partialResultToken`, and answers a `WorkspaceEdit` for exactly the
 * version asked about. A version other than the one the host holds is refused with
 * `ContentModified`; an unknown document or a range outside it with `InvalidParams`; a range too big
 * for the model's context with a `Problem` that gives the numbers. Cancelled with `$/cancelRequest`.
 */
export namespace InlineEdit {
  export const method = "bora/inlineEdit" as const;
  export const direction: Direction = "clientToHost";
  export const params = InlineEditParams;
  export const type = new RequestType<InlineEditParams, InlineEditResult, Problem>(method);
}
