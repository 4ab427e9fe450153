#!/usr/bin/env node
// The `bora` executable: loads the bundled CLI. Build it first with `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = fileURLToPath(new URL("../dist/bora.mjs", import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write(`bora: ${bundle} is missing. Run 'npm run build' in the Bora repository first.\n`);
  process.exit(1);
}
await import(bundle);
