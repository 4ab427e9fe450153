/**
 * Every outbound request of the host goes through its one HTTP policy and leaves an audit line:
 * the built host over LSP, a remote engine on a loopback fake and a model pull from a loopback file
 * server. Each attempt is one line (time, service, method, host, path, status), and no line holds
 * a query string or a token. The pulled model then starts by its store name, as **Use for Chat**
 * writes it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PullModel } from "@bora/protocol";
import {
  DidChangeConfigurationNotification,
  ExitNotification,
  ShutdownRequest,
} from "vscode-languageserver-protocol/node";
import { startHostWithSettings, waitFor, type HostWithSettings } from "../support/hostProcess.js";
import { ensureTestModel } from "../support/testModels.js";
import { startModelFileServer, type ModelFileServer } from "./modelStore/modelFileServer.js";
import { startFakeOpenAiServer, type FakeOpenAiServer } from "./remote/fakeOpenAiServer.js";

async function stop({ host }: HostWithSettings): Promise<void> {
  await host.connection.sendRequest(ShutdownRequest.type);
  await host.connection.sendNotification(ExitNotification.type);
  await host.exited;
  await host.dispose();
}

/** `audit <ISO time> <service> <METHOD> <host><path> <status> <ms>ms[ (attempt n)]`, split into its fields. */
const AUDIT_LINE =
  /^audit (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) ([A-Z]+) (127\.0\.0\.1:\d+)(\S*) (\S+) \d+ms(?: \(attempt \d+\))?$/;

describe("the host's audit log", function () {
  this.timeout(120_000);
  let model: Buffer;
  let files: ModelFileServer;
  let fake: FakeOpenAiServer;
  before(async () => {
    model = readFileSync(await ensureTestModel("tiny"));
  });
  beforeEach(async () => {
    files = await startModelFileServer();
    fake = await startFakeOpenAiServer();
  });
  afterEach(async () => {
    await files.close();
    await fake.close();
  });

  it("has one line per request of a remote engine and of a model pull, without query strings or tokens", async () => {
    const apiKey = "sk-audit-test-key-93b0c1";
    const signature = "X-Amz-Signature=audit-signature-5e7f";
    fake.queue.push({ kind: "json", body: { object: "list", data: [{ id: "qwen-coder", object: "model" }] } });
    // Dropped half-way, so the pull makes two requests: the first and the resume.
    files.files.set("/models/tiny.gguf", { data: model, dropAfterBytes: Math.floor(model.length / 2) });
    const started = await startHostWithSettings(
      () => ({ engine: "remote", models: { chat: "qwen-coder" }, remote: { preset: "vllm", baseUrl: fake.baseUrl } }),
      {
        BORA_MODELS_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-audit-models-")),
        BORA_REMOTE_API_KEY: apiKey,
      },
    );
    try {
      await waitFor("remote engine ready", () => started.statuses.find((s) => s.engine.state === "ready"), 30_000);
      assert.equal(fake.requests[0]?.headers.authorization, `Bearer ${apiKey}`, "the key was sent");
      const pulled = await started.host.connection.sendRequest(PullModel.type, {
        uri: files.url(`/models/tiny.gguf?${signature}`),
      });
      assert.equal(pulled.resumedFromBytes, 0);
      assert.equal(files.log.length, 2, "the pull resumed once");
    } finally {
      await stop(started);
    }

    const lines = started.logs.filter((l) => l.startsWith("audit "));
    const entries = lines.map((line) => {
      const match = AUDIT_LINE.exec(line);
      assert.ok(match, `an audit line of the documented shape: ${line}`);
      const [, time, service, method, host, urlPath, status] = match;
      return { time: time!, service, method, host, path: urlPath, status };
    });
    const engineHost = new URL(fake.baseUrl).host;
    const filesHost = new URL(files.origin).host;
    assert.deepEqual(
      entries.map(({ service, method, host, path, status }) => ({ service, method, host, path, status })),
      [
        { service: "engine", method: "GET", host: engineHost, path: "/v1/models", status: "200" },
        { service: "models", method: "GET", host: filesHost, path: "/models/tiny.gguf", status: "200" },
        { service: "models", method: "GET", host: filesHost, path: "/models/tiny.gguf", status: "206" },
      ],
    );
    assert.equal(lines.length, fake.requests.length + files.log.length, "one line per request the servers saw");
    for (const { time } of entries)
      assert.ok(Math.abs(Date.now() - Date.parse(time)) < 120_000, `a recent time: ${time}`);
    for (const line of [...started.logs, started.host.stderr()]) {
      assert.doesNotMatch(line, new RegExp(apiKey), "the API key is never logged");
      assert.doesNotMatch(line, /audit-signature/, "the signed query is never logged");
    }
    for (const line of lines) assert.doesNotMatch(line, /[?]|Bearer|authorization/i);
  });

  it("starts a pulled model by its store name, as Use for Chat writes it", async () => {
    files.files.set("/models/pulled-tiny.gguf", { data: model });
    let settings: unknown = {};
    const started = await startHostWithSettings(() => settings, {
      BORA_MODELS_DIR: mkdtempSync(path.join(os.tmpdir(), "bora-audit-models-")),
    });
    try {
      await waitFor("host ready", () => started.statuses.find((s) => s.host === "ready"));
      const pulled = await started.host.connection.sendRequest(PullModel.type, {
        uri: files.url("/models/pulled-tiny.gguf"),
      });
      assert.equal(pulled.name, "pulled-tiny");
      settings = { engine: "local", models: { chat: pulled.name } };
      await started.host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      const ready = await waitFor(
        "the local engine on the store's model",
        () => started.statuses.find((s) => s.engine.state === "ready" || s.engine.state === "error"),
        60_000,
      );
      assert.equal(ready.engine.state, "ready", ready.engine.problem?.message);
      assert.equal(ready.engine.kind, "local");
    } finally {
      await stop(started);
    }
  });
});
