import assert from "node:assert/strict";
import { FrameParser, type ParsedFrame } from "../../../../server/src/lsp/frameParser.js";

const frame = (body: string): Buffer =>
  Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, "utf8");
const messages = (frames: ParsedFrame[]): unknown[] =>
  frames.filter((f) => f.kind === "message").map((f) => (f as { message: unknown }).message);
const errors = (frames: ParsedFrame[]): string[] =>
  frames.filter((f) => f.kind === "error").map((f) => (f as { reason: string }).reason);

describe("LSP frame parser", () => {
  it("parses back-to-back frames in one chunk", () => {
    const parser = new FrameParser();
    const out = parser.push(Buffer.concat([frame('{"a":1}'), frame('{"b":"é😀"}')]));
    assert.deepEqual(messages(out), [{ a: 1 }, { b: "é😀" }]);
    assert.equal(parser.pending, 0);
  });

  it("parses a frame fed one byte at a time (multi-byte characters split across chunks)", () => {
    const parser = new FrameParser();
    const bytes = frame('{"text":"naïve 😀 ünïcödé"}');
    const out: ParsedFrame[] = [];
    for (const byte of bytes) out.push(...parser.push(Buffer.from([byte])));
    assert.deepEqual(messages(out), [{ text: "naïve 😀 ünïcödé" }]);
  });

  it("accepts extra headers such as Content-Type, in any case", () => {
    const parser = new FrameParser();
    const body = '{"x":true}';
    const out = parser.push(
      Buffer.from(
        `content-type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      ),
    );
    assert.deepEqual(messages(out), [{ x: true }]);
  });

  it("resynchronises after garbage before a frame", () => {
    const parser = new FrameParser();
    const out = parser.push(Buffer.concat([Buffer.from("garbage\x00\xff\r\n\r\n", "latin1"), frame('{"ok":1}')]));
    assert.deepEqual(messages(out), [{ ok: 1 }]);
    assert.equal(errors(out).length, 1);
    assert.match(errors(out)[0]!, /skipped \d+ bytes of garbage/);
  });

  it("skips a frame whose body is not JSON and reads the next", () => {
    const parser = new FrameParser();
    const out = parser.push(Buffer.concat([frame("{nope"), frame('{"next":2}')]));
    assert.deepEqual(messages(out), [{ next: 2 }]);
    assert.match(errors(out)[0]!, /not JSON/);
  });

  it("refuses a non-numeric or absurd Content-Length without waiting for the body", () => {
    for (const value of ["twelve", "-5", String(2 ** 40)]) {
      const parser = new FrameParser();
      const out = parser.push(
        Buffer.concat([Buffer.from(`Content-Length: ${value}\r\n\r\n`), frame('{"after":true}')]),
      );
      assert.deepEqual(messages(out), [{ after: true }], value);
      assert.equal(errors(out).length, 1, value);
    }
  });

  it("does not hold unbounded garbage that never becomes a header", () => {
    const parser = new FrameParser();
    const out = parser.push(Buffer.alloc(100_000, "x"));
    assert.ok(parser.pending < 100, `still holding ${parser.pending} bytes`);
    assert.equal(errors(out).length, 1);
  });

  it("waits for the rest of a body", () => {
    const parser = new FrameParser();
    const whole = frame('{"long":"' + "z".repeat(1000) + '"}');
    assert.deepEqual(parser.push(whole.subarray(0, 500)), []);
    assert.equal(messages(parser.push(whole.subarray(500))).length, 1);
  });
});
