/**
 * Typed errors. Each carries a `code` the caller can branch on and a message that states what
 * happened in plain facts; none of them should take the host process down. Front ends (the editor,
 * the CLI) word what to do from the code and the facts, so no message here names a setting, a
 * command or a button.
 */

/**
 * The base of every error that carries a stable `code` next to its message. Subclasses add the
 * facts a front end needs to word the fix (a status, a model reference, environment variables).
 */
export class CodedError<C extends string = string> extends Error {
  override readonly name: string = "CodedError";
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `error` is a `CodedError` (of any subclass), optionally with this code. */
export function isCodedError(error: unknown, code?: string): error is CodedError {
  return error instanceof CodedError && (code === undefined || error.code === code);
}

export type EngineErrorCode =
  | "aborted"
  | "busy"
  | "deadline"
  | "disposed"
  | "contextOverflow"
  | "modelNotFound"
  | "notGguf"
  | "truncatedModel"
  | "unsupportedArchitecture"
  | "outOfMemory"
  | "noFim"
  | "scriptExhausted"
  | "invalidScript"
  | "remote";

export class EngineError extends CodedError<EngineErrorCode> {
  override readonly name: string = "EngineError";
}

export function isEngineError(error: unknown, code?: EngineErrorCode): error is EngineError {
  return error instanceof EngineError && (code === undefined || error.code === code);
}
