/**
 * The GitHub fake's schema gate: Ajv over the committed subset of GitHub's OpenAPI description
 * (scripts/extract-github-schemas.mjs writes it from the pinned @octokit/openapi).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createAjv, describeErrors, type Ajv, type ValidateFunction } from "./ajv.js";

const here = path.dirname(fileURLToPath(import.meta.url));

export const GITHUB_SUBSET_PATH = path.join(here, "schemas/github.subset.json");

interface Subset {
  "x-subset-of": string;
  operations: Record<string, { operationId: string; responses: Record<string, object> }>;
  components: { schemas: Record<string, object> };
}

let subset: Subset | undefined;
let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction | null>();

function load(): { subset: Subset; ajv: Ajv } {
  if (!subset || !ajv) {
    subset = JSON.parse(readFileSync(GITHUB_SUBSET_PATH, "utf8")) as Subset;
    ajv = createAjv();
    for (const f of ["uri-template", "repo.nwo", "timestamp", "int32", "int64", "binary"]) ajv.addFormat(f, true);
    ajv.addSchema({ $id: "gh", components: subset.components });
  }
  return { subset, ajv };
}

export function githubOperations(): string[] {
  return Object.keys(load().subset.operations);
}

/**
 * Errors of `body` against the schema of `operation` (`GET /repos/{owner}/{repo}`) and `status`, or
 * an empty list. A status the description does not list for the operation is itself an error.
 */
export function validateGitHubResponse(operation: string, status: number, body: unknown): string[] {
  const { subset: s, ajv: a } = load();
  const op = s.operations[operation];
  if (!op) return [`${operation} is not in the schema subset; add it to scripts/extract-github-schemas.mjs`];
  const key = `${operation} ${status}`;
  if (!compiled.has(key)) {
    const schema = op.responses[String(status)];
    compiled.set(key, schema ? a.compile(schema) : null);
  }
  const validate = compiled.get(key);
  if (validate === null || validate === undefined) {
    // Statuses the description leaves out (401 on most operations, 429, 5xx) still carry basic-error.
    if (status >= 400) {
      const basic = a.getSchema("gh#/components/schemas/basic-error");
      if (basic && !basic(body)) return [`${key}: ${a.errorsText(basic.errors)}`];
      return [];
    }
    return [`${key}: the description lists no ${status} response for this operation`];
  }
  if (validate(body)) return [];
  return describeErrors(validate, key);
}
