/**
 * `ModelStore.locate`, the one place a model reference becomes a file: a bare word is a store name
 * first and a file in the working directory second; a path is a file; a URL or `hf:` reference is
 * found by its store name. What is not here says which kind of reference it was.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ModelStore, isModelStoreError, parseModelUri } from "@bora/inference";

describe("model store: locating a reference", () => {
  let root: string;
  let dir: string;
  let cwd: string;
  let store: ModelStore;
  const noFetch = () => Promise.reject(new Error("locating a model never downloads"));

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "bora-locate-"));
    dir = path.join(root, "store");
    cwd = path.join(root, "project");
    await mkdir(dir, { recursive: true });
    await mkdir(cwd, { recursive: true });
    store = new ModelStore({ dir, env: { HF_ENDPOINT: "https://hub.invalid" }, uri: { cwd }, fetch: noFetch });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("finds a bare word in the store, even when a file of that name is in the working directory", async () => {
    await writeFile(path.join(dir, "m.gguf"), "stored");
    await writeFile(path.join(cwd, "m"), "local");
    assert.deepEqual(await store.locate("m"), {
      found: true,
      kind: "storeName",
      path: path.join(dir, "m.gguf"),
      name: "m",
    });
  });

  it("falls back to a file of that name in the working directory", async () => {
    await writeFile(path.join(cwd, "weights"), "local");
    assert.deepEqual(await store.locate("weights"), {
      found: true,
      kind: "file",
      path: path.join(cwd, "weights"),
      name: "weights",
    });
  });

  it("says a missing bare word is a store name, which no pull can fetch", async () => {
    assert.deepEqual(await store.locate("qwen2.5-coder"), {
      found: false,
      kind: "storeName",
      reference: "qwen2.5-coder",
      downloadable: false,
      name: "qwen2.5-coder",
      path: path.join(cwd, "qwen2.5-coder"),
    });
  });

  it("takes anything with a slash, a leading dot or tilde, or a .gguf ending as a path, never a store name", async () => {
    await writeFile(path.join(dir, "m.gguf"), "stored");
    for (const reference of ["./m", "sub/m", "m.gguf", "~/m.gguf"]) {
      const location = await store.locate(reference);
      assert.equal(location.found, false, reference);
      assert.equal(location.kind, "file", reference);
    }
    assert.deepEqual(parseModelUri("~/models/a.gguf", { env: {} }), {
      kind: "file",
      path: path.join(os.homedir(), "models", "a.gguf"),
      name: "a",
    });
    assert.deepEqual(parseModelUri("qwen2.5", { env: {}, cwd: "/work" }), {
      kind: "name",
      name: "qwen2.5",
      path: "/work/qwen2.5",
    });
    await writeFile(path.join(cwd, "m.gguf"), "local");
    assert.deepEqual(await store.locate("m.gguf"), {
      found: true,
      kind: "file",
      path: path.join(cwd, "m.gguf"),
      name: "m",
    });
  });

  it("finds URLs and hf: references by the store name their file gets, and says they can be pulled", async () => {
    for (const [reference, kind] of [
      ["https://cdn.invalid/models/tiny-q8.gguf?sig=1", "url"],
      ["hf:owner/repo/tiny-q8.gguf", "huggingFace"],
    ] as const) {
      assert.deepEqual(await store.locate(reference), {
        found: false,
        kind,
        reference,
        downloadable: true,
        name: "tiny-q8",
      });
    }
    await writeFile(path.join(dir, "tiny-q8.gguf"), "stored");
    const found = await store.locate("hf:owner/repo/tiny-q8.gguf");
    assert.deepEqual(found, {
      found: true,
      kind: "huggingFace",
      path: path.join(dir, "tiny-q8.gguf"),
      name: "tiny-q8",
    });
    assert.equal(await store.resolve("tiny-q8"), path.join(dir, "tiny-q8.gguf"), "and by that name");
  });

  it("answers a pull of a name the store has with the model, and of one it lacks with what to pull instead", async () => {
    await writeFile(path.join(dir, "m.gguf"), "stored");
    const pulled = await store.pull("m");
    assert.equal(pulled.alreadyPresent, true);
    assert.equal(pulled.model.path, path.join(dir, "m.gguf"));
    await assert.rejects(store.pull("absent"), (error: unknown) => {
      assert.ok(isModelStoreError(error, "notFound"));
      assert.match(
        error.message,
        /no model named 'absent' in the store .* pull an hf:<owner>\/<repo>\/<file>\.gguf reference/,
      );
      return true;
    });
  });
});
