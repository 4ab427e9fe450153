// `npm start [-- FOLDER] [--port N]`: opens Bora in a real VS Code for you. It builds the extension if
// needed, installs code-server once (into .cache/code-server), starts it on 127.0.0.1 with Bora
// installed, on the folder you ran it from (or FOLDER), and prints the URL to open.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { prepareCodeServer, repoRoot } from "./codeServerLaunch.mjs";
import { ensureCodeServer } from "./ensureCodeServer.mjs";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { port: { type: "string", default: process.env.BORA_PORT ?? "8090" }, help: { type: "boolean" } },
});
if (values.help) {
  console.log(
    "Usage: npm start [-- FOLDER] [--port N]\nOpens Bora in VS Code (code-server) on http://127.0.0.1:N (default 8090).",
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

if (
  !existsSync(path.join(repoRoot, "server/dist/bora.mjs")) ||
  !existsSync(path.join(repoRoot, "client/dist/extension.cjs"))
) {
  console.error("bora start: building the extension and the agent host…");
  const build = spawnSync(process.execPath, [path.join(repoRoot, "scripts/bundle.mjs")], {
    cwd: repoRoot,
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

let bin;
try {
  bin = ensureCodeServer();
} catch (error) {
  console.error(`bora start: ${error.message}`);
  process.exit(1);
}

const launch = prepareCodeServer({ base: path.join(repoRoot, ".cache/start"), port, folder });
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
