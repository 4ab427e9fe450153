/**
 * Cross-checks the hand-written Sentry schema the fake validates against with Sentry's published
 * OpenAPI description, when the reference copy is on this machine (it is never committed). Every
 * property the hand schema names must exist in the reference with a compatible type, and every
 * property the reference requires that the hand schema names must be required there too.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../support/hostProcess.js";
import { sentrySchema } from "../../fakes/sentrySchemas.js";

const REFERENCE = path.resolve(REPO_ROOT, "../shared/specs/sentry-openapi-derefed.json");

type Node = {
  type?: string | string[];
  nullable?: boolean;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node | Node[];
  $ref?: string;
  oneOf?: Node[];
  anyOf?: Node[];
  allOf?: Node[];
  enum?: unknown[];
};

function resolve(node: Node, definitions: Record<string, Node>): Node {
  let n = node;
  while (n.$ref) n = definitions[n.$ref.replace(/^(sentry)?#\/definitions\//, "")] as Node;
  return n;
}

/** The reference node's object variants (it uses oneOf/allOf for alternatives). */
function variants(node: Node): Node[] {
  if (node.allOf) return [Object.assign({}, ...node.allOf.flatMap(variants)) as Node];
  if (node.oneOf ?? node.anyOf) return (node.oneOf ?? node.anyOf ?? []).flatMap(variants);
  return [node];
}

function types(node: Node): Set<string> {
  const t = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  const out = new Set(t.map((x) => (x === "integer" ? "number" : x)));
  if (node.nullable) out.add("null");
  return out;
}

function compare(ours: Node, ref: Node, where: string, defs: Record<string, Node>, problems: string[]): void {
  const o = resolve(ours, defs);
  const refVariants = variants(ref);
  const ourTypes = types(o);
  const refTypes = new Set(refVariants.flatMap((v) => [...types(v)]));
  if (ourTypes.size > 0 && refTypes.size > 0) {
    const nonNull = [...ourTypes].filter((t) => t !== "null");
    if (!nonNull.some((t) => refTypes.has(t)))
      problems.push(`${where}: type ${[...ourTypes].join("|")} vs reference ${[...refTypes].join("|")}`);
  }
  if (o.properties) {
    const withProps = refVariants.filter((v) => v.properties);
    if (withProps.length === 0) return; // the reference leaves it open ({}): nothing to check against
    // Alternatives (oneOf): compare with the variant that shares the most property names.
    const names = Object.keys(o.properties);
    const best = withProps.reduce((a, b) =>
      names.filter((n) => b.properties?.[n]).length > names.filter((n) => a.properties?.[n]).length ? b : a,
    );
    for (const [name, child] of Object.entries(o.properties)) {
      const refChild = best.properties?.[name];
      if (!refChild) {
        problems.push(`${where}.${name}: not in the reference`);
        continue;
      }
      compare(child, refChild, `${where}.${name}`, defs, problems);
    }
    for (const name of names)
      if ((best.required ?? []).includes(name) && !(o.required ?? []).includes(name))
        problems.push(`${where}.${name}: required in the reference, optional here`);
  }
  const ourItems = o.items && !Array.isArray(o.items) ? o.items : undefined;
  const refItems = refVariants.map((v) => v.items).find((x) => x && !Array.isArray(x)) as Node | undefined;
  if (ourItems && refItems) compare(ourItems, refItems, `${where}[]`, defs, problems);
}

describe("the hand-written Sentry schema against Sentry's published description", function () {
  before(function () {
    if (!existsSync(REFERENCE)) this.skip();
  });

  it("names only fields the reference has, with the same types and required flags", function () {
    const reference = JSON.parse(readFileSync(REFERENCE, "utf8")) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: Node }> }> }>
      >;
    };
    const ours = sentrySchema();
    const defs = ours.definitions as Record<string, Node>;
    const problems: string[] = [];
    let checked = 0;
    for (const [op, statuses] of Object.entries(ours.operations)) {
      const [method, template] = op.split(" ") as [string, string];
      const refOp = reference.paths[template]?.[method.toLowerCase()];
      if (!refOp) continue; // the comments endpoint is not in the published description
      for (const [status, schema] of Object.entries(statuses)) {
        const refSchema = refOp.responses[status]?.content?.["application/json"]?.schema;
        if (!refSchema) {
          problems.push(`${op} ${status}: the reference has no such response`);
          continue;
        }
        compare(schema as Node, refSchema, `${op} ${status}`, defs, problems);
        checked++;
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked >= 5, `checked ${checked} operations`);
  });
});
