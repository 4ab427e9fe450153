import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackHost, takeViolations } from "../setup/networkGuard.js";

/** `.invalid` can never resolve (RFC 2606), so even a broken guard would send nothing anywhere. */
const OUTSIDE = "blocked.invalid";

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", reject);
  });
}

describe("network guard", () => {
  let server: http.Server;
  let port: number;

  before(async () => {
    server = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("blocks fetch to a non-loopback host and records it", async () => {
    await assert.rejects(fetch(`http://${OUTSIDE}/`));
    const seen = takeViolations();
    assert.deepEqual(
      seen.map((v) => v.via),
      ["fetch"],
    );
    assert.match(seen[0]!.target, /blocked\.invalid/);
  });

  it("blocks http-module clients at name resolution with ETRIPWIRE", async () => {
    await assert.rejects(httpGet(`http://${OUTSIDE}/`), (error: NodeJS.ErrnoException) => error.code === "ETRIPWIRE");
    assert.deepEqual(
      takeViolations().map((v) => v.via),
      ["dns"],
    );
  });

  it("lets loopback through for both stacks", async () => {
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200);
    assert.equal(await httpGet(`http://localhost:${port}/`), 200);
    assert.deepEqual(takeViolations(), []);
  });

  it("classifies addresses", () => {
    for (const host of ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]", "app.localhost"]) {
      assert.equal(isLoopbackHost(host), true, host);
    }
    for (const host of [
      "10.0.0.1",
      "192.168.1.1",
      "8.8.8.8",
      "::",
      "example.com",
      "localhost.example.com",
      "128.0.0.1",
    ]) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});

describe("network guard in a test run", () => {
  it("fails a test that tried to leave loopback even when the test swallowed the error", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      [
        "node_modules/mocha/bin/mocha.js",
        "--no-config",
        "--node-option=import=tsx",
        "--require=test/setup/networkGuard.ts",
        "test/fixtures/networkGuard/swallowsError.fixture.ts",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.notEqual(code, 0, output);
    assert.match(output, /tried to reach non-loopback addresses: blocked\.invalid/);
  });
});
