import assert from "node:assert/strict";
import { ChunkSizer, MIN_CHUNK_TOKENS } from "../../../../inference/src/local/chunkSizer.js";

describe("local engine prompt chunk sizes", () => {
  it("starts at 64 tokens, or the batch size when that is smaller", () => {
    assert.equal(new ChunkSizer(512, 100).tokens, 64);
    assert.equal(new ChunkSizer(32, 100).tokens, 32);
  });

  it("sizes the next chunk so that it takes about the target time at the speed just measured", () => {
    const sizer = new ChunkSizer(512, 100);
    sizer.measured(64, 32); // 2 tokens per ms
    assert.equal(sizer.tokens, 200);
    sizer.measured(200, 400); // 0.5 tokens per ms
    assert.equal(sizer.tokens, 50);
  });

  it("stays between the smallest useful chunk and the batch size", () => {
    const fast = new ChunkSizer(128, 100);
    fast.measured(64, 1);
    assert.equal(fast.tokens, 128);
    const slow = new ChunkSizer(512, 100);
    slow.measured(64, 10_000);
    assert.equal(slow.tokens, MIN_CHUNK_TOKENS);
  });

  it("learns nothing from a partial chunk or a zero duration", () => {
    const sizer = new ChunkSizer(512, 100);
    sizer.measured(10, 100);
    sizer.measured(64, 0);
    assert.equal(sizer.tokens, 64);
  });
});
