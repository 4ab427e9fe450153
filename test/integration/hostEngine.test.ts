/**
 * The host runs the engine its settings name and reports it in `bora/status`: the local engine on a
 * generated model, a remote engine against `bora engine serve`, and a missing model as a problem
 * whose fix is the editor's button that downloads it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { PullModel, SecretOpener, SetSecret, sealSecret } from "@bora/protocol";
import {
  DidChangeConfigurationNotification,
  ExitNotification,
  CancellationTokenSource,
  ShutdownRequest,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from "vscode-languageserver-protocol/node";
import { exitOf, spawnCli, startHostWithSettings, waitFor, type HostWithSettings } from "../support/hostProcess.js";
import { ensureTestModel } from "../support/testModels.js";

async function stop({ host }: HostWithSettings): Promise<number | null> {
  await host.connection.sendRequest(ShutdownRequest.type);
  await host.connection.sendNotification(ExitNotification.type);
  const { code } = await host.exited;
  await host.dispose();
  return code;
}

describe("host engine from settings", function () {
  this.timeout(120_000);
  const modelsDir = mkdtempSync(path.join(os.tmpdir(), "bora-host-models-"));
  const env = { BORA_MODELS_DIR: modelsDir };

  it("reports no engine when no model is configured, with Pull Model as the fix", async () => {
    const started = await startHostWithSettings(() => ({}), {
      BORA_MODELS_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-host-empty-")),
    });
    const ready = await waitFor("host ready", () => started.statuses.find((s) => s.host === "ready"));
    assert.equal(ready.engine.state, "none");
    const none = await waitFor("the no-model problem", () => started.statuses.find((s) => s.engine.problem));
    assert.equal(none.engine.state, "none");
    assert.deepEqual([none.engine.problem?.code, none.engine.problem?.fix], ["modelUnconfigured", "pullModel"]);
    assert.match(none.engine.problem?.message ?? "", /Bora: Pull Model…/);
    assert.equal(await stop(started), 0);
  });

  it("says a pulled model is not in use, and points at the chat model setting", async () => {
    const store = mkdtempSync(path.join(os.tmpdir(), "bora-host-pulled-"));
    writeFileSync(path.join(store, "tiny-chat.gguf"), readFileSync(await ensureTestModel("tiny")));
    const started = await startHostWithSettings(() => ({}), { BORA_MODELS_DIR: store });
    const unused = await waitFor("the unused-model problem", () => started.statuses.find((s) => s.engine.problem));
    assert.equal(unused.engine.state, "none");
    assert.deepEqual(
      [unused.engine.problem?.code, unused.engine.problem?.fix, unused.engine.problem?.target],
      ["modelUnused", "openSettings", "bora.models.chat"],
    );
    assert.match(unused.engine.problem?.message ?? "", /Model tiny-chat is pulled but not in use/);
    assert.equal(await stop(started), 0);
  });

  it("loads the local engine on a generated model, shows it ready, and shuts down cleanly", async () => {
    const model = await ensureTestModel("tiny");
    const started = await startHostWithSettings(() => ({ engine: "local", models: { chat: model } }), env);
    const loading = await waitFor("engine loading", () => started.statuses.find((s) => s.engine.state === "loading"));
    assert.equal(loading.engine.kind, "local");
    const ready = await waitFor("engine ready", () => started.statuses.find((s) => s.engine.state === "ready"), 60_000);
    assert.equal(ready.engine.kind, "local");
    assert.ok(ready.engine.model, "a model name is shown");
    assert.equal(await stop(started), 0);
  });

  it("reports a missing model with the button that downloads it", async () => {
    const started = await startHostWithSettings(() => ({ models: { chat: "hf:bora-test/none/missing.gguf" } }), env);
    const failed = await waitFor("engine error", () => started.statuses.find((s) => s.engine.state === "error"));
    assert.deepEqual(
      [failed.engine.problem?.code, failed.engine.problem?.fix, failed.engine.problem?.target],
      ["modelMissing", "pullModel", "hf:bora-test/none/missing.gguf"],
    );
    assert.match(failed.engine.problem?.message ?? "", /hf:bora-test\/none\/missing\.gguf .*Bora: Pull Model…/);
    assert.doesNotMatch(failed.engine.problem?.message ?? "", /bora models pull/, "the editor has a button for it");
    assert.equal(started.host.child.exitCode, null, "the host stays up");
    assert.equal(await stop(started), 0);
  });

  it("reports an engine that fails to load (not a GGUF) as an error and stays up", async () => {
    const bogus = path.join(modelsDir, "bogus.gguf");
    writeFileSync(bogus, "this is not a model");
    const started = await startHostWithSettings(() => ({ models: { chat: bogus } }), env);
    const failed = await waitFor(
      "engine error",
      () => started.statuses.find((s) => s.engine.state === "error"),
      30_000,
    );
    assert.match(failed.engine.problem?.message ?? "", /GGUF/i);
    assert.equal(await stop(started), 0);
  });

  it("switches to a remote engine served by `bora engine serve` when the settings change", async () => {
    const script = path.join(modelsDir, "script.json");
    writeFileSync(script, JSON.stringify({ turns: [{ content: "hello" }] }));
    const server = spawnCli([
      "engine",
      "serve",
      "--engine",
      `script:${script}`,
      "--model-name",
      "scripted-model",
      "--listen",
      "127.0.0.1:0",
    ]);
    let serverOut = "";
    server.stdout.on("data", (d: Buffer) => (serverOut += d.toString()));
    server.stderr.on("data", (d: Buffer) => (serverOut += d.toString()));
    try {
      const url = await waitFor(
        "engine server URL",
        () => /on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(serverOut)?.[1],
        30_000,
      );
      let settings: unknown = {};
      const started = await startHostWithSettings(() => settings, env);
      await waitFor("host ready", () => started.statuses.find((s) => s.host === "ready"));
      settings = { engine: "remote", models: { chat: "scripted-model" }, remote: { preset: "bora", baseUrl: url } };
      await started.host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      const ready = await waitFor("remote engine ready", () =>
        started.statuses.find((s) => s.engine.state === "ready" && s.engine.kind === "remote"),
      );
      assert.equal(ready.engine.model, "scripted-model");
      assert.equal(await stop(started), 0);
    } finally {
      server.kill("SIGTERM");
      await exitOf(server);
    }
  });

  it("takes the remote API key sealed over bora/setSecret, reconnects with it, and never logs it", async () => {
    const script = path.join(modelsDir, "script-key.json");
    writeFileSync(script, JSON.stringify({ turns: [{ content: "hello" }] }));
    const token = "bora-test-token-5f9c2e71d04a";
    const tokenFile = path.join(modelsDir, "token");
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const server = spawnCli([
      "engine",
      "serve",
      "--engine",
      `script:${script}`,
      "--model-name",
      "scripted-model",
      "--listen",
      "127.0.0.1:0",
      "--token-file",
      tokenFile,
    ]);
    let serverOut = "";
    server.stdout.on("data", (d: Buffer) => (serverOut += d.toString()));
    server.stderr.on("data", (d: Buffer) => (serverOut += d.toString()));
    try {
      const url = await waitFor(
        "engine server URL",
        () => /on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(serverOut)?.[1],
        30_000,
      );
      const settings = {
        engine: "remote",
        models: { chat: "scripted-model" },
        remote: { preset: "bora", baseUrl: url },
      };
      const started = await startHostWithSettings(() => settings, env);
      const { connection } = started.host;
      const refused = await waitFor("engine error without a key", () =>
        started.statuses.find((s) => s.engine.state === "error"),
      );
      assert.match(refused.engine.problem?.message ?? "", /API key/);
      assert.match(refused.engine.problem?.message ?? "", /Bora: Set Remote API Key…/);
      assert.deepEqual(
        [refused.engine.problem?.code, refused.engine.problem?.fix],
        ["remoteUnauthorized", "setApiKey"],
      );

      const send = (name: string, sealed: unknown): Promise<null> =>
        connection.sendRequest(SetSecret.type, { name, sealed } as never);
      const invalid = (error: unknown): boolean => (error as { code?: number }).code === -32602;
      await assert.rejects(send("aws.secretKey", null), invalid, "unknown secret names are refused");
      await assert.rejects(send("remote.apiKey", token), invalid, "a bare value is refused: it must come sealed");
      const foreign = sealSecret(new SecretOpener().publicKey, "remote.apiKey", token);
      await assert.rejects(send("remote.apiKey", foreign), invalid, "sealed to another key");
      const sealed = sealSecret(started.bora.secretKey, "remote.apiKey", token);
      assert.doesNotMatch(JSON.stringify(sealed), new RegExp(token), "the wire carries no plain key");

      const errorsBefore = started.statuses.length;
      await send("remote.apiKey", sealed);
      const ready = await waitFor("remote engine ready with the key", () =>
        started.statuses.slice(errorsBefore).find((s) => s.engine.state === "ready"),
      );
      assert.equal(ready.engine.kind, "remote");

      const readyAt = started.statuses.length;
      await send("remote.apiKey", null);
      await waitFor("refused again once the key is cleared", () =>
        started.statuses.slice(readyAt).find((s) => s.engine.state === "error"),
      );
      assert.equal(await stop(started), 0);
      assert.ok(started.logs.some((l) => /secret remote\.apiKey received/.test(l)));
      for (const line of [...started.logs, started.host.stderr()]) assert.doesNotMatch(line, new RegExp(token));
    } finally {
      server.kill("SIGTERM");
      await exitOf(server);
    }
  });

  describe("pulling a model over LSP", () => {
    let server: http.Server;
    let base: string;
    let stall = false;
    before(async () => {
      const bytes = readFileSync(await ensureTestModel("tiny"));
      server = http.createServer((req, res) => {
        res.writeHead(200, { "content-length": String(bytes.length), "content-type": "application/octet-stream" });
        if (stall) {
          res.write(bytes.subarray(0, 1024));
          return; // Never finishes: the client has to cancel.
        }
        // Sixteen pieces with small pauses, so the pull reports progress more than once.
        const piece = Math.ceil(bytes.length / 16);
        let offset = 0;
        const next = (): void => {
          if (offset >= bytes.length) return void res.end();
          res.write(bytes.subarray(offset, offset + piece));
          offset += piece;
          setTimeout(next, 40);
        };
        next();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    it("reports bytes, rate and time left as $/progress, then starts the engine that waited for the model", async () => {
      const url = `${base}/models/pulled-tiny.gguf`;
      const started = await startHostWithSettings(() => ({ models: { chat: url } }), {
        BORA_MODELS_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-pull-")),
      });
      const missing = await waitFor("engine error", () => started.statuses.find((s) => s.engine.state === "error"));
      assert.deepEqual([missing.engine.problem?.fix, missing.engine.problem?.target], ["pullModel", url]);

      const events: (WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd)[] = [];
      const token = "pull-1";
      started.host.connection.onProgress(WorkDoneProgress.type, token, (value) => {
        events.push(value);
      });
      const result = await started.host.connection.sendRequest(PullModel.type, { uri: url, workDoneToken: token });
      assert.equal(result.name, "pulled-tiny");
      assert.equal(result.alreadyPresent, false);
      assert.match(result.sha256, /^[0-9a-f]{64}$/);
      await waitFor("progress end", () => events.find((e) => e.kind === "end"));
      assert.equal(events[0]?.kind, "begin");
      const reports = events.filter((e): e is WorkDoneProgressReport => e.kind === "report");
      assert.ok(reports.length >= 2, `several progress reports, got ${reports.length}`);
      assert.ok(
        reports.some((r) => /MiB \/ [\d.]+ MiB \(\d+%\)/.test(r.message ?? "")),
        JSON.stringify(reports.slice(0, 3)),
      );
      const percentages = reports.map((r) => r.percentage ?? 0);
      assert.deepEqual(
        percentages,
        [...percentages].sort((a, b) => a - b),
        "progress only goes forward",
      );

      const ready = await waitFor(
        "engine ready after the pull",
        () => started.statuses.find((s) => s.engine.state === "ready"),
        60_000,
      );
      assert.equal(ready.engine.kind, "local");
      assert.equal(await stop(started), 0);
    });

    it("cancels a pull with $/cancelRequest and stays up", async () => {
      stall = true;
      const started = await startHostWithSettings(() => ({}), {
        BORA_MODELS_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-pull-")),
      });
      await waitFor("host ready", () => started.statuses.find((s) => s.host === "ready"));
      const source = new CancellationTokenSource();
      const pending = started.host.connection.sendRequest(
        PullModel.type,
        { uri: `${base}/models/stalled.gguf` },
        source.token,
      );
      setTimeout(() => source.cancel(), 500);
      await assert.rejects(pending, (error: unknown) => {
        assert.match((error as Error).message, /cancelled/i);
        assert.equal(
          (error as { data?: { code?: string } }).data?.code,
          "pullCancelled",
          "the problem travels as data",
        );
        return true;
      });
      assert.equal(started.host.child.exitCode, null);
      assert.equal(await stop(started), 0);
      stall = false;
    });
  });
});
