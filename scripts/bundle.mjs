// Bundles the extension (CommonJS, as VS Code loads it) and the agent host / CLI (ESM, because
// node-llama-cpp is ESM-only with top-level await). `--watch` rebuilds on change.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");

/** Kept out of the host bundle: native addons and packages that load files relative to themselves. */
const hostExternals = ["node-llama-cpp", "@node-llama-cpp/*", "@sentry/node", "@sentry/*"];

const builds = [
  {
    entryPoints: ["client/src/extension.ts"],
    outfile: "client/dist/extension.cjs",
    format: "cjs",
    platform: "node",
    target: "node20",
    external: ["vscode"],
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
    external: hostExternals,
    bundle: true,
    sourcemap: true,
    logLevel: "warning",
    // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
    banner: {
      js: 'import { createRequire as __boraCreateRequire } from "node:module"; const require = __boraCreateRequire(import.meta.url);',
    },
  },
];

if (watch) {
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
  console.error("bundle: watching for changes");
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
