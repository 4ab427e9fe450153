/** Helpers that read the custom LSP methods out of the protocol package and out of PROTOCOL.md. */

export interface MethodEntry {
  method: string;
  kind: "request" | "notification";
}

/** Walks a module's exports for `{method, type}` namespaces holding vscode-jsonrpc message types. */
export function methodsInCode(moduleExports: Record<string, unknown>): MethodEntry[] {
  const out: MethodEntry[] = [];
  for (const value of Object.values(moduleExports)) {
    if (typeof value !== "object" || value === null) continue;
    const type = (value as { type?: unknown }).type;
    if (typeof type !== "object" || type === null) continue;
    const method = (type as { method?: unknown }).method;
    if (typeof method !== "string") continue;
    const ctor = (type as object).constructor.name;
    out.push({ method, kind: /Notification/.test(ctor) ? "notification" : "request" });
  }
  return out.sort((a, b) => a.method.localeCompare(b.method));
}

/** Reads the method table of PROTOCOL.md: rows whose first cell is a `bora/...` code span. */
export function methodsInDoc(markdown: string): MethodEntry[] {
  const out: MethodEntry[] = [];
  for (const line of markdown.split("\n")) {
    const match = /^\|\s*`(bora\/[A-Za-z]+)`\s*\|\s*(request|notification)\s*\|/.exec(line);
    if (match) out.push({ method: match[1]!, kind: match[2] as MethodEntry["kind"] });
  }
  return out.sort((a, b) => a.method.localeCompare(b.method));
}

/** Lines describing every difference, empty when code and doc agree. */
export function protocolDrift(code: MethodEntry[], doc: MethodEntry[]): string[] {
  const problems: string[] = [];
  const docByName = new Map(doc.map((e) => [e.method, e]));
  const codeByName = new Map(code.map((e) => [e.method, e]));
  for (const entry of code) {
    const documented = docByName.get(entry.method);
    if (!documented) problems.push(`${entry.method} is defined in protocol/src but missing from PROTOCOL.md`);
    else if (documented.kind !== entry.kind) {
      problems.push(`${entry.method} is a ${entry.kind} in code but a ${documented.kind} in PROTOCOL.md`);
    }
  }
  for (const entry of doc) {
    if (!codeByName.has(entry.method))
      problems.push(`${entry.method} is in PROTOCOL.md but not defined in protocol/src`);
  }
  return problems;
}

export interface FieldEntry {
  field: string;
  required: boolean;
}

/**
 * Reads the params tables of PROTOCOL.md: under a heading "### `bora/...`", the rows of a
 * `| field | type | required | meaning |` table.
 */
export function paramsInDoc(markdown: string): Map<string, FieldEntry[]> {
  const out = new Map<string, FieldEntry[]>();
  let current: FieldEntry[] | undefined;
  for (const line of markdown.split("\n")) {
    const heading = /^#{2,4}\s+`(bora\/[A-Za-z]+)`/.exec(line);
    if (heading) {
      current = [];
      out.set(heading[1]!, current);
      continue;
    }
    if (/^#/.test(line)) current = undefined;
    const row = /^\|\s*`([A-Za-z][A-Za-z0-9]*)`\s*\|[^|]*(?:\\\|[^|]*)*\|\s*(yes|no)\s*\|/.exec(line);
    if (row && current) current.push({ field: row[1]!, required: row[2] === "yes" });
  }
  return out;
}

/** The top-level fields of a params schema (`properties` and `required` of a JSON Schema object). */
export function paramsInSchema(schema: { properties?: Record<string, unknown>; required?: string[] }): FieldEntry[] {
  const required = new Set(schema.required ?? []);
  return Object.keys(schema.properties ?? {}).map((field) => ({ field, required: required.has(field) }));
}

/** Lines describing every difference between a method's documented params and its schema. */
export function paramsDrift(method: string, code: FieldEntry[], doc: FieldEntry[] | undefined): string[] {
  if (doc === undefined) return [`${method} has no params table in PROTOCOL.md`];
  const problems: string[] = [];
  const docByName = new Map(doc.map((e) => [e.field, e]));
  for (const entry of code) {
    const documented = docByName.get(entry.field);
    if (!documented) problems.push(`${method}: field ${entry.field} is in the schema but not in PROTOCOL.md`);
    else if (documented.required !== entry.required)
      problems.push(
        `${method}: field ${entry.field} is ${entry.required ? "required" : "optional"} in the schema but not in PROTOCOL.md`,
      );
  }
  for (const entry of doc) {
    if (!code.some((c) => c.field === entry.field))
      problems.push(`${method}: field ${entry.field} is in PROTOCOL.md but not in the schema`);
  }
  return problems;
}
