/**
 * The model store: GGUF files in one directory (see `defaultModelsDir`), each with a small JSON
 * record of where it came from and its SHA-256. It is the one place that turns a model reference
 * (a store name, a file path, an `https://` URL or an `hf:` reference; see `modelUri.ts`) into a
 * file on disk (`locate`). `pull` fetches a reference into the store: a download resumes an
 * interrupted one (`downloader.ts`), one pull per model runs at a time (`fileLock.ts`), the disk
 * space is checked first, and the checksum and GGUF header are verified before the temporary file
 * is renamed into place, so a file named `<name>.gguf` in the store is always complete and verified.
 *
 * Layout: `<dir>/<name>.gguf`, `<dir>/<name>.json`; in-progress pulls under `<dir>/.partial/`
 * (`<name>.part`, `<name>.part.json` with the resume validators, `<name>.lock` with the pulling pid).
 */
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, statfs } from "node:fs/promises";
import path from "node:path";
import type { FetchFunction } from "../fetchFunction.js";
import { formatBytes } from "../formatBytes.js";
import { download, partialState } from "./downloader.js";
import { acquireLock, lockHolder } from "./fileLock.js";
import { checkGgufFile } from "./ggufCheck.js";
import { HUB_ACCESS_HINT, hubChecksum, hubRequestHeaders } from "./huggingFace.js";
import { ModelStoreError } from "./modelStoreErrors.js";
import {
  displayUrl,
  isValidModelName,
  parseModelUri,
  referenceKind,
  type ModelLocation,
  type ModelSource,
  type ModelUriOptions,
} from "./modelUri.js";
import { ProgressMeter, type PullProgress } from "./pullProgress.js";
import { defaultModelsDir } from "./storeLocation.js";
import { CHUNK_BYTES, fsyncDir, readJson, sha256OfFile, statSize, writeJsonAtomically } from "./storeFiles.js";

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
  /**
   * Times a download's body may break off (each time it resumes where it stopped) without a new
   * byte arriving before the pull gives up and keeps what arrived. Defaults to 5.
   */
  maxAttempts?: number;
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
  /**
   * How downloads go out: the host passes its policy's fetch (`modelDownloadFetch`), which times out
   * the response headers (never the body), retries 5xx and refused connections, waits out
   * `Retry-After` and audits each request. Needed only to download; without one, a pull of a URL
   * or `hf:` reference fails. Defaults to none.
   */
  fetch?: FetchFunction;
  /** Silence in the middle of a download after which it is dropped and resumed. Defaults to 60 000 ms. */
  idleTimeoutMs?: number;
  /** Free bytes on the store's file system. Defaults to `fs.statfs` (available to this user). */
  freeBytes?: (dir: string) => Promise<number>;
  /** Space to leave free beyond the model itself. Defaults to 64 MiB. */
  freeSpaceMarginBytes?: number;
}

const MiB = 1024 * 1024;

export class ModelStore {
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: ModelStoreOptions = {}) {
    this.env = options.env ?? process.env;
    this.dir = options.dir ?? defaultModelsDir(this.env);
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

  private partFiles(name: string): { part: string; meta: string; lock: string } {
    return {
      part: path.join(this.partialDir, `${name}.part`),
      meta: path.join(this.partialDir, `${name}.part.json`),
      lock: path.join(this.partialDir, `${name}.lock`),
    };
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
   * Where the model a reference names is on disk, or which kind of reference it was and that it is
   * not here. A bare word is a store name first, else a file of that name in the working directory;
   * a path is the file it names; a URL or `hf:` reference is found by the store name its file gets.
   * Throws `ModelUriError` for a reference that cannot be read (a malformed `hf:`, plain `http:`).
   */
  async locate(reference: string): Promise<ModelLocation> {
    const source = this.parse(reference);
    const kind = referenceKind(source);
    if (source.kind === "url") {
      const model = await this.get(source.name);
      if (model !== undefined) return { found: true, kind, path: model.path, name: model.name };
      return { found: false, kind, reference, downloadable: true, name: source.name };
    }
    if (source.kind === "name") {
      const model = await this.get(source.name);
      if (model !== undefined) return { found: true, kind, path: model.path, name: model.name };
    }
    if ((await statSize(source.path)) !== undefined) {
      return { found: true, kind: "file", path: source.path, name: source.name };
    }
    return { found: false, kind, reference, downloadable: false, name: source.name, path: source.path };
  }

  /** The file `locate` finds, or undefined when the reference is not here. */
  async resolve(reference: string): Promise<string | undefined> {
    const location = await this.locate(reference);
    return location.found ? location.path : undefined;
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
      const { part, meta } = this.partFiles(name);
      const { received, total } = await partialState(part, meta);
      out.push(
        total === undefined ? { name, receivedBytes: received } : { name, receivedBytes: received, totalBytes: total },
      );
    }
    return out;
  }

  /** Removes a model (and any partial download of it). Resolves false when there was nothing of that name. */
  async remove(name: string): Promise<boolean> {
    if (!isValidModelName(name)) return false;
    const { part, meta, lock } = this.partFiles(name);
    const holder = await lockHolder(lock);
    if (holder !== undefined) {
      throw new ModelStoreError(
        "busy",
        `a pull of '${name}' is running (process ${holder}); wait for it or stop it first`,
      );
    }
    let found = false;
    for (const file of [this.modelPath(name), this.recordPath(name), part, meta, lock]) {
      if ((await statSize(file)) !== undefined) {
        found = true;
        await rm(file, { force: true });
      }
    }
    return found;
  }

  /**
   * Fetches what a reference names into the store: downloads a URL or `hf:` reference, copies a
   * file in. A store name (or anything whose store name the store has) is already there.
   */
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
    if (source.kind === "name" && (await statSize(source.path)) === undefined) {
      const stored = await this.get(source.name);
      throw new ModelStoreError(
        "notFound",
        stored !== undefined
          ? `'${uri}' is a model in the store; pulling it again needs where it came from (an hf: reference or https:// URL; 'bora models list' shows it)`
          : `there is no model named '${uri}' in the store (${this.dir}) and no file ${source.path}; pull an hf:<owner>/<repo>/<file>.gguf reference, an https:// URL or a file path`,
      );
    }
    const release = await acquireLock(
      this.partFiles(name).lock,
      (holder) =>
        new ModelStoreError(
          "busy",
          holder !== undefined
            ? `another process (${holder}) is pulling '${name}' right now; wait for it to finish`
            : `could not take the lock for '${name}' in ${this.partialDir}`,
        ),
    );
    try {
      return await (source.kind === "url"
        ? this.download(source, name, options)
        : this.importFile(source.path, name, options));
    } finally {
      await release();
    }
  }

  private async ensureSpace(needed: number): Promise<void> {
    const free = await (this.options.freeBytes ?? defaultFreeBytes)(this.dir);
    const margin = this.options.freeSpaceMarginBytes ?? 64 * MiB;
    if (free < needed + margin) {
      throw new ModelStoreError(
        "diskFull",
        `not enough disk space in ${this.dir}: the model needs ${formatBytes(needed)} more and ${formatBytes(free)} is free ` +
          `(plus ${formatBytes(margin)} kept spare). Free some space, or set BORA_MODELS_DIR to a larger disk.`,
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
      for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES, signal: options.signal })) {
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
    const fetch = this.options.fetch;
    if (fetch === undefined) {
      throw new ModelStoreError(
        "http",
        `this model store was made without a fetch, so it cannot download ${displayUrl(source.url)}`,
      );
    }
    const { part, meta } = this.partFiles(name);
    const sourceText = displayUrl(source.url);
    const hub = source.origin === "huggingface";
    const downloaded = await download({
      url: source.url,
      sourceText,
      name,
      ...(hub ? { headers: hubRequestHeaders(this.env), checksumOf: hubChecksum, accessHint: HUB_ACCESS_HINT } : {}),
      partFile: part,
      metaFile: meta,
      fetch,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      maxAttempts: options.maxAttempts ?? 5,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 60_000,
      ensureSpace: (bytes) => this.ensureSpace(bytes),
    });
    try {
      const expected = options.sha256 ?? downloaded.announcedSha256;
      const model = await this.accept(part, name, sourceText, expected, downloaded.meter, options.signal);
      return { model, alreadyPresent: false, resumedFromBytes: downloaded.resumedFromBytes };
    } finally {
      // Accepted or refused (and then deleted), the file is no longer a resumable partial.
      await rm(meta, { force: true });
    }
  }
}

async function defaultFreeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}
