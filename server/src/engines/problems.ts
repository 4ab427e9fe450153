/**
 * Words problems for the front end that shows them. `inference/` reports codes and facts (a role
 * without a model, a reference that is not on disk and whether it can be pulled, a refused key and
 * the environment variables it was looked for in); this module turns them into a `Problem` whose
 * message says what to do where the user is: the editor names its commands and settings and sets
 * `fix` for the button that does it, the CLI names terminal commands, flags and environment
 * variables. The same `Problem` travels in `bora/status` and in a `ResponseError`'s `data`.
 */
import {
  EngineError,
  ModelStoreError,
  ModelUriError,
  RemoteEngineError,
  type EngineChoice,
  type MissingModel,
  type ModelReferenceKind,
  type ModelRole,
} from "@bora/inference";
import type { Problem, ProblemFix } from "@bora/protocol";
import { ModelNotHereError } from "./openEngine.js";

/** Who reads the problem: the editor (buttons, commands, settings) or a terminal (commands, flags, variables). */
export type FrontEnd = "editor" | "cli";

/** Every code a problem may carry; stable for programs to branch on. */
export type ProblemCode =
  /** No chat model is set and the store has none to offer. */
  | "modelUnconfigured"
  /** No chat model is set, but models are pulled: one only needs choosing. */
  | "modelUnused"
  /** A model reference is not on this machine (pullable or not: see `fix`). */
  | "modelMissing"
  /** A model reference is malformed. */
  | "modelReferenceInvalid"
  /** The model file is there but cannot run (not a GGUF, cut short, unknown architecture). */
  | "modelUnusable"
  | "engineOutOfMemory"
  /** Any other engine failure. */
  | "engineFailed"
  /** A scripted model's file is unreadable or malformed. */
  | "scriptInvalid"
  /** The remote engine is chosen but no model name is set. */
  | "remoteModelUnconfigured"
  /** The server refused the API key, or wanted one and got none. */
  | "remoteUnauthorized"
  /** The server does not serve the model. */
  | "remoteModelNotFound"
  /** The base URL has no OpenAI API under it. */
  | "remoteEndpointNotFound"
  /** The server could not be reached or did not answer in time. */
  | "remoteUnreachable"
  /** Any other remote failure (rate limits, server errors, refused requests). */
  | "remoteFailed"
  | "pullCancelled"
  | "pullFailed"
  /** Anything else: the log has the details. */
  | "unexpected";

export interface CodedProblem extends Problem {
  code: ProblemCode;
}

/** The facts of an engine that cannot start, with the store names of the models already pulled. */
export type UnavailableEngine = Extract<EngineChoice, { kind: "unavailable" }> & {
  /** Store names of the models in the store, for "pulled but not in use". Defaults to none. */
  pulled?: readonly string[];
};

/** The editor's commands, as their palette titles read. */
const PULL_MODEL = "Bora: Pull Model…";
const SET_API_KEY = "Bora: Set Remote API Key…";

const SETTING_OF_ROLE: Record<ModelRole, string> = {
  chat: "bora.models.chat",
  edit: "bora.models.edit",
  fim: "bora.models.fim",
};

/** Quotes for a POSIX shell only when needed, so a suggested command can be pasted as it is. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function problem(code: ProblemCode, message: string, fix?: ProblemFix, target?: string): CodedProblem {
  return { code, message, ...(fix !== undefined ? { fix } : {}), ...(target !== undefined ? { target } : {}) };
}

function isUnavailable(value: unknown): value is UnavailableEngine {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "unavailable";
}

function unconfigured(facts: UnavailableEngine, frontEnd: FrontEnd): CodedProblem {
  const pulled = facts.pulled ?? [];
  if (facts.engine === "remote") {
    return frontEnd === "editor"
      ? problem(
          "remoteModelUnconfigured",
          "No remote model is configured: set bora.models.chat to the model name your server lists at /v1/models.",
          "openSettings",
          SETTING_OF_ROLE.chat,
        )
      : problem(
          "remoteModelUnconfigured",
          "no remote model given: pass --model with the model name your server lists at /v1/models.",
        );
  }
  if (pulled.length > 0) {
    const names = pulled.join(", ");
    const first = pulled[0]!;
    return frontEnd === "editor"
      ? problem(
          "modelUnused",
          `${pulled.length === 1 ? `Model ${names} is` : `Models ${names} are`} pulled but not in use: set bora.models.chat to ${pulled.length === 1 ? "it" : "one of them"} (e.g. "${first}").`,
          "openSettings",
          SETTING_OF_ROLE.chat,
        )
      : problem(
          "modelUnused",
          `no model given; ${names} ${pulled.length === 1 ? "is" : "are"} pulled but not in use: pass --model ${shellWord(first)}.`,
        );
  }
  return frontEnd === "editor"
    ? problem(
        "modelUnconfigured",
        `No model is configured: pull one with ${PULL_MODEL} (a GGUF from Hugging Face or a URL), or set bora.models.chat to a GGUF file.`,
        "pullModel",
      )
    : problem(
        "modelUnconfigured",
        "no model given: pass --model with a GGUF file or a store name, or pull one first with 'bora models pull hf:<owner>/<repo>/<file>.gguf'.",
      );
}

/** The facts of one reference that is not on this machine, from `chooseEngine` or `openEngine`. */
interface MissingFacts {
  role?: ModelRole;
  uri: string;
  downloadable: boolean;
  kind: ModelReferenceKind;
  /** For a file or a bare word: the absolute path that was looked for. */
  path?: string;
}

/**
 * One sentence about one missing reference, by its kind: only a URL or `hf:` reference is "pull
 * it"; a store name that is not there or a path that does not exist is a setting to fix.
 */
function missingSentence(missing: MissingFacts, frontEnd: FrontEnd): string {
  const which = missing.role === undefined ? "The model" : `The ${missing.role} model`;
  const file = missing.path ?? missing.uri;
  if (frontEnd === "cli") {
    switch (missing.kind) {
      case "url":
      case "huggingFace":
        return `the model ${missing.uri} is not on this machine; pull it first with 'bora models pull ${shellWord(missing.uri)}'.`;
      case "storeName":
        return (
          `the model '${missing.uri}' is not on this machine: the model store has no model of that name and there is no file ${file}. ` +
          `'bora models list' shows the store; 'bora models pull <hf:owner/repo/file.gguf | https://...>' adds a model.`
        );
      case "file":
        return `the model file ${file} is not on this machine: there is no such file; check the path ('bora models list' shows the models in the store).`;
    }
  }
  const setting = SETTING_OF_ROLE[missing.role ?? "chat"];
  switch (missing.kind) {
    case "url":
    case "huggingFace":
      return `${which} ${missing.uri} is not downloaded yet: ${PULL_MODEL} fetches it.`;
    case "storeName":
      return `${which} ${missing.uri} is not a model in the store (nor a file of that name): fix ${setting}, or pull a model with ${PULL_MODEL} and use it.`;
    case "file":
      return `${which} ${file} does not exist: fix ${setting}, or pull a model with ${PULL_MODEL} and use it.`;
  }
}

function missingModels(list: readonly (MissingModel | ModelNotHereError)[], frontEnd: FrontEnd): CodedProblem {
  const facts: MissingFacts[] = list.map((m) => ({
    ...(m instanceof ModelNotHereError ? {} : { role: m.role }),
    uri: m.uri,
    downloadable: m.downloadable,
    kind: m.kind,
    ...(m.path !== undefined ? { path: m.path } : {}),
  }));
  const message = facts.map((m) => missingSentence(m, frontEnd)).join(" ");
  if (frontEnd === "cli") return problem("modelMissing", message);
  // The button fixes the first pullable reference; a path or a name can only be fixed in the settings.
  const pullable = facts.find((m) => m.downloadable);
  return pullable !== undefined
    ? problem("modelMissing", message, "pullModel", pullable.uri)
    : problem("modelMissing", message, "openSettings", SETTING_OF_ROLE[facts[0]?.role ?? "chat"]);
}

function remoteProblem(error: RemoteEngineError, frontEnd: FrontEnd): CodedProblem {
  const editor = frontEnd === "editor";
  switch (error.reason) {
    case "unauthorized": {
      if (editor) return problem("remoteUnauthorized", `${error.message} Set the key with ${SET_API_KEY}`, "setApiKey");
      const variables = (error.apiKeyFacts?.env ?? ["BORA_REMOTE_API_KEY"]).map((v) => `$${v}`).join(" or ");
      return problem(
        "remoteUnauthorized",
        `${error.message} ${error.apiKeyFacts?.sent === false ? "Set" : "Check"} the key in ${variables}.`,
      );
    }
    case "modelNotFound":
      return editor
        ? problem("remoteModelNotFound", error.message, "openSettings", SETTING_OF_ROLE.chat)
        : problem("remoteModelNotFound", `${error.message} (--model)`);
    case "notFound":
      return editor
        ? problem("remoteEndpointNotFound", error.message, "openSettings", "bora.remote.baseUrl")
        : problem("remoteEndpointNotFound", `${error.message} (--base-url)`);
    case "network":
    case "timeout":
      return editor
        ? problem("remoteUnreachable", error.message, "openSettings", "bora.remote.baseUrl")
        : problem("remoteUnreachable", error.message);
    default:
      return editor ? problem("remoteFailed", error.message, "openLogs") : problem("remoteFailed", error.message);
  }
}

function engineProblem(error: EngineError, frontEnd: FrontEnd): CodedProblem {
  const editor = frontEnd === "editor";
  switch (error.code) {
    case "modelNotFound":
    case "notGguf":
    case "truncatedModel":
    case "unsupportedArchitecture":
      return editor
        ? problem("modelUnusable", error.message, "openSettings", SETTING_OF_ROLE.chat)
        : problem("modelUnusable", error.message);
    case "outOfMemory":
      return editor
        ? problem("engineOutOfMemory", error.message, "openSettings", "bora.local")
        : problem("engineOutOfMemory", error.message);
    case "invalidScript":
      return problem("scriptInvalid", error.message);
    default:
      return editor ? problem("engineFailed", error.message, "openLogs") : problem("engineFailed", error.message);
  }
}

function storeProblem(error: ModelStoreError, frontEnd: FrontEnd): CodedProblem {
  if (error.code === "aborted") return problem("pullCancelled", error.message);
  // The store's messages say what to do in words that fit both front ends ("pull it again to resume").
  const again = error.code === "interrupted" || error.code === "http" || error.code === "lengthMismatch";
  return frontEnd === "editor" && again
    ? problem("pullFailed", error.message, "pullModel")
    : problem("pullFailed", error.message);
}

/**
 * The problem an engine that cannot start, or an error, is for this front end. Errors of other
 * kinds become `unexpected`, with their message and (in the editor) the log to look at.
 */
export function problemFor(facts: UnavailableEngine, frontEnd: FrontEnd): CodedProblem;
export function problemFor(error: unknown, frontEnd: FrontEnd): CodedProblem;
export function problemFor(source: unknown, frontEnd: FrontEnd): CodedProblem {
  if (isUnavailable(source)) {
    return source.reason === "unconfigured" ? unconfigured(source, frontEnd) : missingModels(source.missing, frontEnd);
  }
  if (source instanceof ModelNotHereError) return missingModels([source], frontEnd);
  if (source instanceof RemoteEngineError) return remoteProblem(source, frontEnd);
  if (source instanceof EngineError) return engineProblem(source, frontEnd);
  if (source instanceof ModelStoreError) return storeProblem(source, frontEnd);
  if (source instanceof ModelUriError) {
    return frontEnd === "editor"
      ? problem("modelReferenceInvalid", source.message, "openSettings", "bora.models")
      : problem("modelReferenceInvalid", source.message);
  }
  const message = source instanceof Error ? source.message : String(source);
  return frontEnd === "editor" ? problem("unexpected", message, "openLogs") : problem("unexpected", message);
}
