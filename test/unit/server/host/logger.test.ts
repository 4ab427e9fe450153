import assert from "node:assert/strict";
import { createLogger, type LogSink } from "../../../../server/src/host/logger.js";

function memorySink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (level, line) => lines.push(`${level}: ${line}`) };
}

describe("host logger", () => {
  it("drops lines below the level and keeps the rest", () => {
    const sink = memorySink();
    const logger = createLogger("warn", sink);
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e", new Error("why"));
    assert.deepEqual(sink.lines, ["warn: w", "error: e: Error: why"]);
  });

  it("follows a level change and a sink change", () => {
    const first = memorySink();
    const second = memorySink();
    const logger = createLogger("error", first);
    logger.info("hidden");
    logger.setLevel("debug");
    logger.info("shown");
    logger.setSink(second);
    logger.debug("moved");
    assert.deepEqual(first.lines, ["info: shown"]);
    assert.deepEqual(second.lines, ["debug: moved"]);
  });

  it("writes to stderr and never to stdout by default", () => {
    const writes: string[] = [];
    const originalOut = process.stdout.write.bind(process.stdout);
    const originalErr = process.stderr.write.bind(process.stderr);
    let stdoutWrites = 0;
    process.stdout.write = ((..._args: unknown[]) => {
      stdoutWrites++;
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => {
      writes.push(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      createLogger("info").info("to stderr");
    } finally {
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    }
    assert.equal(stdoutWrites, 0);
    assert.deepEqual(writes, ["[info] to stderr\n"]);
  });
});
