import assert from "node:assert/strict";
import path from "node:path";
import { ModelUriError, defaultModelsDir, displayUrl, parseModelUri } from "@bora/inference";

describe("model store: references and location", () => {
  it("maps hf:<owner>/<repo>/<file> to the Hub's resolve URL on main", () => {
    assert.deepEqual(
      parseModelUri("hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", { env: {} }),
      {
        kind: "url",
        url: "https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/main/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        name: "qwen2.5-coder-1.5b-instruct-q4_k_m",
        origin: "huggingface",
      },
    );
  });

  it("takes a revision and nested file paths, and honours HF_ENDPOINT", () => {
    const source = parseModelUri("hf:org/repo@v1.2/sub dir/model.gguf", {
      env: { HF_ENDPOINT: "http://127.0.0.1:9/" },
    });
    assert.equal(source.kind === "url" && source.url, "http://127.0.0.1:9/org/repo/resolve/v1.2/sub%20dir/model.gguf");
    assert.equal(source.name, "model");
  });

  it("refuses malformed hf: references and path tricks with a message showing the right form", () => {
    for (const bad of ["hf:owner", "hf:owner/repo", "hf:owner/repo/file.bin", "hf:o/r/../../etc/x.gguf"]) {
      assert.throws(
        () => parseModelUri(bad, { env: {} }),
        (e: unknown) => e instanceof ModelUriError && /hf:|path/.test(e.message),
        bad,
      );
    }
  });

  it("names models from the file name and refuses names that are not file names", () => {
    assert.equal(
      parseModelUri("https://models.invalid/a/llama-3.1-8b.Q4_K_M.gguf", { env: {} }).name,
      "llama-3.1-8b.Q4_K_M",
    );
    assert.throws(() => parseModelUri("https://models.invalid/a/My%20Model.gguf", { env: {} }), /--name/);
    assert.throws(() => parseModelUri("http://models.invalid/x.gguf", { env: {} }), /https:\/\//);
    assert.equal(parseModelUri("http://127.0.0.1:8000/x.gguf", { env: {} }).kind, "url");
  });

  it("resolves local paths against the working directory", () => {
    assert.deepEqual(parseModelUri("models/tiny.gguf", { cwd: "/work", env: {} }), {
      kind: "file",
      path: "/work/models/tiny.gguf",
      name: "tiny",
    });
    assert.equal(parseModelUri("file:///opt/m/a.gguf", { env: {} }).kind, "file");
  });

  it("drops credentials and query strings from URLs it writes down", () => {
    assert.equal(
      displayUrl("https://user:pw@cdn.invalid/a/b.gguf?X-Amz-Signature=abc"),
      "https://cdn.invalid/a/b.gguf",
    );
  });

  it("keeps the store in $BORA_MODELS_DIR, else the XDG cache, else ~/.cache/bora/models", () => {
    assert.equal(defaultModelsDir({ BORA_MODELS_DIR: "/data/models" }), "/data/models");
    assert.equal(defaultModelsDir({ XDG_CACHE_HOME: "/xdg" }), "/xdg/bora/models");
    assert.match(defaultModelsDir({}), new RegExp(`${path.sep}\\.cache${path.sep}bora${path.sep}models$`));
  });
});
