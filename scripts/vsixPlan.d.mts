export declare const MIB: number;
export declare const DEFAULT_BUDGET_MIB: number;
export declare const CUDA_BUDGET_MIB: number;
export interface TargetSpec {
  os: string;
  cpu: string;
  llama: string[];
  cuda?: string[];
  postgres: string;
}
export declare const TARGETS: Record<string, TargetSpec>;
export interface TargetPlan {
  target: string;
  cuda: boolean;
  os: string;
  cpu: string;
  native: string[];
  file: string;
  budgetMiB: number;
}
export declare function isNativePackage(name: string): boolean;
export declare function planTarget(
  target: string,
  options: { cuda?: boolean; version: string },
): TargetPlan | { error: string };
export declare function whyNotBuildable(plan: TargetPlan, installed: (name: string) => boolean): string | undefined;
export declare function fieldAdmits(field: string[] | undefined, value: string): boolean;
export declare function resolvePackageDir(
  fromDir: string,
  name: string,
  exists: (dir: string) => boolean,
): string | undefined;
export interface PackageManifest {
  name?: string;
  os?: string[];
  cpu?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
export declare function runtimeClosure(options: {
  roots: string[];
  native: string[];
  manifest: (dir: string) => PackageManifest | undefined;
  os: string;
  cpu: string;
}): { packages: string[]; missing: string[] };
export declare function bundleImports(text: string, isBuiltin: (specifier: string) => boolean): string[];
export declare function collapseLibraryLinks(links: { link: string; target: string }[]): {
  renames: { from: string; to: string }[];
  copies: { from: string; to: string }[];
  dropped: string[];
};
export declare function checkBudget(bytes: number, budgetMiB: number): { over: boolean; line: string };
export declare function nativeBinaries(paths: string[], required?: RegExp[]): { binaries: string[]; missing: string[] };
export declare function requiredBinaries(plan: TargetPlan): RegExp[];
export declare function extensionManifest(
  root: Record<string, unknown>,
  extra?: Record<string, unknown>,
): Record<string, unknown>;
export declare function binaryListing(binaries: string[]): string[];
