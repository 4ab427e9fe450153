import assert from "node:assert/strict";
import { HeadTailBuffer } from "../../../../server/src/workspace/outputCap.js";

describe("head and tail output cap", () => {
  it("keeps everything under the cap", () => {
    const buffer = new HeadTailBuffer(100);
    buffer.push(Buffer.from("hello "));
    buffer.push(Buffer.from("world"));
    assert.equal(buffer.text(), "hello world");
    assert.equal(buffer.truncated, false);
  });

  it("keeps the head and the tail of a long stream and says how much was dropped", () => {
    const buffer = new HeadTailBuffer(20);
    for (let i = 0; i < 100; i++) buffer.push(Buffer.from(`line${String(i).padStart(3, "0")}\n`));
    assert.equal(buffer.truncated, true);
    assert.equal(buffer.totalBytes, 800);
    const text = buffer.text();
    assert.ok(text.startsWith("line000\nli\n[..."));
    assert.ok(text.endsWith("line099\n"));
    assert.match(text, /\[\.\.\. 780 bytes of output omitted \.\.\.\]/);
  });
});
