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
export const SECRET_NAMES = [
  "remote.apiKey",
  "github.token",
  "jira.token",
  "sentry.token",
  "slack.token",
  "team.databaseUrl",
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
/** The secrets of the trackers, Slack and the team queue (what **Bora: Configure Integrations…** stores). */
/** The team queue's database URL is one too: it holds the database password. */
export const INTEGRATION_SECRET_NAMES = [
  "github.token",
  "jira.token",
  "sentry.token",
  "slack.token",
  "team.databaseUrl",
] as const;
export type IntegrationSecretName = (typeof INTEGRATION_SECRET_NAMES)[number];

export const SetSecretParams = Type.Object(
  {
    name: stringEnum(SECRET_NAMES, {
      description:
        "Which secret: `remote.apiKey`, the bearer key for the remote engine's server; `github.token`, `jira.token` (a Cloud API token with `bora.jira.email`, else a Data Center PAT), `sentry.token`, `slack.token` (a bot token), the integrations' credentials; `team.databaseUrl`, the team's workflow database (a `postgres://` URL, with its password), where **Hand Off to Team** sends tasks and whose tasks the list shows.",
    }),
    sealed: Type.Union([SealedSecret, Type.Null()], {
      description: "The secret sealed to the host's `secretKey` (see `sealedSecret.ts`), or `null` to forget it.",
    }),
  },
  {
    examples: [
      { name: "remote.apiKey", sealed: null },
      { name: "github.token", sealed: null },
    ],
  },
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

// --- tasks: bora/startTask, bora/cancelTask, bora/taskUpdated, bora/requestApproval, bora/askUser, review ---

/**
 * What a task does. Foreground kinds run the agent in the user's workspace; the durable-workflow
 * kinds (`issueToPr`: a work item to a pull request; `background`: an instruction, ending with a
 * branch to review or a PR; each in a worktree of its own) share the ids, the `bora/taskUpdated`
 * notification and `bora/cancelTask`. `bora/startTask` starts the foreground kinds and `background`
 * (`START_TASK_KINDS`); `bora/startIssueToPr` starts an `issueToPr`.
 */
export const TASK_KINDS = ["explain", "writeTests", "free", "issueToPr", "background"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
/** The kinds `bora/startTask` runs in the user's workspace. */
export const FOREGROUND_TASK_KINDS = ["explain", "writeTests", "free"] as const;
export type ForegroundTaskKind = (typeof FOREGROUND_TASK_KINDS)[number];
/** The kinds `bora/startTask` starts: the foreground ones, and `background` (durable, in a worktree). */
export const START_TASK_KINDS = [...FOREGROUND_TASK_KINDS, "background"] as const;

/**
 * Where a task is in its life, for every kind. `waiting` means it waits for the user (an approval,
 * a question). A durable task says more in `state` (`DURABLE_TASK_STATES`); its `status` is that
 * state in these words, so a client that reads only `status` still shows it right.
 */
export const TASK_STATUSES = ["queued", "running", "waiting", "completed", "failed", "cancelled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/**
 * A durable task's state as a user reads it: `needsReview` (the branch waits for a person),
 * `checksFailing` (the checks still fail, the PR is a draft), `done` (the PR is open, the checks
 * pass). A failed durable task waits for `bora/retryTask`.
 */
export const DURABLE_TASK_STATES = [
  "queued",
  "running",
  "waiting",
  "needsReview",
  "checksFailing",
  "done",
  "failed",
  "cancelled",
] as const;
export type DurableTaskState = (typeof DURABLE_TASK_STATES)[number];

/** The `status` of a durable task in `state`: the three ways of ending with a branch or a PR are `completed`. */
export function statusOfDurableState(state: DurableTaskState): TaskStatus {
  return state === "needsReview" || state === "checksFailing" || state === "done" ? "completed" : state;
}

/** A durable task's pull request. */
export interface TaskPullRequest {
  url: string;
  number: number;
  draft: boolean;
}

/** What a durable task says beyond the common fields (in `bora/taskUpdated` and `bora/listTasks`). */
export interface DurableTaskFields {
  state?: DurableTaskState;
  /** The step running or last run (`fetchItem`, `agent`, `checks`, `push`, `pullRequest`, ...). */
  step?: string;
  /** Why the task is in its state, in a sentence (the error of a failed step). */
  reason?: string;
  pr?: TaskPullRequest;
  /** The work branch (`bora/<key>-<slug>`). */
  branch?: string;
  /** The task's worktree on the host's disk. */
  worktree?: string;
  /** The id of the host that runs the task (the workflow executor). */
  executor?: string;
  /** The tool call a task in state `waiting` asks to make (its policy says `ask`); `bora/approve` answers it. */
  approval?: TaskApprovalRequest;
  /** True for a task on the team's queue (`team.databaseUrl`) rather than this host's own database. */
  team?: boolean;
}

/** A durable task's pending question: a tool call, with what it would do and the policy rule that asks. */
export interface TaskApprovalRequest {
  id: string;
  tool: string;
  summary: string;
  reason: string;
}

const durableFieldSchemas = {
  state: Type.Optional(
    stringEnum(DURABLE_TASK_STATES, { description: "A durable task's state (`issueToPr`); absent for the others." }),
  ),
  step: Type.Optional(Type.String({ description: "A durable task's step, running or last run." })),
  reason: Type.Optional(Type.String({ description: "Why a durable task is in its state." })),
  pr: Type.Optional(
    Type.Unsafe<TaskPullRequest>({
      type: "object",
      description: "A durable task's pull request: `{ url, number, draft }`.",
    }),
  ),
  branch: Type.Optional(Type.String({ description: "A durable task's work branch." })),
  worktree: Type.Optional(Type.String({ description: "A durable task's worktree on the host's disk." })),
  executor: Type.Optional(Type.String({ description: "The host (workflow executor id) that runs a durable task." })),
  approval: Type.Optional(
    Type.Unsafe<TaskApprovalRequest>({
      type: "object",
      description: "The tool call a waiting durable task asks to make: `{ id, tool, summary, reason }`.",
    }),
  ),
  team: Type.Optional(
    Type.Boolean({ description: "True for a task on the team's queue rather than this host's own database." }),
  ),
};

/** Longest task id: run ids are a timestamp and a random suffix (22 characters). */
export const MAX_TASK_ID_CHARS = 128;
/**
 * Most files named in a task's scope (`@file` mentions, a multi-selection in the explorer): each is a
 * path in the prompt, and the model reads what it needs with `read_file`.
 */
export const MAX_SCOPE_FILES = 64;
/** Longest workspace-relative path in the review methods: Linux's PATH_MAX. */
export const MAX_TASK_PATH_CHARS = 4096;

const TaskId = Type.String({
  minLength: 1,
  maxLength: MAX_TASK_ID_CHARS,
  description: "The id `bora/startTask` or `bora/startIssueToPr` answered.",
});

export const TaskScope = Type.Object(
  {
    textDocument: Type.Optional(
      Type.Object(
        { uri: Type.String({ minLength: 1, maxLength: MAX_DOCUMENT_URI_CHARS }) },
        { description: "An open document the task is about.", examples: [{ uri: "file:///work/app/src/sum.ts" }] },
      ),
    ),
    range: Type.Optional(Range),
    files: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: MAX_DOCUMENT_URI_CHARS }), {
        maxItems: MAX_SCOPE_FILES,
        description: "Further files (URIs) the task is about, e.g. `@file` mentions. Defaults to none.",
      }),
    ),
  },
  {
    description: "What the task is about. Defaults to the whole workspace.",
    examples: [
      {
        textDocument: { uri: "file:///work/app/src/sum.ts" },
        range: { start: { line: 4, character: 0 }, end: { line: 9, character: 0 } },
      },
    ],
  },
);
export type TaskScope = Static<typeof TaskScope>;

export const StartTaskParams = Type.Object(
  {
    kind: stringEnum(START_TASK_KINDS, { description: "What the task does." }),
    instruction: Type.Optional(
      Type.String({
        maxLength: MAX_INSTRUCTION_CHARS,
        default: "",
        description: "What to do, in the user's words; may be empty for `explain` and `writeTests`. Defaults to empty.",
      }),
    ),
    scope: Type.Optional(TaskScope),
    openPr: Type.Optional(
      Type.Boolean({
        description:
          "`background` only: push the branch and open a pull request on the repository's origin. Defaults to false (the task ends with the branch to review).",
      }),
    ),
  },
  {
    examples: [
      {
        kind: "explain",
        instruction: "",
        scope: {
          textDocument: { uri: "file:///work/app/src/sum.ts" },
          range: { start: { line: 4, character: 0 }, end: { line: 9, character: 0 } },
        },
      },
    ],
  },
);
export type StartTaskParams = Static<typeof StartTaskParams>;

export interface StartTaskResult {
  taskId: string;
}

/**
 * `bora/startTask` — client → host request.
 *
 * Starts an agent task and answers its id at once; progress follows as `bora/taskUpdated`. A task
 * whose scope names a document the host does not hold, or a workspace with no folder, is refused
 * with `InvalidParams`; no model configured is a `RequestFailed` with a `Problem`.
 */
export namespace StartTask {
  export const method = "bora/startTask" as const;
  export const direction: Direction = "clientToHost";
  export const params = StartTaskParams;
  export const type = new RequestType<StartTaskParams, StartTaskResult, Problem>(method);
}

export const TaskIdParams = Type.Object({ taskId: TaskId }, { examples: [{ taskId: "20261206T161500-a1b2c3" }] });
export type TaskIdParams = Static<typeof TaskIdParams>;

/**
 * `bora/cancelTask` — client → host request.
 *
 * Stops a running task: its generation, its commands (the whole process tree) and any question it
 * waits on. Answers once the task has ended; its last `bora/taskUpdated` says `cancelled`. An unknown
 * id is `InvalidParams`; a task that already ended answers at once. A durable task (`issueToPr`)
 * stops at its next step and keeps its worktree and branch; the answer comes once that is recorded.
 */
export namespace CancelTask {
  export const method = "bora/cancelTask" as const;
  export const direction: Direction = "clientToHost";
  export const params = TaskIdParams;
  export const type = new RequestType<TaskIdParams, null, Problem>(method);
}

/** One row of a task's transcript as a client shows it. */
export type TaskItem =
  | { type: "text"; turn: number; text: string }
  | {
      type: "tool";
      /** The tool call's id, unique in the task. */
      id: string;
      turn: number;
      name: string;
      /** What the call does, in one line (a command line, a path). */
      summary: string;
      state: "running" | "ok" | "failed";
      /** The result in one line, once it is known. */
      result?: string;
      ms?: number;
    }
  | {
      type: "approval";
      id: string;
      tool: string;
      summary: string;
      reason: string;
      state: "pending" | "allowed" | "denied";
      /** Who decided: the user, a stored "always", or nobody (a client that cannot answer). */
      by?: "user" | "always" | "headless";
    }
  | { type: "question"; id: string; question: string; options?: string[]; answer?: string; unanswered?: boolean }
  | { type: "notice"; text: string };

/** A file a task changed, against its checkpoint. */
export interface TaskChange {
  status: "added" | "modified" | "deleted";
  /** Relative to the task's root, POSIX separators. */
  path: string;
  /** The file's URI. */
  uri: string;
}

/** How a task ended. */
export interface TaskOutcome {
  ok: boolean;
  /** The agent run's status: `completed`, `cancelled`, `max_turns`, `timeout`, `failed`, … */
  runStatus: string;
  /** Why it ended, in a sentence. */
  reason: string;
  /** The model's final answer. */
  answer: string;
  /** A plain-text summary: status, turns, time, tokens, changed files, commands. */
  summary: string;
  /** The files the task changed, against its checkpoint. */
  changes: TaskChange[];
  /** The checkpoint's git ref, when the task wrote anything. */
  checkpoint?: string;
}

export const TaskUpdatedParams = Type.Object(
  {
    taskId: TaskId,
    seq: Type.Integer({
      minimum: 1,
      description: "Increases with every update of this task: a client ignores an update older than one it has.",
    }),
    kind: stringEnum(TASK_KINDS),
    title: Type.String({ description: "A short title for lists: the kind and what it is about." }),
    status: stringEnum(TASK_STATUSES),
    turn: Type.Integer({ minimum: 0, description: "The model turn the task is in (1-based; 0 before the first)." }),
    tokens: Type.Object(
      { prompt: Type.Integer({ minimum: 0 }), completion: Type.Integer({ minimum: 0 }) },
      { examples: [{ prompt: 1830, completion: 212 }] },
    ),
    elapsedMs: Type.Number({ minimum: 0 }),
    root: Type.String({ description: "The task's root folder (a `file:` URI)." }),
    transcript: Type.String({ description: "The JSONL transcript (redacted) on the host's disk." }),
    from: Type.Integer({
      minimum: 0,
      description:
        "The transcript rows from index `from` on: the client keeps its rows before `from` and replaces the rest with `items`. Rows before `from` never change; the last text row grows as it streams.",
    }),
    items: Type.Array(Type.Unsafe<TaskItem>({ type: "object", description: "A `TaskItem`." })),
    outcome: Type.Optional(Type.Unsafe<TaskOutcome>({ type: "object", description: "Set once the task has ended." })),
    problem: Type.Optional(Problem),
    ...durableFieldSchemas,
  },
  {
    examples: [
      {
        taskId: "20261206T161500-a1b2c3",
        seq: 3,
        kind: "explain",
        title: "Explain sum.ts:5-9",
        status: "running",
        turn: 1,
        tokens: { prompt: 0, completion: 0 },
        elapsedMs: 420,
        root: "file:///work/app",
        transcript: "/home/me/.local/state/bora/runs/20261206T161500-a1b2c3.jsonl",
        from: 0,
        items: [{ type: "text", turn: 1, text: "This function adds" }],
      },
    ],
  },
);
export type TaskUpdatedParams = Static<typeof TaskUpdatedParams>;

/**
 * `bora/taskUpdated` — host → client notification.
 *
 * A task's state and its new transcript rows, at most every 100 ms while it streams and at once on
 * a change of status. The host builds it; no params check.
 */
export namespace TaskUpdated {
  export const method = "bora/taskUpdated" as const;
  export const direction: Direction = "hostToClient";
  export const params = TaskUpdatedParams;
  export const type = new NotificationType<TaskUpdatedParams>(method);
}

export const APPROVAL_DECISIONS = ["once", "always", "deny"] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

export const RequestApprovalParams = Type.Object(
  {
    taskId: TaskId,
    tool: Type.String({ description: "The tool that wants to run, e.g. `run_command`." }),
    summary: Type.String({ description: "What it would do, in one line (the command line, the path written)." }),
    reason: Type.String({ description: "Why the policy asks: the rule that matched." }),
  },
  {
    examples: [
      {
        taskId: "20261206T161500-a1b2c3",
        tool: "run_command",
        summary: "npm test",
        reason: "policy for run_command: ask",
      },
    ],
  },
);
export type RequestApprovalParams = Static<typeof RequestApprovalParams>;

export interface RequestApprovalResult {
  /** `always` also approves the same call in this workspace from now on (stored by the host). */
  decision: ApprovalDecision;
}

/**
 * `bora/requestApproval` — host → client request.
 *
 * Asks the user whether a task's tool call may run ("Allow once", "Always for this workspace",
 * "Deny"). Sent only to a client that said `initializationOptions.questions: true`; any other client
 * gets the headless behaviour (declined, with the reason in the transcript). A dismissed prompt,
 * an error or an answer that is not one of the decisions counts as `deny`.
 */
export namespace RequestApproval {
  export const method = "bora/requestApproval" as const;
  export const direction: Direction = "hostToClient";
  export const params = RequestApprovalParams;
  export const type = new RequestType<RequestApprovalParams, RequestApprovalResult, void>(method);
}

export const AskUserParams = Type.Object(
  {
    taskId: TaskId,
    question: Type.String({ description: "The question, as the model wrote it." }),
    options: Type.Optional(Type.Array(Type.String(), { description: "Choices to offer; none means a free answer." })),
  },
  { examples: [{ taskId: "20261206T161500-a1b2c3", question: "Which test runner?", options: ["mocha", "jest"] }] },
);
export type AskUserParams = Static<typeof AskUserParams>;

export interface AskUserResult {
  /** The answer, or null when the user dismissed the question. */
  answer: string | null;
}

/**
 * `bora/askUser` — host → client request.
 *
 * The model's `ask_user` question, shown as a quick pick (with options) or an input box. Sent only
 * to a client that said `initializationOptions.questions: true`; others leave it unanswered.
 */
export namespace AskUser {
  export const method = "bora/askUser" as const;
  export const direction: Direction = "hostToClient";
  export const params = AskUserParams;
  export const type = new RequestType<AskUserParams, AskUserResult, void>(method);
}

export const TaskFileParams = Type.Object(
  {
    taskId: TaskId,
    path: Type.String({
      minLength: 1,
      maxLength: MAX_TASK_PATH_CHARS,
      description: "A path the task changed, relative to its root, as `TaskChange.path` gives it.",
    }),
  },
  { examples: [{ taskId: "20261206T161500-a1b2c3", path: "src/cart.js" }] },
);
export type TaskFileParams = Static<typeof TaskFileParams>;

export interface TaskFileBaseResult {
  /** The file's text at the task's checkpoint, or null when the task created it. */
  text: string | null;
}

/**
 * `bora/taskFileBase` — client → host request.
 *
 * A changed file as it was before the task (at its checkpoint), for the review diff. A path the task
 * did not change, or a task with no checkpoint, is `InvalidParams`.
 */
export namespace TaskFileBase {
  export const method = "bora/taskFileBase" as const;
  export const direction: Direction = "clientToHost";
  export const params = TaskFileParams;
  export const type = new RequestType<TaskFileParams, TaskFileBaseResult, Problem>(method);
}

export const UndoTaskChangesParams = Type.Object(
  {
    taskId: TaskId,
    paths: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: MAX_TASK_PATH_CHARS }), {
        description: "The changed paths to put back (relative to the task's root). Defaults to all of them.",
      }),
    ),
  },
  { examples: [{ taskId: "20261206T161500-a1b2c3", paths: ["src/cart.js"] }] },
);
export type UndoTaskChangesParams = Static<typeof UndoTaskChangesParams>;

export interface UndoTaskChangesResult {
  /** What was put back: modified and deleted files restored, added files removed. */
  restored: TaskChange[];
  /** What the task changed and is still changed (the files not asked for). */
  remaining: TaskChange[];
}

/**
 * `bora/undoTaskChanges` — client → host request.
 *
 * Puts files a finished task changed back as they were at its checkpoint (including files changed by
 * its commands), byte for byte; an added file is removed. Refused with `InvalidParams` while the
 * task runs, for a path it did not change, or for a task with no checkpoint.
 */
export namespace UndoTaskChanges {
  export const method = "bora/undoTaskChanges" as const;
  export const direction: Direction = "clientToHost";
  export const params = UndoTaskChangesParams;
  export const type = new RequestType<UndoTaskChangesParams, UndoTaskChangesResult, Problem>(method);
}

// --- durable tasks: bora/startIssueToPr, bora/listTasks, bora/retryTask, bora/approve ------------

/** Longest REF: an issue URL with a query stays well under 2 KiB; the request line limit is 8 KiB. */
export const MAX_WORK_ITEM_REF_CHARS = 2048;
/** Longest branch name: git refs have no limit of their own, but file systems cap a name at 255 bytes. */
export const MAX_BRANCH_CHARS = 255;
/** Longest approval note: a sentence or two for the task's record. */
export const MAX_APPROVAL_NOTE_CHARS = 4096;

/** The trackers a REF may come from. */
export const WORK_ITEM_SOURCES = ["github", "jira", "sentry"] as const;

export const StartIssueToPrParams = Type.Object(
  {
    ref: Type.String({
      minLength: 1,
      maxLength: MAX_WORK_ITEM_REF_CHARS,
      description: "The work item: an issue URL, `OWNER/NAME#N`, a Jira key, a Sentry issue id.",
    }),
    source: Type.Optional(
      stringEnum(WORK_ITEM_SOURCES, { description: "Which tracker `ref` is in. Defaults to the one `ref` names." }),
    ),
    folder: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_DOCUMENT_URI_CHARS,
        description: "The workspace folder (a `file:` URI) whose repository gets the PR. Defaults to the first.",
      }),
    ),
    base: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_BRANCH_CHARS,
        description: "The branch to start from and to target. Defaults to the folder's current branch.",
      }),
    ),
    check: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_INSTRUCTION_CHARS,
        description:
          "The check command, run sandboxed in the worktree. Defaults to `npm test` when package.json has a test script, else none.",
      }),
    ),
    approve: Type.Optional(
      Type.Boolean({
        description:
          "Wait for `bora/approve` before committing. Defaults to the setting `bora.workflows.approve` (off).",
      }),
    ),
  },
  { examples: [{ ref: "acme/shop#12", check: "npm test", approve: true }] },
);
export type StartIssueToPrParams = Static<typeof StartIssueToPrParams>;

export interface StartIssueToPrResult {
  /** The task id; it derives from the work item and the repository. */
  taskId: string;
  /** True when a task for this item and repository existed (started by the CLI or earlier) and this joined it. */
  attached: boolean;
}

/**
 * `bora/startIssueToPr` — client → host request.
 *
 * Queues a durable issue-to-PR task (or attaches to the one that exists for the same item and
 * repository) and answers at once; progress follows as `bora/taskUpdated` with kind `issueToPr`.
 * A folder that is not in a git repository, or a REF no tracker takes, is `InvalidParams`; no model
 * running is a `RequestFailed` with the engine's `Problem`.
 */
export namespace StartIssueToPr {
  export const method = "bora/startIssueToPr" as const;
  export const direction: Direction = "clientToHost";
  export const params = StartIssueToPrParams;
  export const type = new RequestType<StartIssueToPrParams, StartIssueToPrResult, Problem>(method);
}

export const ListTasksParams = Type.Object({}, { examples: [{}] });
export type ListTasksParams = Static<typeof ListTasksParams>;

/** One task in `bora/listTasks`: the common fields of every kind, and a durable task's own. */
export interface ListedTask extends DurableTaskFields {
  taskId: string;
  kind: TaskKind;
  title: string;
  status: TaskStatus;
  /** When the task was created (milliseconds since the epoch). */
  createdAt: number;
  /** The task's root folder (`file:` URI): the workspace folder, or a durable task's repository. */
  root?: string;
}

export interface ListTasksResult {
  /** Newest first. */
  tasks: ListedTask[];
  /** Why the durable tasks are missing from the list, when they could not be read (the database is held by another process, say). */
  problem?: Problem;
}

/**
 * `bora/listTasks` — client → host request.
 *
 * Every task the host knows: the foreground tasks it runs or ran, and the durable tasks recorded in
 * the workflow database (those the CLI started too). A host that never ran a durable task does not
 * start the database for this.
 */
export namespace ListTasks {
  export const method = "bora/listTasks" as const;
  export const direction: Direction = "clientToHost";
  export const params = ListTasksParams;
  export const type = new RequestType<ListTasksParams, ListTasksResult, Problem>(method);
}

/**
 * `bora/retryTask` — client → host request.
 *
 * Runs a failed durable task's failed step again (after the user fixed the cause). A task that has
 * not failed, or an unknown id, is `InvalidParams`. Answers `{}` once the retry is sent; progress
 * follows as `bora/taskUpdated`.
 */
export namespace RetryTask {
  export const method = "bora/retryTask" as const;
  export const direction: Direction = "clientToHost";
  export const params = TaskIdParams;
  export const type = new RequestType<TaskIdParams, Record<string, never>, Problem>(method);
}

export const ApproveParams = Type.Object(
  {
    taskId: TaskId,
    approved: Type.Boolean({
      description:
        "At the approval gate, true lets the task commit and open its PR and false ends it, keeping its worktree and branch; for a tool call (`approval` in the task's update), true runs the call and false tells the agent it was declined.",
    }),
    note: Type.Optional(
      Type.String({ maxLength: MAX_APPROVAL_NOTE_CHARS, description: "Why, for the task's record. Defaults to none." }),
    ),
  },
  { examples: [{ taskId: "issue-acme-shop-12-0123456789", approved: true }] },
);
export type ApproveParams = Static<typeof ApproveParams>;

/**
 * `bora/approve` — client → host request.
 *
 * Answers a durable task that waits for approval (`state: waiting`, step `approval`). The answer is
 * kept in the workflow database, so it reaches the task even across a host restart. A task that
 * does not wait for approval, or an unknown id, is `InvalidParams`.
 */
export namespace Approve {
  export const method = "bora/approve" as const;
  export const direction: Direction = "clientToHost";
  export const params = ApproveParams;
  export const type = new RequestType<ApproveParams, Record<string, never>, Problem>(method);
}

// --- moving tasks: bora/handOffTask, bora/checkOutTask ----------------------------------------------

export interface HandOffTaskResult {
  /** The recorded steps the task took with it; the team's worker continues after the last. */
  operations: number;
  /** The work branch pushed with the worktree as it was (edits made there included), when the task had one. */
  branch?: string;
}

/**
 * `bora/handOffTask` — client → host request.
 *
 * Sends an unfinished durable task of this host to the team's queue (the `team.databaseUrl` secret,
 * or `BORA_TEAM_DATABASE_URL` in the host's environment): its run here stops, its worktree is
 * committed and pushed to the work branch, and it is queued for the team with what it recorded, so
 * a worker continues from its last recorded step. Answers once it is queued. No team database, an
 * unknown id, a task that ended, or a host whose own database is the team's is `InvalidParams`.
 */
export namespace HandOffTask {
  export const method = "bora/handOffTask" as const;
  export const direction: Direction = "clientToHost";
  export const params = TaskIdParams;
  export const type = new RequestType<TaskIdParams, HandOffTaskResult, Problem>(method);
}

export const CheckOutTaskParams = Type.Object(
  {
    taskId: TaskId,
    folder: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_DOCUMENT_URI_CHARS,
        description:
          "The workspace folder (a `file:` URI) whose repository gets the worktree; it must push to the task's origin. Defaults to the first.",
      }),
    ),
  },
  { examples: [{ taskId: "issue-acme-shop-12-0123456789" }] },
);
export type CheckOutTaskParams = Static<typeof CheckOutTaskParams>;

export interface CheckOutTaskResult {
  /** The worktree (a path on the host's disk) with the work branch checked out, to open in the editor. */
  dir: string;
  branch: string;
  /** How the team's task stood when it was stopped for this (it was still running), e.g. `[approval] waiting`. */
  stopped?: string;
  /** The worktree was there already with changes of its own: the team's newer commits were not merged into it. */
  diverged?: boolean;
}

/**
 * `bora/checkOutTask` — client → host request.
 *
 * Brings a durable task's work branch to this machine for the user to carry on: for a task of this
 * host, its worktree as it is; for a team task (`team: true` in the list), the branch is fetched into
 * a worktree of the folder's repository, after the team's task is stopped when it still runs (so
 * two hands never write the branch). A task with no branch yet, a folder whose origin is not the
 * task's, or a local branch with commits the team's lacks is `InvalidParams`.
 */
export namespace CheckOutTask {
  export const method = "bora/checkOutTask" as const;
  export const direction: Direction = "clientToHost";
  export const params = CheckOutTaskParams;
  export const type = new RequestType<CheckOutTaskParams, CheckOutTaskResult, Problem>(method);
}

// --- work items: bora/listWorkItems, bora/getWorkItem -----------------------------------------------

/** Longest tracker query: JQL and search strings are a line or two; the bound refuses a pasted file. */
export const MAX_WORK_ITEM_QUERY_CHARS = 4096;
/**
 * Most items per source in one list: five pages of 100 (the largest page GitHub, Jira and Sentry
 * serve), so one list costs at most five requests per tracker. A list longer than this is no longer
 * read row by row; the user narrows the query instead.
 */
export const MAX_WORK_ITEMS = 500;

/** How many more items the Work Items view's **Load more…** asks for: one page of each tracker's API. */
export const WORK_ITEMS_PAGE = 100;

export const ListWorkItemsParams = Type.Object(
  {
    source: Type.Optional(
      stringEnum(WORK_ITEM_SOURCES, { description: "Only this tracker. Defaults to every configured one." }),
    ),
    query: Type.Optional(
      Type.String({
        maxLength: MAX_WORK_ITEM_QUERY_CHARS,
        description:
          "The tracker's own query (a GitHub search, JQL, a Sentry search) instead of the default; with `source` only. Defaults to the setting's (`bora.<source>.query`) or Bora's default.",
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_WORK_ITEMS,
        default: 50,
        description: `Most items per tracker (at most ${MAX_WORK_ITEMS}). Defaults to 50.`,
      }),
    ),
  },
  { examples: [{}, { source: "jira", query: "project = SHOP AND statusCategory != Done" }] },
);
export type ListWorkItemsParams = Static<typeof ListWorkItemsParams>;

/** A work item as a list shows it. */
export interface WorkItemRow {
  source: (typeof WORK_ITEM_SOURCES)[number];
  /** What `bora/startIssueToPr` and `bora/getWorkItem` take: `owner/repo#12`, `ABC-12`, a Sentry id. */
  key: string;
  title: string;
  /** The tracker's own status name (`open`, `In Progress`, `unresolved`). */
  status: string;
  url: string;
  /** When the item last changed (ISO 8601), where the tracker says. */
  updatedAt?: string;
  assignee?: string;
}

/** One tracker's part of the list: its items, or why there are none. */
export interface WorkItemGroup {
  source: (typeof WORK_ITEM_SOURCES)[number];
  /** The query that ran, for the user to read and refine. */
  query: string;
  items: WorkItemRow[];
  /**
   * The tracker returned as many items as asked for (`limit`), so it may have more: ask again for
   * this `source` with a larger `limit` (at most `MAX_WORK_ITEMS`). Absent when it returned fewer.
   */
  more?: true;
  /** Why the tracker could not be read (a refused token, a rate limit with its reset time, offline), with the fix. */
  problem?: Problem;
}

export interface ListWorkItemsResult {
  /** One per configured tracker (GitHub, Jira, Sentry, in that order); none configured lists none. */
  groups: WorkItemGroup[];
}

/**
 * `bora/listWorkItems` — client → host request.
 *
 * The work items that matter, per configured tracker: by default GitHub issues assigned to the user
 * in the workspace's repository, Jira "assignee = currentUser() AND statusCategory != Done", the
 * Sentry project's unresolved issues. A tracker that fails answers its group with a `problem`; the
 * others still list.
 */
export namespace ListWorkItems {
  export const method = "bora/listWorkItems" as const;
  export const direction: Direction = "clientToHost";
  export const params = ListWorkItemsParams;
  export const type = new RequestType<ListWorkItemsParams, ListWorkItemsResult, Problem>(method);
}

export const GetWorkItemParams = Type.Object(
  {
    ref: Type.String({
      minLength: 1,
      maxLength: MAX_WORK_ITEM_REF_CHARS,
      description: "The work item: an issue URL, `OWNER/NAME#N`, a Jira key, a Sentry issue id.",
    }),
    source: Type.Optional(
      stringEnum(WORK_ITEM_SOURCES, { description: "Which tracker `ref` is in. Defaults to the one `ref` names." }),
    ),
  },
  { examples: [{ ref: "acme/shop#12" }, { ref: "4000001", source: "sentry" }] },
);
export type GetWorkItemParams = Static<typeof GetWorkItemParams>;

/** A stack frame of a Sentry error, with the workspace file it maps to when there is one. */
export interface WorkItemFrame {
  file: string;
  /** Relative to the workspace folder, when the file exists there. */
  workspacePath?: string;
  line?: number;
  column?: number;
  function?: string;
  inApp: boolean;
}

/** A work item with what a details view shows. */
export interface WorkItemDetails extends WorkItemRow {
  /** Markdown. */
  body: string;
  labels: string[];
  comments: { author: string; body: string; createdAt: string; url?: string }[];
  stackTraces: { type?: string; message?: string; frames: WorkItemFrame[] }[];
}

/**
 * `bora/getWorkItem` — client → host request.
 *
 * One work item with its text, comments and, for a Sentry error, its latest event's stack trace
 * with frames mapped onto the workspace. A REF no configured tracker takes is `InvalidParams`; a
 * tracker that fails is `RequestFailed` with the `Problem`.
 */
export namespace GetWorkItem {
  export const method = "bora/getWorkItem" as const;
  export const direction: Direction = "clientToHost";
  export const params = GetWorkItemParams;
  export const type = new RequestType<GetWorkItemParams, { item: WorkItemDetails }, Problem>(method);
}

// --- integrations: bora/checkIntegration ---------------------------------------------------------

/** The services Bora talks to besides the model: the trackers, and Slack. */
export const INTEGRATION_SERVICES = ["github", "jira", "sentry", "slack"] as const;
export type IntegrationService = (typeof INTEGRATION_SERVICES)[number];

export const CheckIntegrationParams = Type.Object(
  { service: stringEnum(INTEGRATION_SERVICES, { description: "Which service to check." }) },
  { examples: [{ service: "github" }] },
);
export type CheckIntegrationParams = Static<typeof CheckIntegrationParams>;

export interface CheckIntegrationResult {
  service: IntegrationService;
  /** Who the credential signs in as (a login, a name, a workspace); set when the check passed. */
  account?: string;
  /** What the credential lacks for Bora's work (missing scopes), when the service says. */
  missing?: string[];
  /** Why the check failed, with its fix; absent when it passed. */
  problem?: Problem;
}

/**
 * `bora/checkIntegration` — client → host request.
 *
 * One cheap authenticated call with the service's configuration as the host holds it now (settings,
 * secrets, environment): who the credential is, and what it lacks. A service that is not configured,
 * or that refuses the credential, answers with `problem` (the request itself succeeds).
 */
export namespace CheckIntegration {
  export const method = "bora/checkIntegration" as const;
  export const direction: Direction = "clientToHost";
  export const params = CheckIntegrationParams;
  export const type = new RequestType<CheckIntegrationParams, CheckIntegrationResult, Problem>(method);
}
