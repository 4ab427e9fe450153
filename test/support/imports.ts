/** Reads the import graph of the product's sources, for the tests that keep dependencies pointing one way. */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

export interface ImportEdge {
  /** The importing file, relative to the repository root. */
  from: string;
  /** The specifier as written (`../host/logger.js`, `@bora/protocol`, `node:fs`). */
  specifier: string;
  /** For a relative specifier: the imported file, relative to the repository root. */
  resolved?: string;
}

/** Every .ts file under `dir`, skipping build output and dependencies. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (["node_modules", "dist", "dist-tsc", "out"].includes(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

// `import x from "y"`, `import type {x} from "y"`, `export * from "y"`, `import "y"`, `import("y")`.
const SPECIFIERS = [
  /\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];

/** The imports of every source file under `roots` (relative to `repoRoot`). */
export function importsOf(repoRoot: string, roots: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const root of roots) {
    for (const file of sourceFiles(path.join(repoRoot, root))) {
      // Comments may quote imports ("e.g. `import x from ...`"); they are not dependencies.
      const text = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      const from = path.relative(repoRoot, file);
      for (const pattern of SPECIFIERS) {
        for (const match of text.matchAll(pattern)) {
          const specifier = match[1]!;
          const edge: ImportEdge = { from, specifier };
          if (specifier.startsWith(".")) {
            edge.resolved = path
              .relative(repoRoot, path.resolve(path.dirname(file), specifier))
              .replace(/\.js$/, ".ts");
          }
          edges.push(edge);
        }
      }
    }
  }
  return edges;
}
