/** Typed failures of the model store; every message says what happened and what to do next. */
import { CodedError } from "../errors.js";

export type ModelStoreErrorCode =
  /** The source does not exist (404, missing file) or the store has no model of that name. */
  | "notFound"
  /** The server refused access (401/403). */
  | "unauthorized"
  /** Any other HTTP status, after retries where they make sense. */
  | "http"
  /** The connection kept failing; what arrived is kept and the next pull resumes from it. */
  | "interrupted"
  | "diskFull"
  /** The file's SHA-256 differs from the expected one; the download was discarded. */
  | "checksum"
  /** The file is not a usable GGUF model (garbage, HTML error page, cut short); it was discarded. */
  | "notGguf"
  /** The server's sizes contradict each other (Content-Length, Content-Range, what arrived). */
  | "lengthMismatch"
  /** Another process is pulling the same model right now. */
  | "busy"
  | "aborted";

export class ModelStoreError extends CodedError<ModelStoreErrorCode> {
  override readonly name: string = "ModelStoreError";
}

/** A usage mistake in a model reference; the message says what a valid one looks like. */
export class ModelUriError extends CodedError<"invalidReference"> {
  override readonly name: string = "ModelUriError";
  constructor(message: string) {
    super("invalidReference", message);
  }
}

export function isModelStoreError(error: unknown, code?: ModelStoreErrorCode): error is ModelStoreError {
  return error instanceof ModelStoreError && (code === undefined || error.code === code);
}
