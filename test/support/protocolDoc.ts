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
