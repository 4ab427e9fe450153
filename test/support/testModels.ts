/**
 * Generated GGUF models for tests and benchmarks, cached in `.cache/models/` (ignored by git).
 * A file is named for its shape, seed and the generator version, so a generator change regenerates
 * instead of serving a stale model; generation writes a temporary file and renames it, so two test
 * processes that race both end with the same complete file.
 */
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import {
  DEFAULT_MODEL_SEED,
  TEST_MODEL_GENERATOR_VERSION,
  generateModel,
  readGgufHeader,
  type TestModelShape,
} from "@bora/inference";
import { REPO_ROOT } from "./hostProcess.js";

/** Where generated models live. `BORA_TEST_MODEL_DIR` overrides it (e.g. a shared CI cache). */
export const TEST_MODEL_DIR = process.env.BORA_TEST_MODEL_DIR ?? path.join(REPO_ROOT, ".cache/models");

const pending = new Map<string, Promise<string>>();

export function testModelPath(shape: TestModelShape, seed = DEFAULT_MODEL_SEED): string {
  return path.join(TEST_MODEL_DIR, `${shape}-s${seed}-g${TEST_MODEL_GENERATOR_VERSION}.gguf`);
}

async function isCurrent(file: string): Promise<boolean> {
  try {
    await stat(file);
    const header = await readGgufHeader(file);
    return header.metadata.get("bora.generator.version")?.value === TEST_MODEL_GENERATOR_VERSION;
  } catch {
    return false;
  }
}

/** Removes files of this shape and seed from older generator versions, so the cache does not grow forever. */
async function removeStale(shape: TestModelShape, seed: number, keep: string): Promise<void> {
  const prefix = `${shape}-s${seed}-g`;
  const names = await readdir(TEST_MODEL_DIR).catch(() => []);
  for (const name of names)
    if (name.startsWith(prefix) && name.endsWith(".gguf") && path.join(TEST_MODEL_DIR, name) !== keep)
      await rm(path.join(TEST_MODEL_DIR, name), { force: true });
}

/**
 * The path of a generated model of `shape`, generating it on first use: tiny (1.1 MiB) and copy
 * (13.5 MiB) take a fraction of a second; 0.5b (232 MiB) and 1b (591 MiB) a few seconds each, so
 * only benchmarks ask for them.
 */
export function ensureTestModel(shape: TestModelShape, seed = DEFAULT_MODEL_SEED): Promise<string> {
  const file = testModelPath(shape, seed);
  let promise = pending.get(file);
  if (promise === undefined) {
    promise = (async () => {
      if (!(await isCurrent(file))) {
        await generateModel({ shape, seed, out: file });
        await removeStale(shape, seed, file);
      }
      return file;
    })();
    // A failure is not cached: the next call tries again.
    void promise.catch(() => pending.delete(file));
    pending.set(file, promise);
  }
  return promise;
}
