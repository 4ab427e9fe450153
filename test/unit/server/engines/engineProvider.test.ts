import assert from "node:assert/strict";
import {
  ScriptedEngine,
  isEngineError,
  type Engine,
  type LocalEngineOptions,
  type RemoteEngineOptions,
} from "@bora/inference";
import { createEngineProvider, type RoleSpecs } from "../../../../server/src/engines/engineProvider.js";
import type { EngineSpec } from "../../../../server/src/engines/engineSpec.js";
import {
  ModelNotHereError,
  openEngine,
  type EngineDeps,
  type EngineModelStore,
} from "../../../../server/src/engines/openEngine.js";
import { locateIn } from "../../../support/modelLocations.js";

/** Openers that record what they opened and hand out scripted engines that remember being disposed. */
function countingDeps(files: Record<string, string> = {}): EngineDeps & {
  local: LocalEngineOptions[];
  remote: RemoteEngineOptions[];
  disposed: string[];
} {
  const local: LocalEngineOptions[] = [];
  const remote: RemoteEngineOptions[] = [];
  const disposed: string[] = [];
  const engine = (name: string): Engine => {
    const inner = new ScriptedEngine({ turns: [] });
    return Object.assign(Object.create(inner) as Engine, {
      info: { ...inner.info, model: name },
      dispose: () => {
        disposed.push(name);
        return Promise.resolve();
      },
    });
  };
  const store = {
    locate: locateIn(files),
    pull: () => Promise.reject(new Error("no pulls in this test")),
    parse: () => {
      throw new Error("not used");
    },
  } as unknown as EngineModelStore;
  return {
    store,
    fetch: () => Promise.reject(new Error("no HTTP in this test")),
    log: { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined },
    env: {},
    cwd: "/",
    local,
    remote,
    disposed,
    openers: {
      openLocal: (options) => {
        local.push(options);
        return Promise.resolve(engine(options.modelPath));
      },
      openRemote: (options) => {
        remote.push(options);
        return Promise.resolve(engine(`${options.model}`));
      },
    },
  };
}

const local = (model: string): EngineSpec => ({ kind: "local", model, options: { contextSize: 2048 } });
const remote = (model: string, fimModel?: string): EngineSpec => ({
  kind: "remote",
  preset: "vllm",
  baseUrl: "http://127.0.0.1:9/v1",
  model,
  ...(fimModel !== undefined ? { fimModel } : {}),
});

describe("engine provider (engines per role)", () => {
  it("opens one model when two roles name the same file, even by different references", async () => {
    const deps = countingDeps({ "/m/chat.gguf": "/m/chat.gguf", chat: "/m/chat.gguf" });
    const provider = createEngineProvider({ chat: local("/m/chat.gguf"), edit: local("chat") }, deps);
    const [chat, edit] = await Promise.all([provider.forRole("chat"), provider.forRole("edit")]);
    assert.equal(chat, edit);
    assert.deepEqual(
      deps.local.map((o) => o.modelPath),
      ["/m/chat.gguf"],
    );
    assert.equal(deps.local[0]?.contextSize, 2048, "the spec's local options reach the engine");
    await provider.dispose();
    assert.deepEqual(deps.disposed, ["/m/chat.gguf"], "a shared engine is disposed once");
  });

  it("opens the edit role's own model when it names another file", async () => {
    const deps = countingDeps({ a: "/m/a.gguf", b: "/m/b.gguf" });
    const provider = createEngineProvider({ chat: local("a"), edit: local("b") }, deps);
    assert.equal((await provider.forRole("edit"))?.info.model, "/m/b.gguf");
    assert.equal((await provider.forRole("chat"))?.info.model, "/m/a.gguf");
    assert.equal((await provider.forRole("edit"))?.info.model, "/m/b.gguf", "opened once, then reused");
    assert.equal(deps.local.length, 2);
    await provider.dispose();
    assert.deepEqual([...deps.disposed].sort(), ["/m/a.gguf", "/m/b.gguf"]);
  });

  it("falls back to chat for edit and for fim, opening nothing extra", async () => {
    const deps = countingDeps({ a: "/m/a.gguf" });
    const provider = createEngineProvider({ chat: local("a") }, deps);
    assert.equal(await provider.forRole("fim"), await provider.forRole("chat"));
    assert.equal(await provider.forRole("edit"), await provider.forRole("chat"));
    assert.equal(deps.local.length, 1);
    await provider.dispose();
  });

  it("opens a role's model only when the role is asked for", async () => {
    const deps = countingDeps({ a: "/m/a.gguf", f: "/m/f.gguf" });
    const provider = createEngineProvider({ chat: local("a"), fim: local("f") }, deps);
    await provider.forRole("chat");
    assert.deepEqual(
      deps.local.map((o) => o.modelPath),
      ["/m/a.gguf"],
    );
    assert.equal((await provider.forRole("fim"))?.info.model, "/m/f.gguf");
    await provider.dispose();
  });

  it("shares a remote engine between roles on the same model of the same server", async () => {
    const deps = countingDeps();
    const specs: RoleSpecs = {
      chat: remote("big", "small"),
      edit: remote("big", "small"),
      fim: remote("small", "small"),
    };
    const provider = createEngineProvider(specs, deps);
    assert.equal(await provider.forRole("chat"), await provider.forRole("edit"));
    assert.notEqual(await provider.forRole("fim"), await provider.forRole("chat"));
    assert.deepEqual(
      deps.remote.map((o) => [o.model, o.fimModel]),
      [
        ["big", "small"],
        ["small", "small"],
      ],
    );
    assert.equal(deps.remote[0]?.fetch, deps.fetch, "the remote engine talks through the deps' fetch");
    await provider.dispose();
  });

  it("refuses roles after dispose, and disposes an engine that finished opening too late", async () => {
    const deps = countingDeps({ a: "/m/a.gguf" });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const openLocal = deps.openers!.openLocal;
    deps.openers!.openLocal = async (options) => {
      await gate;
      return openLocal(options);
    };
    const provider = createEngineProvider({ chat: local("a") }, deps);
    const pending = provider.forRole("chat");
    // Let the lookup finish so the open is under way before dispose.
    await new Promise((resolve) => setImmediate(resolve));
    const disposing = provider.dispose();
    release();
    await disposing;
    await assert.rejects(pending, (error: unknown) => isEngineError(error, "disposed"));
    assert.deepEqual(deps.disposed, ["/m/a.gguf"]);
    await assert.rejects(provider.forRole("chat"), (error: unknown) => isEngineError(error, "disposed"));
  });

  it("reports a reference the store does not have as not here, with whether it can be pulled", async () => {
    const deps = countingDeps();
    await assert.rejects(openEngine(local("hf:o/r/x.gguf"), deps), (error: unknown) => {
      assert.ok(error instanceof ModelNotHereError);
      assert.equal(error.code, "modelMissing");
      assert.deepEqual([error.uri, error.downloadable], ["hf:o/r/x.gguf", true]);
      return true;
    });
    await assert.rejects(
      openEngine(local("/no/such.gguf"), deps),
      (error: unknown) => error instanceof ModelNotHereError && !error.downloadable,
    );
    assert.equal(deps.local.length, 0);
  });
});
