/** The Sentry fake's schema gate: Ajv over the hand-written schema in schemas/sentry.schema.json. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createAjv, describeErrors, type Ajv, type ValidateFunction } from "./ajv.js";

export const SENTRY_SCHEMA_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), "schemas/sentry.schema.json");

export interface SentrySchema {
  definitions: Record<string, object>;
  operations: Record<string, Record<string, object>>;
}

let loaded: { schema: SentrySchema; ajv: Ajv } | undefined;
const compiled = new Map<string, ValidateFunction | null>();

export function sentrySchema(): SentrySchema {
  return load().schema;
}

function load(): { schema: SentrySchema; ajv: Ajv } {
  if (!loaded) {
    const schema = JSON.parse(readFileSync(SENTRY_SCHEMA_PATH, "utf8")) as SentrySchema & { operations: unknown };
    const ajv = createAjv();
    ajv.addSchema({ $id: "sentry", definitions: schema.definitions });
    loaded = { schema, ajv };
  }
  return loaded;
}

/** Errors of `body` against the schema of `operation` (`GET /api/0/...`) and `status`; error statuses need `{detail}`. */
export function validateSentryResponse(operation: string, status: number, body: unknown): string[] {
  const { schema, ajv } = load();
  const key = `${operation} ${status}`;
  if (!compiled.has(key)) {
    const s =
      schema.operations[operation]?.[String(status)] ??
      (status >= 400 ? { $ref: "sentry#/definitions/detailError" } : undefined);
    compiled.set(key, s ? ajv.compile(s) : null);
  }
  const validate = compiled.get(key);
  if (!validate) return [`${key}: not in the hand-written Sentry schema`];
  return validate(body) ? [] : describeErrors(validate, key);
}
