// `npm start [-- FOLDER] [--port N]`: opens Bora in a real VS Code for you. It builds what is missing
// or stale (scripts/ensureBuilt.mjs: the workspace libraries, then the bundles), installs code-server
// once (into .cache/code-server), starts it on 127.0.0.1 with Bora installed, on the folder you ran
// it from (or FOLDER), and prints the URL to open. `--build-only` stops after the build.
// code-server gets a profile of its own under .cache/start, but the agent host it starts keeps
// models and state where your `bora` CLI does (see startLaunch).
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startLaunch } from "./codeServerLaunch.mjs";
import { ensureBuilt } from "./ensureBuilt.mjs";
import { ensureCodeServer } from "./ensureCodeServer.mjs";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    port: { type: "string", default: process.env.BORA_PORT ?? "8090" },
    "build-only": { type: "boolean" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  console.log(
    "Usage: npm start [-- FOLDER] [--port N] [--build-only]\nOpens Bora in VS Code (code-server) on http://127.0.0.1:N (default 8090).\n--build-only builds what is missing or stale, then exits.",
  );
  process.exit(0);
}

// npm runs scripts from the package root; INIT_CWD is where the user typed `npm start`.
const folder = path.resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0] ?? ".");
if (!existsSync(folder) || !statSync(folder).isDirectory()) {
  console.error(`bora start: ${folder} is not a folder`);
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`bora start: --port needs a port number, got ${values.port}`);
  process.exit(2);
}

try {
  await ensureBuilt({ log: (message) => console.error(`bora start: ${message}`) });
} catch (error) {
  console.error(`bora start: ${error.message}`);
  process.exit(1);
}
if (values["build-only"]) process.exit(0);

let bin;
try {
  bin = ensureCodeServer({ log: (message) => console.error(`bora start: ${message}`) });
} catch (error) {
  console.error(`bora start: ${error.message}`);
  process.exit(1);
}

const launch = startLaunch({ port, folder });
console.error(`bora start: models in ${launch.env.BORA_MODELS_DIR}, state in ${launch.env.BORA_STATE_DIR}`);
const child = spawn(bin, launch.args, { env: launch.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
let announced = false;
const onOutput = (chunk) => {
  const text = chunk.toString();
  if (/EADDRINUSE/.test(text)) {
    console.error(`bora start: port ${port} is in use; try: npm start -- --port ${port + 1}`);
  }
  if (!announced && /HTTP server listening/.test(text)) {
    announced = true;
    console.log(`\nBora is running in VS Code: ${launch.url}\n(bound to 127.0.0.1 only; press Ctrl-C to stop)\n`);
  }
  if (process.env.BORA_START_VERBOSE) process.stderr.write(text);
};
child.stdout.on("data", onOutput);
child.stderr.on("data", onOutput);
child.on("exit", (code) => {
  if (!announced)
    console.error(
      `bora start: code-server exited (${code}) before it was ready; run with BORA_START_VERBOSE=1 to see why`,
    );
  process.exit(code ?? 1);
});
const stop = () => {
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
