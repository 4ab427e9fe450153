import assert from "node:assert/strict";
import { ScriptedEngine, type Engine } from "@bora/inference";
import { DEFAULT_SETTINGS, type CompletionSettings } from "@bora/protocol";
import { CompletionService } from "../../../../server/src/completions/completionService.js";
import { createLogger } from "../../../../server/src/host/logger.js";

const TEXT = "function add(a, b) {\n  \n}\n";
const CURSOR = TEXT.indexOf("  \n") + 2;

function service(
  engine: Engine | undefined,
  settings: Partial<CompletionSettings> = {},
): { completions: CompletionService; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger("debug", { write: (_level, line) => void lines.push(line) });
  const completions = new CompletionService(
    { forRole: () => Promise.resolve(engine) },
    () => ({ ...DEFAULT_SETTINGS.completions, debounceMs: 0, ...settings }),
    logger,
  );
  return { completions, lines };
}

const at = (text: string, offset: number) => ({ uri: "file:///a.ts", text, offset, trigger: "automatic" as const });

describe("completion service", () => {
  it("asks the fim engine at interactive priority with the prefix and the suffix, and cleans the answer", async () => {
    const engine = new ScriptedEngine({ turns: [{ content: "return a + b;\n}\n" }] });
    const { completions } = service(engine);
    assert.deepEqual(await completions.complete(at(TEXT, CURSOR)), { text: "return a + b;", source: "model" });
    const [request] = engine.requests;
    assert.equal(request?.kind, "complete");
    if (request?.kind !== "complete") return;
    assert.equal(request.request.prompt, "function add(a, b) {\n  ");
    assert.equal(request.request.suffix, "\n}\n");
    assert.equal(request.request.priority, "interactive");
  });

  it("answers typing that follows the suggestion from the cache, without the engine", async () => {
    const engine = new ScriptedEngine({ turns: [{ content: "return a + b;" }] });
    const { completions, lines } = service(engine);
    await completions.complete(at(TEXT, CURSOR));
    const typed = TEXT.slice(0, CURSOR) + "ret" + TEXT.slice(CURSOR);
    assert.deepEqual(await completions.complete(at(typed, CURSOR + 3)), { text: "urn a + b;", source: "cache" });
    assert.equal(engine.requests.length, 1, "one generation for both");
    assert.ok(lines.some((l) => /completion from cache: chars=10/.test(l)));
  });

  it("cancels an older request for the document when a newer one arrives", async () => {
    const engine = new ScriptedEngine(
      { turns: [{ content: "one two three four five six" }, { content: "x = 1;" }] },
      { chunkDelayMs: 30 },
    );
    const { completions } = service(engine);
    const older = completions.complete(at(TEXT, CURSOR));
    // The older one is generating (the scripted engine took its turn).
    while (engine.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const newer = completions.complete(at(TEXT.replace("  \n", "  x\n"), CURSOR + 1));
    assert.equal(await older, undefined);
    assert.deepEqual(await newer, { text: "x = 1;", source: "model" });
  });

  it("does nothing when completions are off or no engine runs", async () => {
    const engine = new ScriptedEngine({ turns: [{ content: "x" }] });
    assert.equal(await service(engine, { enabled: false }).completions.complete(at(TEXT, CURSOR)), undefined);
    assert.equal(engine.requests.length, 0);
    assert.equal(await service(undefined).completions.complete(at(TEXT, CURSOR)), undefined);
  });

  it("completes from the prefix alone on an engine without FIM, and says so once", async () => {
    const scripted = new ScriptedEngine({ turns: [{ content: "a;" }, { content: "b;" }] });
    const engine = Object.assign(scripted, {
      info: { ...scripted.info, model: "chatty", capabilities: { ...scripted.info.capabilities, fim: false } },
    }) as Engine;
    const { completions, lines } = service(engine);
    assert.equal((await completions.complete(at(TEXT, CURSOR)))?.text, "a;");
    assert.equal((await completions.complete(at(TEXT, CURSOR + 1)))?.text, "b;");
    const request = scripted.requests[0];
    assert.ok(request?.kind === "complete" && request.request.suffix === undefined, "no suffix sent");
    assert.equal(lines.filter((l) => /chatty has no fill-in-the-middle support/.test(l)).length, 1);
  });

  it("drops a completion that repeats the suffix and logs a failure once, not per keystroke", async () => {
    const engine = new ScriptedEngine({ turns: [{ content: "}" }] });
    const { completions, lines } = service(engine);
    assert.equal(await completions.complete(at(TEXT, CURSOR)), undefined);
    // The script is exhausted: every request now fails the same way.
    await completions.complete(at(TEXT, CURSOR));
    await completions.complete(at(TEXT, CURSOR));
    assert.equal(lines.filter((l) => /completion failed/.test(l)).length, 1);
  });
});
