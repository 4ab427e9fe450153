import assert from "node:assert/strict";
import { formatBytes } from "@bora/inference";

describe("formatBytes", () => {
  it("writes MiB with one decimal under a GiB, and GiB from there", () => {
    assert.equal(formatBytes(0), "0.0 MiB");
    assert.equal(formatBytes(563 * 1024), "0.5 MiB");
    assert.equal(formatBytes(12.34 * 1024 * 1024), "12.3 MiB");
    assert.equal(formatBytes(1023.9 * 1024 * 1024), "1023.9 MiB");
    assert.equal(formatBytes(4.4e9), "4.1 GiB");
  });
});
