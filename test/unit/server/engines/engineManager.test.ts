import assert from "node:assert/strict";
import { ScriptedEngine, collect, type Engine, type LocalEngineOptions } from "@bora/inference";
import { settingsFrom, type BoraSettings, type EngineStatus } from "@bora/protocol";
import { EngineManager, roleSpecsFor, type ManagerDeps } from "../../../../server/src/engines/engineManager.js";
import { AgentHost } from "../../../../server/src/host/agentHost.js";
import { createLogger } from "../../../../server/src/host/logger.js";
import { locateIn } from "../../../support/modelLocations.js";

/** A store holding these files (reference → path) and listing these names; openers that record the paths opened. */
function fakeDeps(files: Record<string, string>, pulled: string[] = []): ManagerDeps & { opened: string[] } {
  const opened: string[] = [];
  return {
    store: {
      // Like the real store: a reference by its file, and a file path as itself.
      locate: locateIn(files),
      list: () => Promise.resolve(pulled.map((name) => ({ name }))),
      pull: () => Promise.reject(new Error("no pulls here")),
      parse: () => {
        throw new Error("not used");
      },
    } as unknown as ManagerDeps["store"],
    fetch: () => Promise.reject(new Error("no HTTP here")),
    log: createLogger("error"),
    env: {},
    cwd: "/",
    opened,
    openers: {
      openLocal: (options: LocalEngineOptions) => {
        opened.push(options.modelPath);
        const engine = new ScriptedEngine({ turns: [{ content: "one two three" }] }, { chunkDelayMs: 1 });
        return Promise.resolve(Object.assign(engine, { info: { ...engine.info, model: options.modelPath } }) as Engine);
      },
      openRemote: () => Promise.reject(new Error("no remote here")),
    },
  };
}

function managed(deps: ManagerDeps): { manager: EngineManager; statuses: EngineStatus[] } {
  const host = new AgentHost(createLogger("error"));
  const statuses: EngineStatus[] = [];
  host.onStatus((s) => statuses.push(s.engine));
  return { manager: new EngineManager(host, deps), statuses };
}

describe("engine manager (the host's engines per role)", () => {
  it("reports the chat engine, opens the edit model on first use, and gives fim the chat engine unless set", async () => {
    const deps = fakeDeps({ "chat.gguf": "/m/chat.gguf", "edit.gguf": "/m/edit.gguf" });
    const { manager, statuses } = managed(deps);
    await manager.apply(settingsFrom({ models: { chat: "chat.gguf", edit: "edit.gguf" } }).settings);
    assert.deepEqual(statuses.at(-1), { state: "ready", kind: "local", model: "/m/chat.gguf" });
    assert.deepEqual(deps.opened, ["/m/chat.gguf"], "the edit model waits until an edit needs it");
    assert.equal((await manager.forRole("edit"))?.info.model, "/m/edit.gguf");
    assert.equal(await manager.forRole("fim"), manager.current, "fim falls back to the chat model");
    assert.deepEqual(deps.opened, ["/m/chat.gguf", "/m/edit.gguf"], "the fallback opens nothing more");
    assert.equal(await manager.forRole("chat"), manager.current, "chat is the measured engine the status shows");
    await collect(manager.current!.chat({ messages: [] }));
    assert.ok((statuses.at(-1)?.lastTokensPerSecond ?? 0) > 0, "the chat engine's speed reaches the status");
    await manager.dispose();
  });

  it("keeps the last settings it was given, also those that change no engine", async () => {
    const { manager } = managed(fakeDeps({ "chat.gguf": "/m/chat.gguf" }));
    const read = (): BoraSettings | undefined => manager.settings;
    assert.equal(read(), undefined, "nothing read yet");
    const first = settingsFrom({ models: { chat: "chat.gguf" } }).settings;
    const second = settingsFrom({ models: { chat: "chat.gguf" }, completions: { maxLines: 2 } }).settings;
    const applying = manager.apply(first);
    assert.equal(read(), first, "known at once, before the engine has loaded");
    await applying;
    await manager.apply(second);
    assert.equal(read()?.completions.maxLines, 2);
    await manager.dispose();
  });

  it("gives edit the chat engine when edit names no model of its own", async () => {
    const deps = fakeDeps({ "chat.gguf": "/m/chat.gguf" });
    const { manager } = managed(deps);
    await manager.apply(settingsFrom({ models: { chat: "chat.gguf" } }).settings);
    assert.equal(await manager.forRole("edit"), manager.current);
    assert.deepEqual(deps.opened, ["/m/chat.gguf"]);
    await manager.dispose();
  });

  it("reports nothing configured as state none with a problem, naming a pulled model", async () => {
    const { manager, statuses } = managed(fakeDeps({}, ["qwen"]));
    await manager.apply(settingsFrom({}).settings);
    const last = statuses.at(-1);
    assert.equal(last?.state, "none");
    assert.deepEqual([last?.problem?.code, last?.problem?.target], ["modelUnused", "bora.models.chat"]);
    assert.equal(await manager.forRole("chat"), undefined);
    await manager.dispose();
  });

  it("builds remote roles that share one engine per server model, with the key for every role", () => {
    const settings = settingsFrom({ engine: "remote", models: { chat: "big", fim: "small" } }).settings;
    const specs = roleSpecsFor(
      { kind: "remote", preset: "mistral", models: { chat: "big", edit: "big", fim: "small" } },
      settings,
      "key",
    );
    assert.deepEqual(specs.chat, specs.edit);
    assert.deepEqual(specs.chat, { kind: "remote", preset: "mistral", model: "big", fimModel: "small", apiKey: "key" });
    assert.deepEqual(specs.fim, {
      kind: "remote",
      preset: "mistral",
      model: "small",
      fimModel: "small",
      apiKey: "key",
    });
  });
});
