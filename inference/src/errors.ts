/**
 * Typed engine errors. Each carries a `code` the caller can branch on and a message that tells the
 * user what to do; none of them should take the host process down.
 */
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

export class EngineError extends Error {
  override readonly name = "EngineError";
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isEngineError(error: unknown, code?: EngineErrorCode): error is EngineError {
  return error instanceof EngineError && (code === undefined || error.code === code);
}
