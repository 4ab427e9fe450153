/**
 * The model store pulling generated GGUF files from a loopback server over real HTTP: resume after
 * a dropped connection (in the same pull and in the next one), a server that lies about the
 * length, one that serves garbage, checksums, `hf:` references, error statuses and a full disk.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ModelStore, isModelStoreError, type PullProgress } from "@bora/inference";
import { modelDownloadFetch } from "../../../server/src/http/fetches.js";
import { HttpPolicy, type HttpPolicyOptions } from "../../../server/src/http/policy.js";
import { ensureTestModel } from "../../support/testModels.js";
import { sha256, startModelFileServer, type ModelFileServer } from "./modelFileServer.js";

describe("model store: pull", function () {
  let model: Buffer;
  let server: ModelFileServer;
  let dir: string;

  before(async () => {
    model = await readFile(await ensureTestModel("tiny"));
  });
  beforeEach(async () => {
    server = await startModelFileServer();
    dir = await mkdtemp(path.join(os.tmpdir(), "bora-models-"));
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The host's download fetch over a policy with quick retries. */
  function policyFetch(options: HttpPolicyOptions = {}) {
    return modelDownloadFetch(new HttpPolicy({ baseDelayMs: 5, maxDelayMs: 50, ...options }));
  }

  function store(
    env: NodeJS.ProcessEnv = {},
    extra: Partial<ConstructorParameters<typeof ModelStore>[0]> = {},
  ): ModelStore {
    return new ModelStore({ dir, env, freeSpaceMarginBytes: 0, fetch: policyFetch(), ...extra });
  }

  /** Every file the store directory holds, partial ones included, as relative paths. */
  async function storeFiles(): Promise<string[]> {
    const top = await readdir(dir);
    const partial = await readdir(path.join(dir, ".partial")).catch(() => [] as string[]);
    return [...top.filter((f) => f !== ".partial"), ...partial.map((f) => `.partial/${f}`)].sort();
  }

  it("downloads, reports progress, verifies the checksum and records the source", async () => {
    server.files.set("/models/tiny.gguf", { data: model, throttle: { chunkBytes: 128 * 1024, delayMs: 5 } });
    const progress: PullProgress[] = [];
    const result = await store().pull(server.url("/models/tiny.gguf?sig=secret"), {
      sha256: sha256(model),
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.alreadyPresent, false);
    assert.equal(result.model.name, "tiny");
    assert.equal(result.model.sha256, sha256(model));
    assert.deepEqual(await readFile(result.model.path), model);
    assert.equal(result.model.source, server.url("/models/tiny.gguf"), "the query (a signature) is not recorded");

    const downloads = progress.filter((p) => p.phase === "download");
    assert.ok(downloads.length >= 2, "progress was reported while the bytes arrived");
    assert.equal(downloads.at(-1)?.receivedBytes, model.length);
    assert.ok(downloads.every((p) => p.totalBytes === model.length));
    assert.ok(downloads.some((p) => p.bytesPerSecond > 0 && p.etaSeconds !== undefined));
    assert.equal(progress.at(-1)?.phase, "verify");

    assert.deepEqual(await storeFiles(), ["tiny.gguf", "tiny.json"], "no temporary file is left");
    const again = await store().pull(server.url("/models/tiny.gguf"));
    assert.equal(again.alreadyPresent, true);
    assert.equal(server.log.length, 1, "a model already in the store is not fetched again");
    assert.deepEqual(
      (await store().list()).map((m) => [m.name, m.sizeBytes, m.architecture]),
      [["tiny", model.length, "llama"]],
    );
  });

  it("resumes with a Range request when the connection drops half-way, then verifies", async () => {
    const half = Math.floor(model.length / 2);
    server.files.set("/tiny.gguf", { data: model, dropAfterBytes: half });
    const result = await store().pull(server.url("/tiny.gguf"), { sha256: sha256(model) });
    assert.equal(server.log.length, 2);
    assert.equal(server.log[0]?.range, undefined);
    assert.equal(server.log[1]?.range, `bytes=${half}-`, "the second request asks for the rest only");
    assert.match(server.log[1]?.ifRange ?? "", /^"[0-9a-f]{16}"$/, "and only if the file is unchanged");
    assert.equal(server.sent.get("/tiny.gguf"), model.length, "no byte was downloaded twice");
    assert.deepEqual(await readFile(result.model.path), model);
  });

  it("drops a download that goes silent and resumes it with a Range request", async () => {
    const half = Math.floor(model.length / 2);
    server.files.set("/tiny.gguf", { data: model, stallAfterBytes: half });
    const result = await store({}, { idleTimeoutMs: 300 }).pull(server.url("/tiny.gguf"), { sha256: sha256(model) });
    assert.equal(server.log.length, 2);
    assert.equal(server.log[1]?.range, `bytes=${half}-`, "the second request asks for the rest only");
    assert.equal(server.sent.get("/tiny.gguf"), model.length, "no byte was downloaded twice");
    assert.deepEqual(await readFile(result.model.path), model);
  });

  it("keeps what arrived when every attempt fails, and the next pull resumes from it", async () => {
    const half = Math.floor(model.length / 2);
    server.files.set("/tiny.gguf", { data: model, dropAfterBytes: half });
    await assert.rejects(store().pull(server.url("/tiny.gguf"), { maxAttempts: 1 }), (error: unknown) => {
      assert.ok(isModelStoreError(error, "interrupted"));
      assert.match(error.message, /Run the same pull again to resume/);
      return true;
    });
    assert.deepEqual(await store().list(), [], "a partial download never looks like a model");
    assert.deepEqual(await store().partials(), [{ name: "tiny", receivedBytes: half, totalBytes: model.length }]);

    const progress: PullProgress[] = [];
    const result = await store().pull(server.url("/tiny.gguf"), {
      sha256: sha256(model),
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.resumedFromBytes, half);
    assert.equal(progress[0]?.resumedFromBytes, half);
    assert.equal(server.log[1]?.range, `bytes=${half}-`);
    assert.equal(result.model.sha256, sha256(model));
    assert.deepEqual(await storeFiles(), ["tiny.gguf", "tiny.json"]);
  });

  it("starts over when the server ignores the Range request", async () => {
    server.files.set("/tiny.gguf", { data: model, dropAfterBytes: 100000, noRanges: true });
    const result = await store().pull(server.url("/tiny.gguf"), { sha256: sha256(model) });
    assert.equal(server.log[1]?.range, "bytes=100000-");
    assert.deepEqual(
      await readFile(result.model.path),
      model,
      "the 200 answer replaced the partial file, not appended to it",
    );
  });

  it("refuses a body shorter than the file (Content-Length lies low): the GGUF check finds it truncated", async () => {
    server.files.set("/tiny.gguf", { data: model, claimedLength: Math.floor(model.length / 2) });
    await assert.rejects(store().pull(server.url("/tiny.gguf")), (error: unknown) => {
      assert.ok(isModelStoreError(error, "notGguf"));
      assert.match(error.message, /incomplete|truncated/i);
      return true;
    });
    assert.deepEqual(await storeFiles(), [], "nothing that looks like a model is left behind");
  });

  it("refuses a server whose sizes contradict each other (Content-Length lies high)", async () => {
    server.files.set("/tiny.gguf", { data: model, claimedLength: model.length + 4096 });
    await assert.rejects(store().pull(server.url("/tiny.gguf")), (error: unknown) => {
      assert.ok(isModelStoreError(error, "lengthMismatch"));
      assert.match(
        error.message,
        new RegExp(`announced ${model.length + 4096} bytes and now says the file has ${model.length}`),
      );
      return true;
    });
    assert.deepEqual(await storeFiles(), []);
  });

  it("refuses garbage with a message saying it is not a GGUF model", async () => {
    server.files.set("/tiny.gguf", { data: randomBytes(300000) });
    await assert.rejects(store().pull(server.url("/tiny.gguf")), (error: unknown) => {
      assert.ok(isModelStoreError(error, "notGguf"));
      assert.match(error.message, /not a usable GGUF model|GGUF/);
      return true;
    });
    assert.deepEqual(await storeFiles(), []);
  });

  it("discards a file whose SHA-256 is not the expected one", async () => {
    server.files.set("/tiny.gguf", { data: model });
    const wrong = "0".repeat(64);
    await assert.rejects(store().pull(server.url("/tiny.gguf"), { sha256: wrong }), (error: unknown) => {
      assert.ok(isModelStoreError(error, "checksum"));
      assert.match(error.message, new RegExp(`is ${sha256(model)}, not the expected ${wrong}`));
      return true;
    });
    assert.deepEqual(await storeFiles(), []);
  });

  it("maps hf: references to the Hub's resolve URL, sends HF_TOKEN and checks the Hub's checksum", async () => {
    server.files.set("/bora-test/tiny-GGUF/resolve/main/tiny-q8.gguf", { data: model, linkedEtag: true });
    const token = "hf_test_token_abc";
    const result = await store({ HF_ENDPOINT: server.origin, HF_TOKEN: token }).pull(
      "hf:bora-test/tiny-GGUF/tiny-q8.gguf",
    );
    assert.equal(result.model.name, "tiny-q8");
    assert.equal(server.log[0]?.authorization, `Bearer ${token}`);
    const record = await readFile(path.join(dir, "tiny-q8.json"), "utf8");
    assert.doesNotMatch(record, new RegExp(token), "the token is not written down");

    // The same header catches a file that is not what the Hub says it is (a bad mirror or proxy).
    const flipped = Buffer.from(model);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 1, flipped.length - 1);
    server.files.set("/bora-test/tiny-GGUF/resolve/v2/other.gguf", { data: flipped, linkedEtag: sha256(model) });
    await assert.rejects(
      store({ HF_ENDPOINT: server.origin }).pull("hf:bora-test/tiny-GGUF@v2/other.gguf"),
      (error: unknown) => isModelStoreError(error, "checksum"),
    );
    assert.equal(
      server.log.at(-1)?.path,
      "/bora-test/tiny-GGUF/resolve/v2/other.gguf",
      "the revision is part of the URL",
    );
  });

  it("says what to do on 401, 404 and a server that keeps failing", async () => {
    server.files.set("/bora-test/gated/resolve/main/m.gguf", { data: model, status: 401 });
    await assert.rejects(
      store({ HF_ENDPOINT: server.origin }).pull("hf:bora-test/gated/m.gguf"),
      (error: unknown) => isModelStoreError(error, "unauthorized") && /set HF_TOKEN/.test(error.message),
    );
    await assert.rejects(
      store().pull(server.url("/missing.gguf")),
      (error: unknown) => isModelStoreError(error, "notFound") && /HTTP 404/.test(error.message),
    );
    server.files.set("/flaky.gguf", { data: model, status: 503 });
    await assert.rejects(
      store({}, { fetch: policyFetch({ maxRetries: 1 }) }).pull(server.url("/flaky.gguf")),
      (error: unknown) => isModelStoreError(error, "http") && /kept failing \(HTTP 503\)/.test(error.message),
    );
    assert.equal(server.log.filter((r) => r.path === "/flaky.gguf").length, 2, "the policy's retries, then no more");
  });

  it("checks free disk space before writing a byte", async () => {
    server.files.set("/tiny.gguf", { data: model });
    const tight = store({}, { freeBytes: () => Promise.resolve(1000), freeSpaceMarginBytes: 0 });
    await assert.rejects(tight.pull(server.url("/tiny.gguf")), (error: unknown) => {
      assert.ok(isModelStoreError(error, "diskFull"));
      assert.match(error.message, /not enough disk space.*set BORA_MODELS_DIR to a larger disk/);
      return true;
    });
    assert.deepEqual(await storeFiles(), [], "no partial file was started");
  });

  it("copies a local file in after the same checks, and refuses one that is not GGUF", async () => {
    const source = path.join(dir, "..", `${path.basename(dir)}-src.gguf`);
    await writeFile(source, model);
    try {
      const result = await store().pull(source);
      assert.equal(result.model.name, path.basename(source, ".gguf"));
      assert.equal(result.model.sha256, sha256(model));
      await writeFile(source, "<html>404</html>".repeat(100));
      await assert.rejects(store().pull(source, { force: true }), (error: unknown) =>
        isModelStoreError(error, "notGguf"),
      );
    } finally {
      await rm(source, { force: true });
    }
  });

  it("lets only one pull of a model run at a time", async () => {
    server.files.set("/tiny.gguf", { data: model, throttle: { chunkBytes: 64 * 1024, delayMs: 10 } });
    const first = store().pull(server.url("/tiny.gguf"));
    await new Promise((r) => setTimeout(r, 30));
    await assert.rejects(store().pull(server.url("/tiny.gguf")), (error: unknown) => isModelStoreError(error, "busy"));
    await assert.rejects(store().remove("tiny"), (error: unknown) => isModelStoreError(error, "busy"));
    assert.equal((await first).model.sha256, sha256(model));
  });

  it("removes a model and its record", async () => {
    server.files.set("/tiny.gguf", { data: model });
    await store().pull(server.url("/tiny.gguf"));
    assert.equal(await store().remove("tiny"), true);
    assert.equal(await store().remove("tiny"), false);
    assert.deepEqual(await storeFiles(), []);
  });
});
