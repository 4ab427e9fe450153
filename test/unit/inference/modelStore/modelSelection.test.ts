import assert from "node:assert/strict";
import { chooseEngine } from "@bora/inference";
import { locateIn } from "../../../support/modelLocations.js";

describe("model store: engine selection", () => {
  it("picks the local engine with one model per role, edit defaulting to chat", async () => {
    const choice = await chooseEngine(
      { models: { chat: "hf:o/r/chat.gguf", fim: "/m/fim.gguf" } },
      locateIn({ "hf:o/r/chat.gguf": "/store/chat.gguf", "/m/fim.gguf": "/m/fim.gguf" }),
    );
    assert.deepEqual(choice, {
      kind: "local",
      chat: { role: "chat", uri: "hf:o/r/chat.gguf", path: "/store/chat.gguf" },
      edit: { role: "edit", uri: "hf:o/r/chat.gguf", path: "/store/chat.gguf" },
      fim: { role: "fim", uri: "/m/fim.gguf", path: "/m/fim.gguf" },
    });
  });

  it("reports a missing download as pullable, once per reference", async () => {
    const store = locateIn({});
    const choice = await chooseEngine(
      { models: { chat: "hf:Qwen/Repo-GGUF/chat.gguf", edit: "hf:Qwen/Repo-GGUF/chat.gguf" } },
      store,
    );
    assert.equal(choice.kind, "unavailable");
    assert.ok(choice.kind === "unavailable");
    assert.equal(choice.reason, "missing");
    assert.deepEqual(choice.missing, [
      { role: "chat", uri: "hf:Qwen/Repo-GGUF/chat.gguf", downloadable: true, kind: "huggingFace" },
    ]);
    assert.deepEqual(store.asked, ["hf:Qwen/Repo-GGUF/chat.gguf"], "the same reference is looked up once");
  });

  it("tells a pullable URL from a missing path, with the role that names each", async () => {
    const choice = await chooseEngine(
      { models: { chat: "https://cdn.invalid/ab.gguf", fim: "/nowhere/fim.gguf" } },
      locateIn({}),
    );
    assert.ok(choice.kind === "unavailable");
    assert.deepEqual(choice.missing, [
      { role: "chat", uri: "https://cdn.invalid/ab.gguf", downloadable: true, kind: "url" },
      { role: "fim", uri: "/nowhere/fim.gguf", downloadable: false, kind: "file", path: "/nowhere/fim.gguf" },
    ]);
  });

  it("passes model names through for a remote engine without looking at the disk", async () => {
    const store = locateIn({});
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

  it("reports an unconfigured chat role, for each engine kind", async () => {
    const local = await chooseEngine({ models: {} }, locateIn({}));
    assert.ok(local.kind === "unavailable" && local.reason === "unconfigured");
    assert.equal(local.engine, "local");
    assert.deepEqual(local.unconfigured, ["chat"]);
    const remote = await chooseEngine({ engine: "remote", models: { chat: "  " } }, locateIn({}));
    assert.ok(remote.kind === "unavailable" && remote.reason === "unconfigured");
    assert.equal(remote.engine, "remote");
  });

  it("never words a fix: no setting, command or flag in what it returns", async () => {
    const choices = [
      await chooseEngine({ models: {} }, locateIn({})),
      await chooseEngine({ engine: "remote", models: {} }, locateIn({})),
      await chooseEngine({ models: { chat: "hf:o/r/c.gguf", fim: "/no/f.gguf" } }, locateIn({})),
    ];
    for (const choice of choices) assert.doesNotMatch(JSON.stringify(choice), /bora[. ]|--|Bora:/);
  });
});
