// Runs the e2e tier: a real VS Code (code-server, installed on demand) driven in headless Chromium.
// Without Chromium the tier is skipped with a message, except in CI (CI=true), where that is an error:
// .ci/run installs Chromium, so a missing one means the tier silently stopped running.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { ensureBuilt } from "./ensureBuilt.mjs";
import { ensureCodeServer } from "./ensureCodeServer.mjs";

const chromium = process.env.BORA_E2E_CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  const message = `e2e: ${chromium} not found; install Debian's chromium (apt-get install -y chromium) to run the e2e tier`;
  if (process.env.CI) {
    console.error(`${message}. Failing because CI must run every tier.`);
    process.exit(1);
  }
  console.error(`${message}. Skipping it.`);
  process.exit(0);
}
try {
  // The tier runs the bundles, so stale ones would test old code.
  await ensureBuilt({ log: (message) => console.error(`e2e: ${message}`) });
  ensureCodeServer({ log: (message) => console.error(`e2e: ${message}`) });
} catch (error) {
  console.error(`e2e: ${error.message}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    "node_modules/mocha/bin/mocha.js",
    "--config",
    "test/e2e/.mocharc.json",
    ...(process.argv.length > 2 ? process.argv.slice(2) : ["test/e2e/**/*.test.ts"]),
  ],
  {
    stdio: "inherit",
  },
);
process.exit(result.status ?? 1);
