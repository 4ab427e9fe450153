import assert from "node:assert/strict";
import { ScriptedEngine, type Engine, type StreamEvent } from "@bora/inference";
import { DEFAULT_SETTINGS, type CompletionSettings } from "@bora/protocol";
import { CompletionService } from "../../../../server/src/completions/completionService.js";
import { MAX_EVENTS_PAST_BUDGET } from "../../../../server/src/completions/decodeBudget.js";
import { createLogger } from "../../../../server/src/host/logger.js";

const TEXT = "function add(a, b) {\n  \n}\n";
const CURSOR = TEXT.indexOf("  \n") + 2;

function service(
  engine: Engine | undefined,
  settings: Partial<CompletionSettings> = {},
  now?: () => number,
): { completions: CompletionService; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger("debug", { write: (_level, line) => void lines.push(line) });
  const completions = new CompletionService(
    { forRole: () => Promise.resolve(engine) },
    () => ({ ...DEFAULT_SETTINGS.completions, debounceMs: 0, ...settings }),
    logger,
    now,
  );
  return { completions, lines };
}

const at = (text: string, offset: number, trigger: "automatic" | "invoked" = "automatic") => ({
  uri: "file:///a.ts",
  text,
  offset,
  trigger,
});

/**
 * A model that writes `pieces`, one text event each, on a clock that `msPerPiece` moves on with each
 * one (a slow CPU, without waiting for it); it records whether it was stopped before the end.
 */
function slowModel(pieces: string[], clock: { ms: number }, msPerPiece: number) {
  const scripted = new ScriptedEngine({ turns: [] });
  const calls: { stopped: boolean; emitted: number }[] = [];
  const engine: Engine = {
    info: scripted.info,
    chat: (request) => scripted.chat(request),
    edit: (request) => scripted.edit(request),
    countTokens: (text) => scripted.countTokens(text),
    dispose: () => scripted.dispose(),
    async *complete(request): AsyncGenerator<StreamEvent> {
      const call = { stopped: false, emitted: 0 };
      calls.push(call);
      await Promise.resolve();
      for (const text of pieces) {
        if (request.signal?.aborted) {
          call.stopped = true;
          break;
        }
        clock.ms += msPerPiece;
        call.emitted++;
        yield { type: "text", text };
      }
      yield {
        type: "done",
        finishReason: call.stopped ? "aborted" : "stop",
        usage: { promptTokens: 10, completionTokens: call.emitted },
        timing: { ttftMs: msPerPiece, totalMs: msPerPiece * call.emitted, tokensPerSecond: 1000 / msPerPiece },
      };
    },
  };
  return { engine, calls };
}

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

  it("stops decoding past the time budget and shows the finished lines; typing them is answered by the cache", async () => {
    const clock = { ms: 0 };
    // 100 ms a piece: the budget (250 ms after a debounce of 0) is over before the third piece is due.
    const { engine, calls } = slowModel(["return a", " + b;\n", "  // sum", "med", "\n", "}"], clock, 100);
    const { completions, lines } = service(engine, { maxLines: 4 }, () => clock.ms);
    assert.deepEqual(await completions.complete(at(TEXT, CURSOR)), { text: "return a + b;", source: "model" });
    assert.deepEqual(calls, [{ stopped: true, emitted: 2 }], "no piece decoded past the budget's stop");
    assert.ok(lines.some((l) => /completion done: .* cut=yes chars=13 shown=yes/.test(l)));
    const typed = TEXT.slice(0, CURSOR) + "return" + TEXT.slice(CURSOR);
    assert.deepEqual(await completions.complete(at(typed, CURSOR + 6)), { text: " a + b;", source: "cache" });
    assert.equal(calls.length, 1);
  });

  it("cuts a first line still under way at a word boundary", async () => {
    const clock = { ms: 0 };
    const { engine } = slowModel(["return", " a", " +", " b;\n"], clock, 150);
    const { completions } = service(engine, {}, () => clock.ms);
    assert.deepEqual(await completions.complete(at(TEXT, CURSOR)), { text: "return", source: "model" });
  });

  it("shows nothing when no word ends within a few tokens past the budget", async () => {
    const clock = { ms: 0 };
    const { engine, calls } = slowModel(Array<string>(20).fill("opy"), clock, 400);
    const { completions } = service(engine, {}, () => clock.ms);
    assert.equal(await completions.complete(at(TEXT, CURSOR)), undefined);
    assert.equal(calls[0]?.emitted, 1 + MAX_EVENTS_PAST_BUDGET, "the first piece is past the budget, then the cap");
  });

  it("takes its budget from bora.completions.budgetMs, and decodes to the end when that is 0", async () => {
    const pieces = ["return a", " + b;\n", "  // sum", "med", "\n", "}"];
    const longer = { ms: 0 };
    const slow = slowModel(pieces, longer, 100);
    const { completions } = service(slow.engine, { maxLines: 4, budgetMs: 550 }, () => longer.ms);
    assert.equal((await completions.complete(at(TEXT, CURSOR)))?.text, "return a + b;\n  // summed");
    assert.deepEqual(
      slow.calls,
      [{ stopped: true, emitted: 5 }],
      "the fifth piece (at 500 ms) ends a line; the sixth would come after the budget",
    );
    const off = { ms: 0 };
    const whole = slowModel(pieces, off, 100);
    const { completions: unbudgeted, lines } = service(whole.engine, { maxLines: 4, budgetMs: 0 }, () => off.ms);
    // The closing brace is dropped as the line the suffix already has; what counts is that every piece was decoded.
    assert.deepEqual(await unbudgeted.complete(at(TEXT, CURSOR)), {
      text: "return a + b;\n  // summed",
      source: "model",
    });
    assert.deepEqual(whole.calls, [{ stopped: false, emitted: 6 }]);
    assert.ok(lines.some((l) => /completion done: .* cut=no /.test(l)));
  });

  it("lets an invoked completion decode to its end, and does not answer it with a cut one", async () => {
    const clock = { ms: 0 };
    const { engine, calls } = slowModel(["return a", " + b;\n", "  // sum", "med"], clock, 100);
    const { completions } = service(engine, { maxLines: 4 }, () => clock.ms);
    assert.equal((await completions.complete(at(TEXT, CURSOR)))?.text, "return a + b;", "automatic: cut");
    assert.deepEqual(await completions.complete(at(TEXT, CURSOR, "invoked")), {
      text: "return a + b;\n  // summed",
      source: "model",
    });
    assert.deepEqual(
      calls.map((c) => c.stopped),
      [true, false],
    );
    // The whole answer now stands for this place.
    assert.equal((await completions.complete(at(TEXT, CURSOR)))?.source, "cache");
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
