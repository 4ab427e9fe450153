/**
 * The fixture repository of the durable-task tests (the CLI's, the editor's, the team workers'): a tiny
 * shop whose discount maths is wrong and whose test says so, and a scripted model that fixes it in
 * two turns.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export const BUGGY = "exports.total = (items, discount) => items.reduce((sum, price) => sum + price, 0) * discount;\n";
export const FIXED =
  "exports.total = (items, discount) => items.reduce((sum, price) => sum + price, 0) * (1 - discount);\n";

export function git(args: string[], cwd: string): string {
  return execFileSync("git", ["-c", "core.hooksPath=/dev/null", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
  });
}

/**
 * Creates the shop's repository (one commit on main) in `dir`. Without `testScript` its package.json
 * has no test script, so a task that names no checks runs none (rather than `npm test`).
 */
export function createShopRepo(dir: string, options: { testScript?: boolean } = {}): void {
  mkdirSync(path.join(dir, "src"), { recursive: true });
  mkdirSync(path.join(dir, "test"), { recursive: true });
  const scripts = options.testScript === false ? {} : { scripts: { test: "node --test" } };
  writeFileSync(
    path.join(dir, "package.json"),
    `${JSON.stringify({ name: "shop", private: true, ...scripts }, null, 2)}\n`,
  );
  writeFileSync(path.join(dir, "src/cart.js"), BUGGY);
  writeFileSync(
    path.join(dir, "test/cart.test.js"),
    [
      'const { test } = require("node:test");',
      'const assert = require("node:assert");',
      'const { total } = require("../src/cart.js");',
      'test("a 10% discount takes 10% off", () => assert.strictEqual(total([10, 10], 0.1), 18));',
      "",
    ].join("\n"),
  );
  git(["init", "--quiet", "--initial-branch=main"], dir);
  git(["config", "user.name", "Shop Dev"], dir);
  git(["config", "user.email", "dev@shop.example"], dir);
  git(["add", "-A"], dir);
  git(["commit", "--quiet", "-m", "cart"], dir);
}

/**
 * Writes the scripted model's turns that fix the shop (a write, then a summary) to `file`. A script
 * served to a host says `turnFrom: "conversation"` itself, so each task's conversation picks its turn.
 */
export function writeFixScript(file: string, options: { turnFrom?: "conversation" } = {}): void {
  writeFileSync(
    file,
    JSON.stringify({
      ...(options.turnFrom && { turnFrom: options.turnFrom }),
      turns: [
        {
          content: "The discount is multiplied in instead of taken off.",
          tool_calls: [{ name: "write_file", arguments: { path: "src/cart.js", content: FIXED } }],
        },
        {
          content:
            "Fixed total(): it now takes the discount off the sum (× (1 − discount)) instead of multiplying by it.",
        },
      ],
    }),
  );
}
