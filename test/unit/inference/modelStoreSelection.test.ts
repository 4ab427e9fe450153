import assert from "node:assert/strict";
import { chooseEngine, type ModelLocation, type ModelLookup, type ModelReferenceKind } from "@bora/inference";

/** The kind `ModelStore.locate` gives a reference, by the rule of `modelUri.ts`. */
function kindOf(uri: string): ModelReferenceKind {
  if (uri.startsWith("hf:")) return "huggingFace";
  if (/^https?:\/\//.test(uri)) return "url";
  return /[/\\]|^[.~]|\.gguf$/i.test(uri) ? "file" : "storeName";
}

/** A store that has exactly these references on disk. */
function storeWith(present: Record<string, string>): ModelLookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = (uri: string): Promise<ModelLocation> => {
    asked.push(uri);
    const kind = kindOf(uri);
    const file = present[uri];
    return Promise.resolve(
      file !== undefined
        ? { found: true, kind, path: file, name: uri }
        : { found: false, kind, reference: uri, downloadable: kind === "url" || kind === "huggingFace", name: uri },
    );
  };
  return Object.assign(lookup, { asked });
}

describe("model store: engine selection", () => {
  it("picks the local engine with one model per role, edit defaulting to chat", async () => {
    const choice = await chooseEngine(
      { models: { chat: "hf:o/r/chat.gguf", fim: "/m/fim.gguf" } },
      storeWith({ "hf:o/r/chat.gguf": "/store/chat.gguf", "/m/fim.gguf": "/m/fim.gguf" }),
    );
    assert.deepEqual(choice, {
      kind: "local",
      chat: { role: "chat", uri: "hf:o/r/chat.gguf", path: "/store/chat.gguf" },
      edit: { role: "edit", uri: "hf:o/r/chat.gguf", path: "/store/chat.gguf" },
      fim: { role: "fim", uri: "/m/fim.gguf", path: "/m/fim.gguf" },
    });
  });

  it("names the pull command that fixes a missing download, once per reference", async () => {
    const store = storeWith({});
    const choice = await chooseEngine(
      { models: { chat: "hf:Qwen/Repo-GGUF/chat.gguf", edit: "hf:Qwen/Repo-GGUF/chat.gguf" } },
      store,
    );
    assert.equal(choice.kind, "unavailable");
    assert.ok(choice.kind === "unavailable");
    assert.equal(choice.reason, "missing");
    assert.deepEqual(
      choice.missing.map((m) => m.fixCommand),
      ["bora models pull hf:Qwen/Repo-GGUF/chat.gguf"],
    );
    assert.match(choice.message, /not downloaded yet\. Run: bora models pull hf:Qwen\/Repo-GGUF\/chat\.gguf/);
    assert.deepEqual(store.asked, ["hf:Qwen/Repo-GGUF/chat.gguf"], "the same reference is looked up once");
  });

  it("quotes a URL for the shell when it needs it, and points a missing path at its setting", async () => {
    const choice = await chooseEngine(
      { models: { chat: "https://cdn.invalid/a b.gguf", fim: "/nowhere/fim.gguf" } },
      storeWith({}),
    );
    assert.ok(choice.kind === "unavailable");
    assert.equal(choice.missing[0]?.fixCommand, "bora models pull 'https://cdn.invalid/a b.gguf'");
    assert.equal(choice.missing[1]?.fixCommand, undefined);
    assert.match(choice.missing[1]!.message, /does not exist\. Fix bora\.models\.fim/);
  });

  it("passes model names through for a remote engine without looking at the disk", async () => {
    const store = storeWith({});
    const choice = await chooseEngine(
      { engine: "remote", models: { chat: "qwen2.5-coder:7b" }, remote: { preset: "ollama" } },
      store,
    );
    assert.deepEqual(choice, {
      kind: "remote",
      preset: "ollama",
      models: { chat: "qwen2.5-coder:7b", edit: "qwen2.5-coder:7b" },
    });
    assert.deepEqual(store.asked, []);
  });

  it("explains an unconfigured model, for each engine kind", async () => {
    const local = await chooseEngine({ models: {} }, storeWith({}));
    assert.ok(local.kind === "unavailable" && local.reason === "unconfigured");
    assert.match(local.message, /set bora\.models\.chat.*bora models pull/);
    const remote = await chooseEngine({ engine: "remote", models: { chat: "  " } }, storeWith({}));
    assert.ok(remote.kind === "unavailable");
    assert.match(remote.message, /\/v1\/models/);
  });
});
