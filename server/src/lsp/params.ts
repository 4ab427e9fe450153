/**
 * The host's one gate for custom methods: every `bora/*` request a client sends is checked against
 * its params schema from `protocol/` before its handler runs. A wrong or missing required field is
 * refused with `InvalidParams` naming the field; a missing optional field takes its documented
 * default; unknown fields are ignored (a newer client may send more). Handlers therefore see only
 * params that match their type, and a generic LSP client that sends `{}` or `null` gets an answer
 * it can read instead of an internal error.
 */
import { isProblem, type Problem } from "@bora/protocol";
import type { TSchema } from "@sinclair/typebox";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import {
  CancellationToken,
  ErrorCodes,
  LSPErrorCodes,
  ResponseError,
  type Connection,
  type NotificationType,
  type RequestType,
} from "vscode-languageserver/node";
import type { Logger } from "../host/logger.js";

/** What the gate needs of a request namespace from `protocol/`. */
export interface CheckedMethod<P, R> {
  method: string;
  params: TSchema;
  type: RequestType<P, R, unknown>;
}

/** What the gate needs of a notification namespace from `protocol/`. */
export interface CheckedNotification<P> {
  method: string;
  params: TSchema;
  type: NotificationType<P>;
}

export type CheckedHandler<P, R> = (params: P, token: CancellationToken) => R | Promise<R>;

/** The longest excerpt of a bad value quoted back in an error message: enough to recognise it. */
const MAX_QUOTED_CHARS = 40;

// Defaults fill in missing optional fields; no type coercion: "1" is not 1 on this wire.
// `verbose` keeps the offending value and its schema in each error, for the message.
const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: true, coerceTypes: false, verbose: true });
const compiled = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** `/sealed/data` → `sealed.data`; the root is `params`. */
function fieldName(instancePath: string, child?: string): string {
  const parts = instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (child !== undefined) parts.push(child);
  return parts.length === 0 ? "params" : parts.join(".");
}

function typeName(type: unknown): string {
  const names: Record<string, string> = {
    string: "a string",
    integer: "a whole number",
    number: "a number",
    object: "an object",
    array: "an array",
    boolean: "true or false",
    null: "null",
  };
  const list = Array.isArray(type) ? type : [type];
  return list.map((t) => names[String(t)] ?? String(t)).join(" or ");
}

function quote(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > MAX_QUOTED_CHARS ? `${JSON.stringify(text.slice(0, MAX_QUOTED_CHARS))}…` : JSON.stringify(text);
}

function describeOne(error: ErrorObject): string {
  const field = fieldName(error.instancePath);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `missing required field '${fieldName(error.instancePath, String(p["missingProperty"]))}'`;
    case "type":
      return `'${field}' must be ${typeName(p["type"])}`;
    case "maxLength":
      return `'${field}' is too long (at most ${String(p["limit"])} characters)`;
    case "minLength":
      return p["limit"] === 1
        ? `'${field}' must not be empty`
        : `'${field}' is too short (at least ${String(p["limit"])} characters)`;
    case "pattern": {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return `'${field}' is not in the expected form (pattern ${String(p["pattern"])})${description ? `: ${description}` : ""}`;
    }
    case "enum":
      return `'${field}' is ${quote(error.data)}; it must be one of ${(p["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `'${field}' must be ${JSON.stringify(p["allowedValue"])}`;
    default:
      return `'${field}' ${error.message ?? "is invalid"}`;
  }
}

/**
 * One sentence for the first thing wrong. For a union (`anyOf`) it reports the mismatch inside the
 * branch whose type the value has (an object that lacks a field), else the types it could have been.
 */
/** A refusal of the params as given (an id the host does not know, a folder that is not open): `InvalidParams` with the same words as its `Problem`. */
export function invalidParams(message: string): ResponseError<Problem> {
  return new ResponseError(ErrorCodes.InvalidParams, message, { code: "invalidParams", message });
}

export function describeParamsError(errors: readonly ErrorObject[]): string {
  const last = errors[errors.length - 1];
  if (last === undefined) return "params are invalid";
  if (last.keyword !== "anyOf" && last.keyword !== "oneOf") return describeOne(errors[0] ?? last);
  const branches = errors.slice(0, -1).filter((e) => e.instancePath.startsWith(last.instancePath));
  // An error below the union's own path means the value had that branch's shape (an object) and
  // went wrong inside it: that is the one to name.
  const structural =
    branches.find((e) => e.instancePath.length > last.instancePath.length) ??
    branches.find((e) => !["type", "const", "enum"].includes(e.keyword));
  if (structural !== undefined) return describeOne(structural);
  const types = branches.flatMap((e) =>
    e.keyword === "type"
      ? [typeName(e.params["type"])]
      : e.keyword === "const"
        ? [JSON.stringify(e.params["allowedValue"])]
        : [],
  );
  return `'${fieldName(last.instancePath)}' must be ${types.length > 0 ? types.join(" or ") : "of another shape"}`;
}

/**
 * Checks raw params against `schema` and returns them with defaults filled in, or throws the
 * `InvalidParams` error that names the field. Absent params and `null` count as `{}`: JSON-RPC lets
 * a client omit params, and many send `null` for "nothing to say".
 */
export function checkParams<P>(method: string, schema: TSchema, raw: unknown): P {
  const params = raw === undefined || raw === null ? {} : structuredClone(raw);
  const validate = validatorFor(schema);
  if (validate(params)) return params as P;
  const message = `${method}: ${describeParamsError(validate.errors ?? [])}`;
  const problem: Problem = { code: "invalidParams", message };
  throw new ResponseError(ErrorCodes.InvalidParams, message, problem);
}

/**
 * Registers a request handler behind the params gate. The method is registered by its string so
 * that vscode-jsonrpc hands over whatever arrived (no params, `null`, positional params) and the
 * gate, not the library, decides what is wrong with it. Errors a handler throws that are not
 * already `ResponseError`s become `RequestFailed` with a `Problem` (pointing at the log), never an
 * internal error.
 */
export function onCheckedRequest<P, R>(
  connection: Connection,
  definition: CheckedMethod<P, R>,
  handler: CheckedHandler<P, R>,
  logger: Logger,
): void {
  connection.onRequest(definition.method, async (...args: unknown[]): Promise<R> => {
    const last = args[args.length - 1];
    const token = CancellationToken.is(last) ? last : CancellationToken.None;
    const given = CancellationToken.is(last) ? args.slice(0, -1) : args;
    if (given.length > 1 || Array.isArray(given[0])) {
      const message = `${definition.method}: params must be an object with named fields, not a list`;
      throw new ResponseError(ErrorCodes.InvalidParams, message, { code: "invalidParams", message } satisfies Problem);
    }
    const params = checkParams<P>(definition.method, definition.params, given[0]);
    try {
      return await handler(params, token);
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      const text = error instanceof Error ? error.message : String(error);
      logger.error(`${definition.method} failed`, error);
      const problem: Problem = isProblem((error as { problem?: unknown }).problem)
        ? (error as { problem: Problem }).problem
        : { code: "requestFailed", message: `${definition.method} failed: ${text}`, fix: "openLogs" };
      throw new ResponseError(LSPErrorCodes.RequestFailed, problem.message, problem);
    }
  });
}

/**
 * Registers a notification handler behind the params gate. A notification has no reply to carry
 * an error, so bad params are logged (naming the field) and dropped before the handler runs.
 */
export function onCheckedNotification<P>(
  connection: Connection,
  definition: CheckedNotification<P>,
  handler: (params: P) => void | Promise<void>,
  logger: Logger,
): void {
  connection.onNotification(definition.method, (...args: unknown[]) => {
    let params: P;
    try {
      if (args.length > 1 || Array.isArray(args[0])) {
        throw new Error(`${definition.method}: params must be an object with named fields, not a list`);
      }
      params = checkParams<P>(definition.method, definition.params, args[0]);
    } catch (error) {
      logger.warn(`dropped a notification: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    Promise.resolve()
      .then(() => handler(params))
      .catch((error: unknown) => logger.error(`${definition.method} failed`, error));
  });
}
