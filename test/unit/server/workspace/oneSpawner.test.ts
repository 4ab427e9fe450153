import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../../support/paths.js";

/** Source files under `dir`, relative to the repository root. */
function sources(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|mts|cts|js|mjs)$/.test(f))
    .map((f) => path.join(dir, f));
}

/** Lines that load Node's child_process module: static and dynamic imports and requires. */
function childProcessImports(text: string): string[] {
  return text.split("\n").filter((line) => /(from|import\(|require\()\s*["'](node:)?child_process["']/.test(line));
}

describe("every child process of the host starts through the one Spawner", () => {
  const SPAWNER = path.join("server", "src", "workspace", "spawner.ts");

  it("only workspace/spawner.ts loads node:child_process in server/src", () => {
    const offenders = sources(path.join("server", "src"))
      .filter((file) => file !== SPAWNER)
      .filter((file) => childProcessImports(readFileSync(path.join(REPO_ROOT, file), "utf8")).length > 0);
    assert.deepEqual(offenders, [], "start children with the Spawner its owner passes in (workspace/spawner.ts)");
  });

  it("recognises the ways a module can load it", () => {
    assert.equal(childProcessImports(readFileSync(path.join(REPO_ROOT, SPAWNER), "utf8")).length, 1);
    for (const line of [
      'import { spawn } from "node:child_process";',
      "import cp from 'child_process';",
      'const cp = await import("node:child_process");',
      'const { execFile } = require("child_process");',
      'export { spawn } from "node:child_process";',
    ]) {
      assert.equal(childProcessImports(line).length, 1, line);
    }
    // A message that names the module is not an import.
    assert.deepEqual(childProcessImports('throw new Error("needs child_process.fork")'), []);
  });
});
