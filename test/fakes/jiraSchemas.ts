/** The Jira fake's schema gate: Ajv over the hand-written schema in schemas/jira.schema.json. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createAjv, describeErrors, type ValidateFunction } from "./ajv.js";

const SCHEMA_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), "schemas/jira.schema.json");

export type JiraResponseKind =
  | "issue"
  | "comment"
  | "commentPage"
  | "entityProperty"
  | "user"
  | "searchJql"
  | "search"
  | "transitions"
  | "remoteLink"
  | "errorCollection";

let validators: Map<string, ValidateFunction> | undefined;

/** Errors of `body` against the named response schema, or an empty list. */
export function validateJiraResponse(kind: JiraResponseKind, body: unknown): string[] {
  if (!validators) {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as {
      definitions: object;
      responses: Record<string, object>;
    };
    const ajv = createAjv();
    ajv.addSchema({ $id: "jira", definitions: schema.definitions });
    validators = new Map(Object.entries(schema.responses).map(([k, s]) => [k, ajv.compile(s)]));
  }
  const validate = validators.get(kind);
  if (!validate) return [`${kind}: not in the Jira schema`];
  return validate(body) ? [] : describeErrors(validate, kind);
}
