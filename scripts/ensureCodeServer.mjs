// Installs code-server (a real VS Code with a Node extension host) into .cache/code-server on
// demand, pinned by test/e2e/install/package-lock.json. Used by the e2e tier and `npm start`.
// It is kept out of the root dependency tree because it compiles native modules (~2 minutes).
//
// Offline-install facts (see shared notes on VS Code e2e): code-server refuses root installs
// without unsafe-perm; node-pty's postinstall needs npx to say yes; @vscode/ripgrep downloads rg
// from GitHub unless its cache already holds a tarball, so we pre-fill it with the system's rg.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const spec = path.join(root, "test/e2e/install");
export const installDir = path.join(root, ".cache/code-server");
export const codeServerBin = path.join(installDir, "node_modules/.bin/code-server");

const RIPGREP_VERSION = "1.15.11"; // @vscode/ripgrep as pinned by code-server 4.100.3
const RIPGREP_ASSET = "ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz";

function which(command) {
  const result = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function specHash() {
  const hash = createHash("sha256");
  for (const file of ["package.json", "package-lock.json"]) {
    const p = path.join(spec, file);
    if (existsSync(p)) hash.update(readFileSync(p));
  }
  return hash.digest("hex").slice(0, 16);
}

export function codeServerInstalled() {
  return existsSync(codeServerBin) && existsSync(path.join(installDir, `.installed-${specHash()}`));
}

export function ensureCodeServer({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  if (codeServerInstalled()) return codeServerBin;
  const rg = which("rg");
  if (!rg) throw new Error("ripgrep (rg) is needed to install code-server offline: apt-get install -y ripgrep");
  log("installing code-server 4.100.3 into .cache/code-server (once; about 2 minutes)…");
  rmSync(installDir, { recursive: true, force: true });
  mkdirSync(installDir, { recursive: true });
  copyFileSync(path.join(spec, "package.json"), path.join(installDir, "package.json"));
  const lock = path.join(spec, "package-lock.json");
  if (existsSync(lock)) copyFileSync(lock, path.join(installDir, "package-lock.json"));

  // TMPDIR inside the install dir keeps npm's and ripgrep's temp files out of the global temp dir.
  const tmp = path.join(installDir, "tmp");
  mkdirSync(tmp, { recursive: true });
  const cache = path.join(tmp, `vscode-ripgrep-cache-${RIPGREP_VERSION}`);
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(path.join(tmp, "rg-"));
  copyFileSync(rg, path.join(staging, "rg"));
  const tar = spawnSync("tar", ["czf", path.join(cache, RIPGREP_ASSET), "-C", staging, "rg"], { stdio: "inherit" });
  if (tar.status !== 0) throw new Error("could not build the ripgrep cache tarball");

  const npm = spawnSync(
    "npm",
    [existsSync(lock) ? "ci" : "install", "--foreground-scripts", "--no-audit", "--no-fund"],
    {
      cwd: installDir,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, TMPDIR: tmp, npm_config_unsafe_perm: "true", npm_config_yes: "true" },
    },
  );
  if (npm.status !== 0 || !existsSync(codeServerBin)) {
    throw new Error(
      "installing code-server failed (see the npm output above). It needs a C/C++ toolchain, python3 and libkrb5-dev: apt-get install -y build-essential python3 libkrb5-dev ripgrep",
    );
  }
  writeFileSync(path.join(installDir, `.installed-${specHash()}`), new Date().toISOString() + "\n");
  rmSync(tmp, { recursive: true, force: true });
  return codeServerBin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${ensureCodeServer()}\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
