import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseServeArgs } from "../../../../server/src/cli/commands/serve.js";
import { isLoopbackHost, parseBindAddress, webSocketUrl } from "../../../../server/src/lsp/bindAddress.js";
import { bearerMatches, readTokenFile } from "../../../../server/src/lsp/webSocketHost.js";

describe("websocket bind address", () => {
  it("parses HOST:PORT and [IPV6]:PORT, port 0 included", () => {
    assert.deepEqual(parseBindAddress("127.0.0.1:7007"), { host: "127.0.0.1", port: 7007 });
    assert.deepEqual(parseBindAddress("localhost:0"), { host: "localhost", port: 0 });
    assert.deepEqual(parseBindAddress("[::1]:7007"), { host: "::1", port: 7007 });
  });

  it("refuses what is not HOST:PORT", () => {
    assert.throws(() => parseBindAddress("7007"), /needs HOST:PORT/);
    assert.throws(() => parseBindAddress("::1:7007"), /needs HOST:PORT/);
    assert.throws(() => parseBindAddress("host:70000"), /port from 0 to 65535/);
    assert.throws(() => parseBindAddress("[nothost]:1"), /not an IPv6 address/);
  });

  it("counts localhost, 127.x and ::1 as loopback, and every-interface and other addresses as not", () => {
    for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
      assert.equal(isLoopbackHost(host), true, host);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "example.com", "128.0.0.1", "::ffff:10.0.0.1"])
      assert.equal(isLoopbackHost(host), false, host);
  });

  it("writes the URL a client uses, with brackets around IPv6", () => {
    assert.equal(webSocketUrl("127.0.0.1", 7007, "/lsp"), "ws://127.0.0.1:7007/lsp");
    assert.equal(webSocketUrl("::1", 7007, "/lsp"), "ws://[::1]:7007/lsp");
  });
});

describe("bora serve --websocket arguments", () => {
  it("reads the address and the token file", () => {
    const { webSocket } = parseServeArgs(["--websocket", "0.0.0.0:7007", "--token-file", "/t"]);
    assert.deepEqual(webSocket, { bind: { host: "0.0.0.0", port: 7007 }, tokenFile: "/t" });
    assert.deepEqual(parseServeArgs(["--websocket", "127.0.0.1:0"]).webSocket, {
      bind: { host: "127.0.0.1", port: 0 },
      tokenFile: undefined,
    });
  });

  it("refuses a non-loopback bind without a token, saying why", () => {
    assert.throws(() => parseServeArgs(["--websocket", "0.0.0.0:7007"]), /reachable from other machines.*--token-file/);
    assert.throws(() => parseServeArgs(["--websocket", "10.1.2.3:7007"]), /needs --token-file/);
  });

  it("refuses --websocket with another transport, and --token-file alone", () => {
    assert.throws(() => parseServeArgs(["--stdio", "--websocket", "127.0.0.1:1"]), /choose one transport/);
    assert.throws(() => parseServeArgs(["--token-file", "/t"]), /goes with --websocket/);
  });
});

describe("websocket token", () => {
  it("accepts exactly the bearer token", () => {
    assert.equal(bearerMatches("abc", "Bearer abc"), true);
    assert.equal(bearerMatches("abc", "bearer abc"), true);
    assert.equal(bearerMatches("abc", "Bearer abd"), false);
    assert.equal(bearerMatches("abc", "Bearer abcd"), false);
    assert.equal(bearerMatches("abc", "abc"), false);
    assert.equal(bearerMatches("abc", "Basic abc"), false);
    assert.equal(bearerMatches("abc", undefined), false);
    assert.equal(bearerMatches("abc", "Bearer "), false);
  });

  describe("token file", () => {
    let dir: string;
    before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), "bora-token-"))));
    after(() => rm(dir, { recursive: true, force: true }));

    it("reads the trimmed token", async () => {
      const file = path.join(dir, "ok");
      await writeFile(file, "  tok\n", { mode: 0o600 });
      assert.equal(await readTokenFile(file), "tok");
    });

    it("refuses an empty file", async () => {
      const file = path.join(dir, "empty");
      await writeFile(file, "\n", { mode: 0o600 });
      await assert.rejects(readTokenFile(file), /is empty/);
    });

    it("refuses a file every user can read", async function () {
      if (process.platform === "win32") this.skip();
      const file = path.join(dir, "open");
      await writeFile(file, "tok");
      await chmod(file, 0o644);
      await assert.rejects(readTokenFile(file), /readable by every user/);
    });
  });
});
