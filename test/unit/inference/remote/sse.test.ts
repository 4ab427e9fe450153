import assert from "node:assert/strict";
import { parseSse, type SseEvent } from "@bora/inference";

async function* bytes(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

async function events(...parts: string[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of parseSse(bytes(...parts))) out.push(event);
  return out;
}

describe("remote engine: SSE parser", () => {
  it("reads events whose lines are split across network chunks", async () => {
    const got = await events('data: {"a"', ":1}\n", "\n", "data: [DO", "NE]\n\n");
    assert.deepEqual(got, [
      { event: "message", data: '{"a":1}' },
      { event: "message", data: "[DONE]" },
    ]);
  });

  it("reads several events from one chunk and skips keep-alive comments", async () => {
    const got = await events(": ping\n\ndata: one\n\n: ping\ndata: two\n\n");
    assert.deepEqual(
      got.map((e) => e.data),
      ["one", "two"],
    );
  });

  it("joins multi-line data and keeps the event name", async () => {
    const got = await events("event: error\ndata: line 1\ndata: line 2\n\n");
    assert.deepEqual(got, [{ event: "error", data: "line 1\nline 2" }]);
  });

  it("accepts CRLF line ends, even when a CR and its LF arrive in different chunks", async () => {
    const got = await events("data: a\r", "\n\r\ndata: b\r\n\r\n");
    assert.deepEqual(
      got.map((e) => e.data),
      ["a", "b"],
    );
  });

  it("decodes a multi-byte character split between chunks", async () => {
    const encoded = new TextEncoder().encode("data: h\u00e9 \u{1F600}\n\n");
    async function* split(): AsyncGenerator<Uint8Array> {
      yield encoded.slice(0, 9);
      yield encoded.slice(9);
    }
    const out: SseEvent[] = [];
    for await (const e of parseSse(split())) out.push(e);
    assert.equal(out[0]?.data, "h\u00e9 \u{1F600}");
  });

  it("drops an event that the stream cut off before its blank line", async () => {
    const got = await events("data: complete\n\ndata: cut off");
    assert.deepEqual(
      got.map((e) => e.data),
      ["complete"],
    );
  });
});
