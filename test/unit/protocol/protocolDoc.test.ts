import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import * as protocol from "@bora/protocol";
import {
  methodsInCode,
  methodsInDoc,
  paramsDrift,
  paramsInDoc,
  paramsInSchema,
  protocolDrift,
} from "../../support/protocolDoc.js";
import { REPO_ROOT } from "../../support/paths.js";

const doc = readFileSync(path.join(REPO_ROOT, "protocol/PROTOCOL.md"), "utf8");

describe("PROTOCOL.md and protocol/src stay in step", () => {
  it("lists exactly the methods the protocol package defines, with the same kind", () => {
    const code = methodsInCode(protocol as Record<string, unknown>);
    assert.ok(code.length >= 2, "the walker found the methods");
    assert.deepEqual(protocolDrift(code, methodsInDoc(doc)), []);
  });

  it("reports a method defined in code but missing from the doc", () => {
    const code = [
      ...methodsInCode(protocol as Record<string, unknown>),
      { method: "bora/newThing", kind: "request" as const },
    ];
    assert.deepEqual(protocolDrift(code, methodsInDoc(doc)), [
      "bora/newThing is defined in protocol/src but missing from PROTOCOL.md",
    ]);
  });

  it("reports a documented method that no longer exists, and a kind that changed", () => {
    const extraDoc = `${doc}\n| \`bora/gone\` | request | client → host | old |\n`;
    const code = methodsInCode(protocol as Record<string, unknown>).map((e) =>
      e.method === "bora/version" ? { ...e, kind: "notification" as const } : e,
    );
    assert.deepEqual(protocolDrift(code, methodsInDoc(extraDoc)).sort(), [
      "bora/gone is in PROTOCOL.md but not defined in protocol/src",
      "bora/version is a notification in code but a request in PROTOCOL.md",
    ]);
  });

  it("documents every field of every method's params, required or not, as its schema has it", () => {
    const documented = paramsInDoc(doc);
    const namespaces = Object.values(protocol as Record<string, unknown>).filter(
      (v): v is { method: string; params: Parameters<typeof paramsInSchema>[0] } =>
        typeof v === "object" && v !== null && typeof (v as { method?: unknown }).method === "string",
    );
    assert.ok(namespaces.length >= 4, "the walker found the methods");
    const drift = namespaces.flatMap((n) => paramsDrift(n.method, paramsInSchema(n.params), documented.get(n.method)));
    assert.deepEqual(drift, []);
  });

  it("reports a params field that is missing from the doc, or documented as optional when it is required", () => {
    const code = [
      { field: "uri", required: true },
      { field: "name", required: false },
    ];
    assert.deepEqual(paramsDrift("bora/x", code, [{ field: "uri", required: false }]), [
      "bora/x: field uri is required in the schema but not in PROTOCOL.md",
      "bora/x: field name is in the schema but not in PROTOCOL.md",
    ]);
    assert.deepEqual(paramsDrift("bora/x", code, undefined), ["bora/x has no params table in PROTOCOL.md"]);
  });

  it("names every method bora/<camelCaseVerb>", () => {
    for (const { method } of methodsInCode(protocol as Record<string, unknown>)) {
      assert.match(method, /^bora\/[a-z][A-Za-z]*$/);
    }
  });
});

/** Every .ts file under `dir`, skipping build output and dependencies. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (["node_modules", "dist", "dist-tsc", "out"].includes(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith(".ts")) out.push(full);
  }
  return out;
}

describe("custom method strings", () => {
  it("appear nowhere in the product's code outside protocol/src", () => {
    const offenders: string[] = [];
    for (const pkg of ["client/src", "server/src", "inference/src"]) {
      for (const file of sourceFiles(path.join(REPO_ROOT, pkg))) {
        const text = readFileSync(file, "utf8");
        for (const match of text.matchAll(/["']bora\/[A-Za-z]+["']/g)) {
          offenders.push(`${path.relative(REPO_ROOT, file)}: ${match[0]}`);
        }
      }
    }
    assert.deepEqual(offenders, [], "import the method's namespace from @bora/protocol instead");
  });
});
