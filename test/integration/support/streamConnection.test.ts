/**
 * The test side of a stream connection lets go of a half-read message once its stream closes: a
 * host killed while it wrote one must not leave a timer that keeps the test process alive.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { streamConnection } from "../../support/hostProcess.js";

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("streamConnection (test support)", () => {
  it("stops waiting for the rest of a half-read message when the stream closes", async () => {
    const fromHost = new PassThrough();
    const connection = streamConnection(fromHost, new PassThrough());
    connection.listen();
    // Counted after a turn of the event loop, once mocha has armed this test's own timeout.
    await new Promise((resolve) => setImmediate(resolve));
    const before = timers();
    fromHost.write('Content-Length: 100\r\n\r\n{"jsonrpc":"2.0"');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(timers(), before + 1, "the reader waits for the rest of the message");
    fromHost.destroy();
    await once(fromHost, "close");
    assert.equal(timers(), before, "no timer is left once the stream closed");
    connection.dispose();
  });
});
