// Builds what `npm start` and the e2e tier run, and only what is missing or older than its sources:
// first the workspace libraries the bundles import as built code (the @bora/* dependencies of the
// bundled packages, today protocol and inference, whose `exports` point into dist/) with `tsc -b`,
// then the bundles (scripts/bundle.mjs). A fresh clone has neither, so `npm ci && npm start`
// works; a second start finds everything fresh and rebuilds nothing.
//
// Freshness is judged by modification times, as make does. A library's stamp is its
// tsconfig.tsbuildinfo, because `tsc -b` rewrites only the outputs whose content changed but always
// brings the build info up to date; a bundle's stamp is the bundle itself, which esbuild rewrites whole.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundle, bundles } from "./bundle.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The newest file under `paths` (files or folders; missing ones are skipped), or undefined when there is none. */
function newestFile(paths) {
  let newest;
  const visit = (p) => {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(p)) visit(path.join(p, name));
    } else if (newest === undefined || stat.mtimeMs > newest.mtimeMs) {
      newest = { file: p, mtimeMs: stat.mtimeMs };
    }
  };
  for (const p of paths) visit(p);
  return newest;
}

function mtimeOf(file) {
  return existsSync(file) ? statSync(file).mtimeMs : undefined;
}

/** Why `output` must be rebuilt from `inputs`, or undefined when it is there and newer than all of them. */
function staleness(root, output, inputs) {
  const outputTime = mtimeOf(output);
  if (outputTime === undefined) return `${path.relative(root, output)} is missing`;
  const newest = newestFile(inputs);
  if (newest !== undefined && newest.mtimeMs > outputTime) {
    return `${path.relative(root, newest.file)} is newer than ${path.relative(root, output)}`;
  }
  return undefined;
}

/**
 * What the bundles need and what is out of date, without building anything: the libraries (workspace
 * packages the bundled packages depend on, transitively) and the bundles, each with `reason` set when
 * it must be built.
 */
export function buildPlan(root = repoRoot) {
  const workspaces = new Map();
  for (const dir of readJson(path.join(root, "package.json")).workspaces) {
    const manifest = readJson(path.join(root, dir, "package.json"));
    workspaces.set(manifest.name, { dir, manifest });
  }
  const bundledDirs = bundles.map((b) => b.entryPoints[0].split("/")[0]);
  const libraryDirs = new Set();
  const collect = (manifest) => {
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      const workspace = workspaces.get(name);
      if (workspace === undefined || libraryDirs.has(workspace.dir)) continue;
      libraryDirs.add(workspace.dir);
      collect(workspace.manifest);
    }
  };
  for (const dir of bundledDirs) collect(readJson(path.join(root, dir, "package.json")));

  const libraries = [...libraryDirs].sort().map((dir) => {
    const manifest = readJson(path.join(root, dir, "package.json"));
    const entry = manifest.exports?.["."]?.default;
    if (typeof entry !== "string") throw new Error(`${dir}/package.json has no exports["."].default to build`);
    const inputs = ["src", "tsconfig.json", "package.json"].map((p) => path.join(root, dir, p));
    inputs.push(path.join(root, "tsconfig.base.json"));
    const reason =
      (existsSync(path.join(root, dir, entry)) ? undefined : `${path.join(dir, entry)} is missing`) ??
      staleness(root, path.join(root, dir, "tsconfig.tsbuildinfo"), inputs);
    return { dir, outDir: path.dirname(path.join(dir, entry)), reason };
  });

  const bundleInputs = [
    ...libraries.map((l) => path.join(root, l.outDir)),
    ...bundledDirs.map((dir) => path.join(root, dir, "src")),
    ...bundledDirs.map((dir) => path.join(root, dir, "package.json")),
    path.join(root, "scripts/bundle.mjs"),
    path.join(root, "package.json"),
    path.join(root, "package-lock.json"),
    // npm writes this on every install, so a changed node_modules re-bundles too.
    path.join(root, "node_modules/.package-lock.json"),
  ];
  const outputs = bundles.map((b) => b.outfile);
  const reason = outputs.map((o) => staleness(root, path.join(root, o), bundleInputs)).find((r) => r !== undefined);
  return { libraries, bundles: { outputs, reason } };
}

/**
 * Builds what is missing or stale (see `buildPlan`), saying what and why through `log`, and returns
 * what it built: library folders and "bundles". Throws when a build step fails (its errors are on
 * stderr already).
 */
export async function ensureBuilt({ root = repoRoot, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const plan = buildPlan(root);
  const built = [];
  const stale = plan.libraries.filter((l) => l.reason !== undefined);
  if (stale.length > 0) {
    const dirs = stale.map((l) => l.dir);
    log(`building ${dirs.join(", ")} with tsc -b (${stale.map((l) => l.reason).join("; ")})…`);
    const tsc = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-b", ...dirs], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (tsc.status !== 0) throw new Error(`tsc -b ${dirs.join(" ")} failed (see its errors above)`);
    built.push(...dirs);
  }
  // Rebuilt libraries change the bundles' inputs, so ask again.
  const bundleReason = stale.length > 0 ? buildPlan(root).bundles.reason : plan.bundles.reason;
  if (bundleReason !== undefined) {
    log(`bundling ${plan.bundles.outputs.join(" and ")} (${bundleReason})…`);
    await bundle(root);
    built.push("bundles");
  }
  if (built.length === 0) log(`the build is up to date (${plan.bundles.outputs.join(", ")})`);
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await ensureBuilt({ log: (m) => process.stderr.write(`build: ${m}\n`) });
  } catch (error) {
    process.stderr.write(`build: ${error.message}\n`);
    process.exit(1);
  }
}
