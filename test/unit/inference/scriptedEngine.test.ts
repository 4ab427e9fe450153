import assert from "node:assert/strict";
import { EngineError, ScriptedEngine, collect, isEngineError, parseScript, type StreamEvent } from "@bora/inference";

async function events(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe("ScriptedEngine", () => {
  it("replays turns in order: text streamed in pieces, then tool calls, then done", async () => {
    const engine = new ScriptedEngine(
      parseScript({
        turns: [
          { content: "Let me look.", tool_calls: [{ name: "read_file", arguments: { path: "a.ts" } }] },
          { content: "Done: fixed it." },
        ],
      }),
    );
    const first = await events(engine.chat({ messages: [{ role: "user", content: "fix a.ts" }] }));
    assert.deepEqual(
      first.filter((e) => e.type === "text").map((e) => (e as { text: string }).text),
      ["Let ", "me ", "look."],
    );
    const call = first.find((e) => e.type === "toolCall");
    assert.deepEqual(
      call && call.type === "toolCall" ? { name: call.call.name, args: call.call.arguments } : undefined,
      {
        name: "read_file",
        args: { path: "a.ts" },
      },
    );
    const done = first.at(-1);
    assert.equal(done?.type, "done");
    assert.equal(done?.type === "done" && done.finishReason, "toolCalls");

    const second = await collect(engine.chat({ messages: [{ role: "user", content: "go on" }] }));
    assert.equal(second.text, "Done: fixed it.");
    assert.equal(second.finishReason, "stop");
    assert.equal(engine.remainingTurns, 0);
    assert.deepEqual(
      engine.requests.map((r) => r.kind),
      ["chat", "chat"],
    );
  });

  it("gives tool calls unique ids", async () => {
    const engine = new ScriptedEngine({
      turns: [
        {
          tool_calls: [
            { name: "a", arguments: {} },
            { name: "b", arguments: {} },
          ],
        },
      ],
    });
    const result = await collect(engine.chat({ messages: [] }));
    assert.equal(new Set(result.toolCalls.map((c) => c.id)).size, 2);
  });

  it("with turnFrom conversation, picks the turn by the assistant turns in the conversation, as a fresh engine after a crash would", async () => {
    const script = parseScript({
      turnFrom: "conversation",
      turns: [{ content: "first" }, { content: "second" }, { content: "third" }],
    });
    const conversation = [
      { role: "user" as const, content: "task" },
      { role: "assistant" as const, content: "first" },
      { role: "user" as const, content: "go on" },
    ];
    // A new engine (a restarted worker) asked mid-conversation answers the turn that comes next.
    const fresh = new ScriptedEngine(script);
    assert.equal((await collect(fresh.chat({ messages: conversation }))).text, "second");
    // Asked again with the same conversation (a replayed step), it answers the same turn again.
    assert.equal((await collect(fresh.chat({ messages: conversation }))).text, "second");
    // In order (the default), the same two requests take consecutive turns.
    const inOrder = new ScriptedEngine(script, { turnFrom: "order" });
    assert.equal((await collect(inOrder.chat({ messages: conversation }))).text, "first");
    assert.equal((await collect(inOrder.chat({ messages: conversation }))).text, "second");
    assert.throws(() => parseScript({ turns: [{ content: "x" }], turnFrom: "random" }), /turnFrom/);
  });

  it("fails with scriptExhausted after the last turn", async () => {
    const engine = new ScriptedEngine({ turns: [{ content: "only" }] });
    await collect(engine.chat({ messages: [] }));
    await assert.rejects(collect(engine.chat({ messages: [] })), (e: unknown) => isEngineError(e, "scriptExhausted"));
  });

  it("stops streaming when aborted and reports aborted", async () => {
    const engine = new ScriptedEngine({ turns: [{ content: "one two three four five six" }] }, { chunkDelayMs: 20 });
    const controller = new AbortController();
    const seen: string[] = [];
    let finish: string | undefined;
    for await (const event of engine.chat({ messages: [], signal: controller.signal })) {
      if (event.type === "text") {
        seen.push(event.text);
        if (seen.length === 2) controller.abort();
      }
      if (event.type === "done") finish = event.finishReason;
    }
    assert.equal(finish, "aborted");
    assert.deepEqual(seen, ["one ", "two "]);
  });

  it("ends a request past its deadline with code deadline, after the chunks streamed before it", async () => {
    // The next chunk is a minute away, so the deadline is what ends the request.
    const engine = new ScriptedEngine({ turns: [{ content: "one two three" }] }, { chunkDelayMs: 60_000 });
    const seen: StreamEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of engine.chat({ messages: [], deadlineMs: 5 })) seen.push(event);
      })(),
      (e: unknown) => isEngineError(e, "deadline") && /deadline of 5 ms/.test(e.message),
    );
    assert.deepEqual(seen, []);
  });

  it("leaves no deadline timer behind when a request ends before its deadline", async () => {
    const liveTimeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const engine = new ScriptedEngine({ turns: [{ content: "a b c" }, { content: "a b c" }] });
    // The same request without a deadline first: the count then includes the runner's own timers.
    await collect(engine.chat({ messages: [] }));
    const before = liveTimeouts();
    const result = await collect(engine.chat({ messages: [], deadlineMs: 600_000 }));
    assert.equal(result.finishReason, "stop");
    assert.equal(liveTimeouts(), before);
  });

  it("reports usage and timing in the done event", async () => {
    const engine = new ScriptedEngine({ turns: [{ content: "a b c" }] });
    const result = await collect(engine.complete({ prompt: "x y" }));
    assert.equal(result.usage.promptTokens, 2);
    assert.equal(result.usage.completionTokens, 3);
    assert.ok(result.timing.totalMs >= result.timing.ttftMs);
  });

  it("counts tokens deterministically and refuses use after dispose", async () => {
    const engine = new ScriptedEngine({ turns: [] });
    assert.equal(await engine.countTokens("hello, world"), 3);
    await engine.dispose();
    await assert.rejects(engine.countTokens("x"), (e: unknown) => isEngineError(e, "disposed"));
  });
});

describe("parseScript", () => {
  it("names the turn and field that is wrong", () => {
    const bad: [unknown, RegExp][] = [
      [[], /expected an object \{"turns"/],
      [{ turns: [5] }, /turns\[0\]: expected an object/],
      [{ turns: [{}] }, /turns\[0\]: needs content or tool_calls/],
      [{ turns: [{ content: 3 }] }, /turns\[0\]\.content: expected a string/],
      [{ turns: [{ tool_calls: [{ arguments: {} }] }] }, /turns\[0\]\.tool_calls\[0\]: expected \{name/],
      [{ turns: [{ tool_calls: [{ name: "x", arguments: [1] }] }] }, /tool_calls\[0\]\.arguments: expected an object/],
      [{ turns: [{ content: "x" }], chunkDelayMs: "50" }, /chunkDelayMs: expected a number of milliseconds/],
      [{ turns: [{ content: "x" }], chunkDelayMs: -1 }, /chunkDelayMs: expected a number of milliseconds/],
    ];
    for (const [input, message] of bad) {
      assert.throws(
        () => parseScript(input),
        (e: unknown) => e instanceof EngineError && e.code === "invalidScript" && message.test(e.message),
      );
    }
  });
  it("keeps a chunk delay, so a script served to an editor streams at a watchable pace", () => {
    assert.equal(parseScript({ turns: [{ content: "x" }], chunkDelayMs: 40 }).chunkDelayMs, 40);
    assert.equal(parseScript({ turns: [{ content: "x" }] }).chunkDelayMs, undefined);
  });
  it("defaults missing arguments to an empty object", () => {
    assert.deepEqual(
      parseScript({ turns: [{ tool_calls: [{ name: "list_dir" }] }] }).turns[0]?.tool_calls?.[0]?.arguments,
      {},
    );
  });
});
