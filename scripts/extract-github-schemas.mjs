// Writes test/fakes/schemas/github.subset.json: the response schemas of the GitHub REST operations
// Bora calls, taken from the pinned @octokit/openapi description and converted from OpenAPI 3.0 to
// JSON Schema, so the GitHub fake can validate every body it sends without loading the 13 MB file.
// Run it again after changing OPERATIONS or the @octokit/openapi pin: `node scripts/extract-github-schemas.mjs`.
// `--check` exits 1 when the committed file's content differs from what the script would write
// (compared as JSON, so the formatter may lay the file out as it likes).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "test/fakes/schemas/github.subset.json");

/** The operations the GitHub client uses, as `METHOD path-template`. */
export const OPERATIONS = [
  "GET /user",
  "GET /repos/{owner}/{repo}",
  "GET /repos/{owner}/{repo}/issues",
  "GET /repos/{owner}/{repo}/issues/{issue_number}",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "GET /search/issues",
  "GET /repos/{owner}/{repo}/pulls",
  "POST /repos/{owner}/{repo}/pulls",
  "PATCH /repos/{owner}/{repo}/pulls/{pull_number}",
  "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
];

// Read the one file directly: the package's index loads all ten descriptions (~400 MB).
const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve("@octokit/openapi/package.json"));
const version = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;
const spec = JSON.parse(readFileSync(path.join(pkgDir, "generated/api.github.com.json"), "utf8"));

const DROP = new Set([
  "example",
  "examples",
  "xml",
  "externalDocs",
  "discriminator",
  "readOnly",
  "writeOnly",
  "deprecated",
]);

/** OpenAPI 3.0 schema → JSON Schema (Ajv): `nullable` becomes a null type, docs-only keys go. */
function convert(node) {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== "object") return node;
  const result = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROP.has(key) || key.startsWith("x-") || key === "nullable") continue;
    if (key === "$ref") result.$ref = value.replace(/^#\/components\//, "gh#/components/");
    else if (key === "properties" || key === "patternProperties") {
      result[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    } else result[key] = convert(value);
  }
  if (node.nullable === true) {
    if (typeof result.type === "string") result.type = [result.type, "null"];
    else if (Array.isArray(result.type)) result.type = [...new Set([...result.type, "null"])];
    else return { anyOf: [result, { type: "null" }] };
    if (Array.isArray(result.enum) && !result.enum.includes(null)) result.enum = [...result.enum, null];
  }
  return result;
}

function resolveResponse(response) {
  let current = response;
  while (current.$ref)
    current = current.$ref
      .split("/")
      .slice(1)
      .reduce((o, k) => o[k], spec);
  return current.content?.["application/json"]?.schema;
}

const schemas = {};
function collectRefs(node) {
  if (Array.isArray(node)) return node.forEach(collectRefs);
  if (node === null || typeof node !== "object") return;
  if (typeof node.$ref === "string") {
    const name = node.$ref.replace("#/components/schemas/", "");
    if (!(name in schemas)) {
      schemas[name] = null;
      const target = spec.components.schemas[name];
      if (!target) throw new Error(`unresolved ref ${node.$ref}`);
      collectRefs(target);
      schemas[name] = convert(target);
    }
  }
  for (const value of Object.values(node)) collectRefs(value);
}

const operations = {};
for (const op of OPERATIONS) {
  const [method, template] = op.split(" ");
  const operation = spec.paths[template]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${op} is not in @octokit/openapi ${version}`);
  const responses = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    const schema = resolveResponse(response);
    if (!schema) continue;
    collectRefs(schema);
    responses[status] = convert(schema);
  }
  operations[op] = { operationId: operation.operationId, responses };
}

const sorted = Object.fromEntries(
  Object.keys(schemas)
    .sort()
    .map((k) => [k, schemas[k]]),
);
const text = `${JSON.stringify({ "x-subset-of": `@octokit/openapi@${version}`, operations, components: { schemas: sorted } }, null, 1)}\n`;

if (process.argv.includes("--check")) {
  const committed = JSON.stringify(JSON.parse(readFileSync(out, "utf8")));
  if (committed !== JSON.stringify(JSON.parse(text))) {
    console.error(`${path.relative(root, out)} is stale: run node scripts/extract-github-schemas.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.error(
    `wrote ${path.relative(root, out)}: ${OPERATIONS.length} operations, ${Object.keys(sorted).length} schemas, ${text.length} bytes`,
  );
}
