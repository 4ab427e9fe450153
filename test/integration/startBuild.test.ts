/**
 * `npm ci` then `npm start` on a fresh clone: the start script builds what the bundles need (the
 * workspace libraries with `tsc -b`, then the bundles), says so, and a second start rebuilds
 * nothing. It walks that path on a fresh checkout of this working copy (the files git tracks or
 * would add, nothing built), with `start.mjs --build-only`, which stops where code-server would start.
 *
 * The checkout shares this one's installed packages instead of a second `npm ci`: its node_modules
 * links each package here, except the workspace links (@bora/*), which point into the checkout
 * itself, as `npm ci` would make them. So "@bora/protocol" resolves to the checkout's unbuilt
 * protocol/, and a start that does not build it fails as it did for a new user.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../support/paths.js";

/** Copies the working copy's files (tracked, or new and not ignored) to `dest`: what a clone plus local edits holds. */
function checkoutWorkingCopy(dest: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f !== "");
  for (const file of files) {
    const from = path.join(REPO_ROOT, file);
    if (!existsSync(from)) continue; // Deleted in the working copy.
    mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    copyFileSync(from, path.join(dest, file));
  }
}

/** node_modules for `dest`: this checkout's packages, with the workspace links pointing into `dest`. */
function linkNodeModules(dest: string): void {
  const source = path.join(REPO_ROOT, "node_modules");
  const target = path.join(dest, "node_modules");
  mkdirSync(target);
  for (const name of readdirSync(source)) {
    if (name === "@bora") continue;
    symlinkSync(path.join(source, name), path.join(target, name));
  }
  mkdirSync(path.join(target, "@bora"));
  const workspaces = JSON.parse(readFileSync(path.join(dest, "package.json"), "utf8")).workspaces as string[];
  for (const dir of workspaces) {
    const name = JSON.parse(readFileSync(path.join(dest, dir, "package.json"), "utf8")).name as string;
    symlinkSync(path.join("..", "..", dir), path.join(target, name));
  }
}

function buildOnly(cwd: string): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, ["scripts/start.mjs", "--build-only"], { cwd, encoding: "utf8" });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

const mtime = (file: string): number => statSync(file).mtimeMs;

describe("npm start on a fresh clone", function () {
  // tsc -b of two packages and two esbuild bundles: about 20 s on a quiet 2-core machine.
  this.timeout(300_000);
  let clone: string;
  const outputs = [
    "client/dist/extension.cjs",
    "server/dist/bora.mjs",
    "protocol/dist/index.js",
    "inference/dist/index.js",
  ];

  before(() => {
    clone = mkdtempSync(path.join(os.tmpdir(), "bora-clone-"));
    checkoutWorkingCopy(clone);
    linkNodeModules(clone);
  });
  after(() => rmSync(clone, { recursive: true, force: true }));

  it("starts from a checkout where nothing is built and @bora/protocol resolves inside it", () => {
    for (const file of outputs) assert.equal(existsSync(path.join(clone, file)), false, `${file} is not built yet`);
    assert.equal(
      realpathSync(path.join(clone, "node_modules/@bora/protocol")),
      realpathSync(path.join(clone, "protocol")),
    );
  });

  it("builds the libraries, then the bundles, says so, and the built CLI runs", () => {
    const first = buildOnly(clone);
    assert.equal(first.code, 0, first.output);
    assert.match(
      first.output,
      /bora start: building inference, protocol with tsc -b \(inference\/dist\/index\.js is missing/,
    );
    assert.match(first.output, /bora start: bundling client\/dist\/extension\.cjs and server\/dist\/bora\.mjs/);
    for (const file of outputs) assert.ok(existsSync(path.join(clone, file)), `${file} was built`);
    const version = spawnSync(process.execPath, ["server/dist/bora.mjs", "--version"], {
      cwd: clone,
      encoding: "utf8",
    });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /0\.1\.0/);
  });

  it("rebuilds nothing when everything is fresh", () => {
    const before = outputs.map((f) => mtime(path.join(clone, f)));
    const again = buildOnly(clone);
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /bora start: the build is up to date/);
    assert.doesNotMatch(again.output, /building|bundling/);
    assert.deepEqual(
      outputs.map((f) => mtime(path.join(clone, f))),
      before,
    );
  });

  it("rebuilds a library when one of its sources is newer than its build, and not the bundles when its output is the same", () => {
    // An edit after the last build: the source's time is now, later than anything built before.
    const now = new Date();
    utimesSync(path.join(clone, "protocol/src/index.ts"), now, now);
    const bundleBefore = mtime(path.join(clone, "server/dist/bora.mjs"));
    const third = buildOnly(clone);
    assert.equal(third.code, 0, third.output);
    assert.match(
      third.output,
      /building protocol with tsc -b \(protocol\/src\/index\.ts is newer than protocol\/tsconfig\.tsbuildinfo\)/,
    );
    // protocol/src/index.ts did not change in content, so tsc rewrites no output and the bundles stay.
    assert.equal(mtime(path.join(clone, "server/dist/bora.mjs")), bundleBefore);
    assert.match(buildOnly(clone).output, /the build is up to date/);
  });

  it("re-bundles when a bundled source is newer than the bundle", () => {
    const now = new Date();
    utimesSync(path.join(clone, "server/src/cli/bin.ts"), now, now);
    const result = buildOnly(clone);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /bundling .* \(server\/src\/cli\/bin\.ts is newer than client\/dist\/extension\.cjs\)/);
    assert.doesNotMatch(result.output, /tsc -b/);
  });
});
