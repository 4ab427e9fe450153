import assert from "node:assert/strict";
import { ProgressMeter, type PullProgress } from "@bora/inference";
import { formatProgress } from "@bora/inference";

describe("model store: progress", () => {
  it("reports the recent rate and the time left, a few times a second at most", () => {
    let now = 0;
    const seen: PullProgress[] = [];
    const meter = new ProgressMeter(
      (p) => seen.push(p),
      { name: "m", resumedFromBytes: 0 },
      {
        now: () => now,
        windowMs: 2000,
        intervalMs: 200,
      },
    );
    const MiB = 1024 * 1024;
    for (let t = 0; t <= 4000; t += 100) {
      now = t;
      // 1 MiB/s for two seconds, then 4 MiB/s.
      const bytes = t <= 2000 ? (t / 1000) * MiB : 2 * MiB + ((t - 2000) / 1000) * 4 * MiB;
      meter.update(bytes, 20 * MiB);
    }
    assert.ok(seen.length <= 21 && seen.length >= 15, `${seen.length} reports over 4 s`);
    const last = seen.at(-1)!;
    assert.ok(
      Math.abs(last.bytesPerSecond - 4 * MiB) < 0.01 * MiB,
      "the rate follows the last seconds, not the average",
    );
    assert.ok(Math.abs(last.etaSeconds! - (20 - 10) / 4) < 0.01);
  });

  it("formats bytes, percent, rate, time left and the resume point for the terminal", () => {
    const line = formatProgress({
      name: "tiny",
      phase: "download",
      receivedBytes: 12 * 1024 * 1024,
      totalBytes: 40 * 1024 * 1024,
      resumedFromBytes: 4 * 1024 * 1024,
      bytesPerSecond: 2 * 1024 * 1024,
      etaSeconds: 14,
    });
    assert.equal(line, "tiny: 12.0 MiB / 40.0 MiB (30%) 2.0 MiB/s, 14s left (resumed at 4.0 MiB)");
    assert.equal(
      formatProgress({
        name: "x",
        phase: "download",
        receivedBytes: 0,
        resumedFromBytes: 0,
        bytesPerSecond: 0,
        etaSeconds: 4000,
      }),
      "x: 0.0 MiB, 1h06m left",
    );
  });
});
