/**
 * The model store: GGUF files in one directory (see `defaultModelsDir`), each with a small JSON
 * record of where it came from and its SHA-256. `pull` downloads with progress, resumes an
 * interrupted download with HTTP Range, checks free disk space first, verifies the checksum and
 * the GGUF header, and only then renames the temporary file into place, so a file named
 * `<name>.gguf` in the store is always complete and verified.
 *
 * Layout: `<dir>/<name>.gguf`, `<dir>/<name>.json`; in-progress pulls under `<dir>/.partial/`
 * (`<name>.part`, `<name>.part.json` with the resume validators, `<name>.lock` with the pulling pid).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat, statfs, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { checkGgufFile } from "./ggufCheck.js";
import { ModelStoreError } from "./modelStoreErrors.js";
import { displayUrl, isValidModelName, parseModelUri, type ModelSource, type ModelUriOptions } from "./modelUri.js";
import { ProgressMeter, type PullProgress } from "./pullProgress.js";
import { defaultModelsDir } from "./storeLocation.js";

export interface StoredModel {
  name: string;
  path: string;
  sizeBytes: number;
  /** Lower-case hex SHA-256 of the file, computed when it was pulled. */
  sha256: string;
  /** Where it came from, without credentials or query string. */
  source: string;
  /** ISO time of the pull. */
  pulledAt: string;
  architecture: string;
}

export interface PartialPull {
  name: string;
  receivedBytes: number;
  totalBytes?: number;
}

export interface PullOptions {
  /** Expected SHA-256 (hex). Defaults to the Hub's `X-Linked-ETag` for `hf:` sources, else unchecked. */
  sha256?: string;
  /** Store name. Defaults to the file name without `.gguf`. */
  name?: string;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  /** Connection attempts before giving up (each resumes where the last stopped). Defaults to 5. */
  maxAttempts?: number;
  /** First wait between attempts in ms, doubled each time. Defaults to 1000. */
  retryDelayMs?: number;
  /** Pull again even when the store has the model. Defaults to false. */
  force?: boolean;
}

export interface PullResult {
  model: StoredModel;
  /** True when the store already had the model and nothing was downloaded. */
  alreadyPresent: boolean;
  /** Bytes that an earlier interrupted pull had left and this one reused. */
  resumedFromBytes: number;
}

export interface ModelStoreOptions {
  /** Store directory. Defaults to `defaultModelsDir(env)`. */
  dir?: string;
  /** Environment for the directory, `HF_ENDPOINT` and `HF_TOKEN`. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Resolves relative paths and `hf:` references; see `ModelUriOptions`. Defaults to its defaults. */
  uri?: Omit<ModelUriOptions, "env">;
  /** The fetch implementation. Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Free bytes on the store's file system. Defaults to `fs.statfs` (available to this user). */
  freeBytes?: (dir: string) => Promise<number>;
  /** Space to leave free beyond the model itself. Defaults to 64 MiB. */
  freeSpaceMarginBytes?: number;
}

interface PartialMeta {
  /** SHA-256 of the full source URL: a different source never resumes another's bytes, and the URL (which may be signed) is not written down. */
  sourceKey: string;
  etag?: string;
  lastModified?: string;
  totalBytes?: number;
}

const MiB = 1024 * 1024;

/** Lock files this process holds, so two pulls in one process also exclude each other. */
const HELD_LOCKS = new Set<string>();

function formatMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ModelStoreError("aborted", "the pull was cancelled"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

async function statSize(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file and a rename, so a reader never sees half a JSON record. */
async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temp, file);
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

async function sha256OfFile(file: string, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MiB, signal })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// Reads `Content-Range: bytes START-END/TOTAL`, or the `bytes *\/TOTAL` form of a 416.
function parseContentRange(header: string | null): { start?: number; total?: number } {
  const match = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(header?.trim() ?? "");
  if (match === null) return {};
  const out: { start?: number; total?: number } = {};
  if (match[1] !== undefined) out.start = Number(match[1]);
  if (match[2] !== undefined && match[2] !== "*") out.total = Number(match[2]);
  return out;
}

export class ModelStore {
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ModelStoreOptions = {}) {
    this.env = options.env ?? process.env;
    this.dir = options.dir ?? defaultModelsDir(this.env);
    this.fetchImpl = options.fetch ?? fetch;
  }

  private get partialDir(): string {
    return path.join(this.dir, ".partial");
  }

  /** The file a stored model lives in (whether or not it exists). */
  modelPath(name: string): string {
    return path.join(this.dir, `${name}.gguf`);
  }

  private recordPath(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  parse(uri: string): ModelSource {
    return parseModelUri(uri, { ...this.options.uri, env: this.env });
  }

  /** The stored model of that name, or undefined. A `.gguf` without its record (copied in by hand) is listed with what can be known cheaply. */
  async get(name: string): Promise<StoredModel | undefined> {
    if (!isValidModelName(name)) return undefined;
    const size = await statSize(this.modelPath(name));
    if (size === undefined) return undefined;
    const record = await readJson<StoredModel>(this.recordPath(name));
    if (record !== undefined && record.sizeBytes === size) return { ...record, name, path: this.modelPath(name) };
    return {
      name,
      path: this.modelPath(name),
      sizeBytes: size,
      sha256: "",
      source: "(added by hand)",
      pulledAt: "",
      architecture: "",
    };
  }

  /**
   * Where the model a reference names is on disk, if it is there: a local path as it is, a URL or
   * `hf:` reference by its store name. Undefined means `bora models pull <uri>` is needed.
   */
  async resolve(uri: string): Promise<string | undefined> {
    const source = this.parse(uri);
    if (source.kind === "file") return (await statSize(source.path)) === undefined ? undefined : source.path;
    return (await this.get(source.name))?.path;
  }

  async list(): Promise<StoredModel[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const models: StoredModel[] = [];
    for (const file of names.sort()) {
      if (!file.endsWith(".gguf")) continue;
      const model = await this.get(file.slice(0, -".gguf".length));
      if (model) models.push(model);
    }
    return models;
  }

  /** Pulls that were interrupted and will resume on the next `pull` of the same source. */
  async partials(): Promise<PartialPull[]> {
    const names = await readdir(this.partialDir).catch(() => [] as string[]);
    const out: PartialPull[] = [];
    for (const file of names.sort()) {
      if (!file.endsWith(".part")) continue;
      const name = file.slice(0, -".part".length);
      const receivedBytes = (await statSize(path.join(this.partialDir, file))) ?? 0;
      const meta = await readJson<PartialMeta>(path.join(this.partialDir, `${name}.part.json`));
      out.push(
        meta?.totalBytes === undefined ? { name, receivedBytes } : { name, receivedBytes, totalBytes: meta.totalBytes },
      );
    }
    return out;
  }

  /** Removes a model (and any partial download of it). Resolves false when there was nothing of that name. */
  async remove(name: string): Promise<boolean> {
    if (!isValidModelName(name)) return false;
    const holder = await this.lockHolder(name);
    if (holder !== undefined) {
      throw new ModelStoreError(
        "busy",
        `a pull of '${name}' is running (process ${holder}); wait for it or stop it first`,
      );
    }
    const files = [
      this.modelPath(name),
      this.recordPath(name),
      ...["part", "part.json", "lock"].map((ext) => path.join(this.partialDir, `${name}.${ext}`)),
    ];
    let found = false;
    for (const file of files) {
      if ((await statSize(file)) !== undefined) {
        found = true;
        await rm(file, { force: true });
      }
    }
    return found;
  }

  async pull(uri: string, options: PullOptions = {}): Promise<PullResult> {
    const source = this.parse(uri);
    const name = options.name ?? source.name;
    if (!isValidModelName(name)) {
      throw new ModelStoreError("notFound", `'${name}' is not a usable model name; use letters, digits, '.', '_', '-'`);
    }
    await mkdir(this.partialDir, { recursive: true });
    if (!options.force) {
      const existing = await this.get(name);
      if (
        existing !== undefined &&
        (options.sha256 === undefined || options.sha256.toLowerCase() === existing.sha256)
      ) {
        return { model: existing, alreadyPresent: true, resumedFromBytes: 0 };
      }
    }
    const release = await this.lock(name);
    try {
      return await (source.kind === "file"
        ? this.importFile(source.path, name, options)
        : this.download(source, name, options));
    } finally {
      await release();
    }
  }

  private partFiles(name: string): { part: string; meta: string } {
    return { part: path.join(this.partialDir, `${name}.part`), meta: path.join(this.partialDir, `${name}.part.json`) };
  }

  private async lockHolder(name: string): Promise<number | undefined> {
    const file = path.join(this.partialDir, `${name}.lock`);
    const text = await readFile(file, "utf8").catch(() => undefined);
    const pid = Number(text);
    if (text === undefined || !Number.isInteger(pid)) return undefined;
    // Our own pid in a lock we do not hold is left from an earlier process that had the same pid.
    if (pid === process.pid) return HELD_LOCKS.has(file) ? pid : undefined;
    return isAlive(pid) ? pid : undefined;
  }

  /** One pull per model at a time, across processes; a lock left by a killed process is taken over. */
  private async lock(name: string): Promise<() => Promise<void>> {
    const file = path.join(this.partialDir, `${name}.lock`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, "wx");
        await handle.writeFile(String(process.pid));
        await handle.close();
        HELD_LOCKS.add(file);
        return async () => {
          HELD_LOCKS.delete(file);
          await rm(file, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const holder = await this.lockHolder(name);
        if (holder !== undefined) {
          throw new ModelStoreError(
            "busy",
            `another process (${holder}) is pulling '${name}' right now; wait for it to finish`,
          );
        }
        await rm(file, { force: true });
      }
    }
    throw new ModelStoreError("busy", `could not take the lock for '${name}' in ${this.partialDir}`);
  }

  private async ensureSpace(needed: number): Promise<void> {
    const free = await (this.options.freeBytes ?? defaultFreeBytes)(this.dir);
    const margin = this.options.freeSpaceMarginBytes ?? 64 * MiB;
    if (free < needed + margin) {
      throw new ModelStoreError(
        "diskFull",
        `not enough disk space in ${this.dir}: the model needs ${formatMiB(needed)} more and ${formatMiB(free)} is free ` +
          `(plus ${formatMiB(margin)} kept spare). Free some space, or set BORA_MODELS_DIR to a larger disk.`,
      );
    }
  }

  /** Checks, hashes and moves a finished temporary file into the store. */
  private async accept(
    temp: string,
    name: string,
    sourceText: string,
    expectedSha: string | undefined,
    meter: ProgressMeter,
    signal: AbortSignal | undefined,
  ): Promise<StoredModel> {
    const size = (await stat(temp)).size;
    meter.verifying(size, size);
    const sha256 = await sha256OfFile(temp, signal);
    if (expectedSha !== undefined && sha256 !== expectedSha.toLowerCase()) {
      await rm(temp, { force: true });
      throw new ModelStoreError(
        "checksum",
        `the SHA-256 of '${name}' from ${sourceText} is ${sha256}, not the expected ${expectedSha.toLowerCase()}; the file was discarded. Pull it again; if this repeats, the source changed or the checksum is wrong.`,
      );
    }
    let facts;
    try {
      facts = await checkGgufFile(temp, `the file from ${sourceText}`);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const handle = await open(temp, "r+");
    await handle.sync();
    await handle.close();
    const model: StoredModel = {
      name,
      path: this.modelPath(name),
      sizeBytes: size,
      sha256,
      source: sourceText,
      pulledAt: new Date().toISOString(),
      architecture: facts.architecture,
    };
    // The record goes first: a `.gguf` appears only once it is complete, verified and described.
    await writeJsonAtomically(this.recordPath(name), model);
    await rename(temp, this.modelPath(name));
    await fsyncDir(this.dir);
    return model;
  }

  private async importFile(file: string, name: string, options: PullOptions): Promise<PullResult> {
    const size = await statSize(file);
    if (size === undefined) throw new ModelStoreError("notFound", `there is no file at ${file}`);
    await this.ensureSpace(size);
    const { part, meta } = this.partFiles(name);
    await rm(meta, { force: true });
    const meter = new ProgressMeter(options.onProgress, { name, resumedFromBytes: 0, totalBytes: size });
    const out = await open(part, "w");
    try {
      let copied = 0;
      for await (const chunk of createReadStream(file, { highWaterMark: 4 * MiB, signal: options.signal })) {
        await out.write(chunk as Buffer);
        copied += (chunk as Buffer).length;
        meter.update(copied, size);
      }
      meter.update(copied, size, true);
    } catch (error) {
      await out.close();
      await rm(part, { force: true });
      if (options.signal?.aborted) throw new ModelStoreError("aborted", "the pull was cancelled");
      throw error;
    }
    await out.close();
    const model = await this.accept(part, name, file, options.sha256, meter, options.signal);
    return { model, alreadyPresent: false, resumedFromBytes: 0 };
  }

  private async download(
    source: Extract<ModelSource, { kind: "url" }>,
    name: string,
    options: PullOptions,
  ): Promise<PullResult> {
    const { part, meta: metaFile } = this.partFiles(name);
    const sourceText = displayUrl(source.url);
    const sourceKey = createHash("sha256").update(source.url).digest("hex");
    let meta = await readJson<PartialMeta>(metaFile);
    if (meta?.sourceKey !== sourceKey) {
      // Bytes from another source (or of unknown origin) must not be glued to this one.
      await rm(part, { force: true });
      meta = { sourceKey };
    }
    const firstSize = (await statSize(part)) ?? 0;
    const meter = new ProgressMeter(options.onProgress, { name, resumedFromBytes: firstSize });
    let expectedSha = options.sha256;
    const maxAttempts = options.maxAttempts ?? 5;
    let failures = 0;
    let lastFailure: unknown;
    let lastStatus: number | undefined;
    const discard = async (): Promise<void> => {
      await rm(part, { force: true });
      await rm(metaFile, { force: true });
    };
    const lengthLie = async (what: string): Promise<never> => {
      await discard();
      throw new ModelStoreError(
        "lengthMismatch",
        `${sourceText} ${what}; the partial download was discarded. The server or a proxy in between is misbehaving; try again later or from another mirror.`,
      );
    };

    for (;;) {
      if (options.signal?.aborted)
        throw new ModelStoreError("aborted", "the pull was cancelled; run it again to resume");
      let have = (await statSize(part)) ?? 0;
      const headers: Record<string, string> = { "accept-encoding": "identity", "user-agent": "bora-model-store" };
      const token = this.env["HF_TOKEN"];
      if (source.origin === "huggingface" && token !== undefined && token !== "")
        headers["authorization"] = `Bearer ${token}`;
      if (have > 0) {
        headers["range"] = `bytes=${have}-`;
        // Resume only if the file is still the one we started: otherwise the server sends it whole (200).
        const validator = meta.etag !== undefined && !meta.etag.startsWith("W/") ? meta.etag : meta.lastModified;
        if (validator !== undefined) headers["if-range"] = validator;
      }
      let response: Response;
      try {
        response = await this.fetchImpl(source.url, { headers, signal: options.signal ?? null, redirect: "follow" });
      } catch (error) {
        if (options.signal?.aborted)
          throw new ModelStoreError("aborted", "the pull was cancelled; run it again to resume");
        lastFailure = error;
        if (++failures >= maxAttempts) break;
        await sleep((options.retryDelayMs ?? 1000) * 2 ** (failures - 1), options.signal);
        continue;
      }
      const status = response.status;
      if (status === 401 || status === 403) {
        await response.body?.cancel();
        const hint =
          source.origin === "huggingface"
            ? " For a gated or private Hub model, set HF_TOKEN to a token with access."
            : "";
        throw new ModelStoreError("unauthorized", `${sourceText} refused access (HTTP ${status}).${hint}`);
      }
      if (status === 404) {
        await response.body?.cancel();
        throw new ModelStoreError(
          "notFound",
          `${sourceText} does not exist (HTTP 404). Check the owner, repository and file name.`,
        );
      }
      if (status === 416) {
        await response.body?.cancel();
        const { total } = parseContentRange(response.headers.get("content-range"));
        if (total !== undefined && total === have && (meta.totalBytes === undefined || meta.totalBytes === total)) {
          // Everything had already arrived; the earlier run stopped before verifying.
          break;
        }
        if (total !== undefined && meta.totalBytes !== undefined && total !== meta.totalBytes) {
          await lengthLie(`first announced ${meta.totalBytes} bytes and now says the file has ${total}`);
        }
        await discard();
        meta = { sourceKey };
        if (++failures >= maxAttempts) break;
        continue;
      }
      if (status === 429 || status >= 500) {
        await response.body?.cancel();
        lastFailure = new Error(`HTTP ${status}`);
        lastStatus = status;
        if (++failures >= maxAttempts) break;
        const retryAfter = Number(response.headers.get("retry-after"));
        const delay =
          Number.isFinite(retryAfter) && retryAfter > 0
            ? retryAfter * 1000
            : (options.retryDelayMs ?? 1000) * 2 ** (failures - 1);
        await sleep(Math.min(delay, 60000), options.signal);
        continue;
      }
      if (status !== 200 && status !== 206) {
        await response.body?.cancel();
        throw new ModelStoreError("http", `${sourceText} answered HTTP ${status}; expected the file.`);
      }

      let total: number | undefined;
      const length = response.headers.get("content-length");
      if (status === 206) {
        const range = parseContentRange(response.headers.get("content-range"));
        if (range.start !== have) {
          // A range we did not ask for: start over rather than guess where the bytes belong.
          await response.body?.cancel();
          await discard();
          meta = { sourceKey };
          if (++failures >= maxAttempts) break;
          continue;
        }
        total = range.total;
      } else {
        if (have > 0) {
          // The server ignored the range, or the file changed (If-Range): start from zero.
          await rm(part, { force: true });
          have = 0;
        }
        total = length !== null ? Number(length) : undefined;
      }
      if (meta.totalBytes !== undefined && total !== undefined && total !== meta.totalBytes && status === 206) {
        await response.body?.cancel();
        await lengthLie(`first announced ${meta.totalBytes} bytes and now says ${total}`);
      }
      const linked = response.headers.get("x-linked-etag")?.replace(/^W\//, "").replaceAll('"', "");
      if (
        expectedSha === undefined &&
        source.origin === "huggingface" &&
        linked !== undefined &&
        /^[0-9a-f]{64}$/i.test(linked)
      ) {
        // The Hub's X-Linked-ETag of an LFS file is its SHA-256.
        expectedSha = linked;
      }
      if (total !== undefined) await this.ensureSpace(total - have);
      meta = {
        sourceKey,
        ...(response.headers.get("etag")
          ? { etag: response.headers.get("etag")! }
          : meta.etag
            ? { etag: meta.etag }
            : {}),
        ...(response.headers.get("last-modified")
          ? { lastModified: response.headers.get("last-modified")! }
          : meta.lastModified
            ? { lastModified: meta.lastModified }
            : {}),
        ...(total !== undefined ? { totalBytes: total } : {}),
      };
      await writeJsonAtomically(metaFile, meta);

      const out = await open(part, have > 0 ? "a" : "w");
      let received = have;
      let streamError: unknown;
      try {
        if (response.body === null) throw new Error("the response has no body");
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          if (total !== undefined && received + chunk.length > total) {
            await lengthLie(`sent more than the ${total} bytes it announced`);
          }
          await out.write(chunk);
          received += chunk.length;
          meter.update(received, total);
        }
      } catch (error) {
        streamError = error;
      } finally {
        // What arrived stays on disk for the next attempt (or the next run).
        await out.sync().catch(() => undefined);
        await out.close();
      }
      if (streamError instanceof ModelStoreError) throw streamError;
      meter.update(received, total, true);
      if (options.signal?.aborted)
        throw new ModelStoreError("aborted", "the pull was cancelled; run it again to resume");
      if (streamError === undefined && (total === undefined || received === total)) break;
      // Dropped connection or a body shorter than announced: resume from what is on disk.
      lastFailure = streamError ?? new Error(`the connection closed after ${received} of ${total} bytes`);
      if (received > have) failures = 0;
      if (++failures >= maxAttempts) break;
      await sleep((options.retryDelayMs ?? 1000) * 2 ** (failures - 1), options.signal);
    }

    const size = (await statSize(part)) ?? 0;
    const total = meta.totalBytes;
    if (failures >= maxAttempts || (total !== undefined && size !== total)) {
      const why = lastFailure instanceof Error ? lastFailure.message : String(lastFailure ?? "unknown error");
      if (size === 0 && lastStatus !== undefined) {
        throw new ModelStoreError(
          "http",
          `${sourceText} kept failing (HTTP ${lastStatus}, ${failures} attempts). Try again later or use another mirror.`,
        );
      }
      throw new ModelStoreError(
        "interrupted",
        `the download of '${name}' from ${sourceText} stopped at ${formatMiB(size)}${total !== undefined ? ` of ${formatMiB(total)}` : ""} (${why}). ` +
          `Run the same pull again to resume from there.`,
        { cause: lastFailure },
      );
    }
    try {
      const model = await this.accept(part, name, sourceText, expectedSha, meter, options.signal);
      return { model, alreadyPresent: false, resumedFromBytes: firstSize };
    } finally {
      // Accepted or refused (and then deleted), the file is no longer a resumable partial.
      await rm(metaFile, { force: true });
    }
  }
}

async function defaultFreeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}
