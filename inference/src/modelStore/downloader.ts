/**
 * A resumable download of one file into the store's `.partial/` folder. The bytes that arrived stay
 * on disk; when the body breaks off (a dropped connection, a body that goes quiet), the downloader
 * asks for the rest with `Range` and `If-Range` (so a file that changed on the server starts over),
 * in this pull or the next one. It checks that the server's sizes agree (Content-Length,
 * Content-Range, what arrived) and the free disk space before writing.
 *
 * Request retries are not its business: the `fetch` it is given (the host's policy) retries 5xx,
 * refused connections and rate limits with backoff and `Retry-After`. A resume is sent at once,
 * since the connection broke, not the server; a server that is down refuses the next connection,
 * and the fetch's backoff takes over from there. So every wait of a pull is the policy's.
 */
import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { fetchFailure, type FetchFunction } from "../fetchFunction.js";
import { formatBytes } from "../formatBytes.js";
import { ModelStoreError } from "./modelStoreErrors.js";
import { ProgressMeter, type PullProgress } from "./pullProgress.js";
import { readJson, statSize, writeJsonAtomically } from "./storeFiles.js";

export interface DownloadOptions {
  url: string;
  /** The source as messages show it: without credentials or query string. */
  sourceText: string;
  /** The store name, for progress and messages. */
  name: string;
  /** Headers every request to the source carries (the Hub's token). Defaults to none. */
  headers?: Record<string, string>;
  /** Where the bytes go. */
  partFile: string;
  /** The record of what `partFile` holds (its source, validators and size), for resuming. */
  metaFile: string;
  fetch: FetchFunction;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  /** Times the body may break off without new bytes before the pull gives up. */
  maxAttempts: number;
  /** Silence in the middle of a body after which the connection is dropped and resumed. */
  idleTimeoutMs: number;
  /** Rejects when the disk cannot take this many more bytes. */
  ensureSpace(bytes: number): Promise<void>;
  /** The expected SHA-256 a response announces (the Hub does), if any. Defaults to none. */
  checksumOf?(response: Response): string | undefined;
  /** Added to the message of a refusal (401/403). Defaults to nothing. */
  accessHint?: string;
}

export interface Download {
  /** Bytes that an earlier, interrupted pull had left and this one reused. */
  resumedFromBytes: number;
  /** The checksum the source announced, when `checksumOf` found one. */
  announcedSha256?: string;
  /** The pull's progress meter, for the verifying phase that follows. */
  meter: ProgressMeter;
}

interface PartialMeta {
  /** SHA-256 of the full source URL: a different source never resumes another's bytes, and the URL (which may be signed) is not written down. */
  sourceKey: string;
  etag?: string;
  lastModified?: string;
  totalBytes?: number;
}

/** The received size of a partial download, and its total when the server said. */
export async function partialState(partFile: string, metaFile: string): Promise<{ received: number; total?: number }> {
  const received = (await statSize(partFile)) ?? 0;
  const meta = await readJson<PartialMeta>(metaFile);
  return meta?.totalBytes === undefined ? { received } : { received, total: meta.totalBytes };
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

/** Downloads `url` into `partFile`, resuming what an earlier pull of the same URL left there. */
export async function download(o: DownloadOptions): Promise<Download> {
  const sourceKey = createHash("sha256").update(o.url).digest("hex");
  const kept = await readJson<PartialMeta>(o.metaFile);
  let meta: PartialMeta = kept?.sourceKey === sourceKey ? kept : { sourceKey };
  // Bytes from another source (or of unknown origin) must not be glued to this one.
  if (kept?.sourceKey !== sourceKey) await rm(o.partFile, { force: true });
  const resumedFromBytes = (await statSize(o.partFile)) ?? 0;
  const meter = new ProgressMeter(o.onProgress, { name: o.name, resumedFromBytes });
  let announcedSha256: string | undefined;
  let failures = 0;

  const cancelled = (): ModelStoreError =>
    new ModelStoreError("aborted", "the pull was cancelled; run it again to resume");
  const discard = async (): Promise<void> => {
    await rm(o.partFile, { force: true });
    await rm(o.metaFile, { force: true });
  };
  const lengthLie = async (what: string): Promise<never> => {
    await discard();
    throw new ModelStoreError(
      "lengthMismatch",
      `${o.sourceText} ${what}; the partial download was discarded. The server or a proxy in between is misbehaving; try again later or from another mirror.`,
    );
  };
  /** Gives up for now, keeping what arrived for the next pull. */
  const stopped = async (why: string, cause?: unknown): Promise<never> => {
    const size = (await statSize(o.partFile)) ?? 0;
    const total = meta.totalBytes;
    throw new ModelStoreError(
      "interrupted",
      `the download of '${o.name}' from ${o.sourceText} stopped at ${formatBytes(size)}${total !== undefined ? ` of ${formatBytes(total)}` : ""} (${why}). ` +
        `Run the same pull again to resume from there.`,
      cause === undefined ? undefined : { cause },
    );
  };

  for (;;) {
    if (o.signal?.aborted) throw cancelled();
    let have = (await statSize(o.partFile)) ?? 0;
    const headers: Record<string, string> = {
      "accept-encoding": "identity",
      "user-agent": "bora-model-store",
      ...o.headers,
    };
    if (have > 0) {
      headers["range"] = `bytes=${have}-`;
      // Resume only if the file is still the one we started: otherwise the server sends it whole (200).
      const validator = meta.etag !== undefined && !meta.etag.startsWith("W/") ? meta.etag : meta.lastModified;
      if (validator !== undefined) headers["if-range"] = validator;
    }
    // One connection: the idle timer drops it without cancelling the pull.
    const connection = new AbortController();
    const signal = o.signal ? AbortSignal.any([o.signal, connection.signal]) : connection.signal;
    let response: Response;
    try {
      response = await o.fetch(o.url, { headers, signal, redirect: "follow" });
    } catch (error) {
      if (o.signal?.aborted) throw cancelled();
      // The fetch has retried what could be retried; this pull stops here and the next resumes.
      const failure = fetchFailure(error);
      if (failure.kind === "rateLimited") {
        const until = failure.retryAt !== undefined ? ` until ${new Date(failure.retryAt).toISOString()}` : "";
        throw new ModelStoreError(
          "http",
          `${o.sourceText} is refusing downloads for now (rate limit${until}). Run the same pull again after that.`,
          { cause: error },
        );
      }
      const why =
        failure.kind === "timeout"
          ? `no answer${failure.timeoutMs !== undefined ? ` within ${failure.timeoutMs} ms` : ""}`
          : (failure.networkCode ?? failure.message);
      return stopped(why, error);
    }
    const status = response.status;
    if (status === 401 || status === 403) {
      await response.body?.cancel();
      const hint = o.accessHint !== undefined ? ` ${o.accessHint}` : "";
      throw new ModelStoreError("unauthorized", `${o.sourceText} refused access (HTTP ${status}).${hint}`);
    }
    if (status === 404) {
      await response.body?.cancel();
      throw new ModelStoreError(
        "notFound",
        `${o.sourceText} does not exist (HTTP 404). Check the owner, repository and file name.`,
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
      if (++failures >= o.maxAttempts) return stopped(`HTTP 416 for a range the server had announced`);
      continue;
    }
    if (status === 429 || status >= 500) {
      // The fetch retried these already: the server keeps failing.
      await response.body?.cancel();
      if (have === 0) {
        throw new ModelStoreError(
          "http",
          `${o.sourceText} kept failing (HTTP ${status}). Try again later or use another mirror.`,
        );
      }
      return stopped(`HTTP ${status}`);
    }
    if (status !== 200 && status !== 206) {
      await response.body?.cancel();
      throw new ModelStoreError("http", `${o.sourceText} answered HTTP ${status}; expected the file.`);
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
        if (++failures >= o.maxAttempts) return stopped(`the server sent a range that was not asked for`);
        continue;
      }
      total = range.total;
    } else {
      if (have > 0) {
        // The server ignored the range, or the file changed (If-Range): start from zero.
        await rm(o.partFile, { force: true });
        have = 0;
      }
      total = length !== null ? Number(length) : undefined;
    }
    if (meta.totalBytes !== undefined && total !== undefined && total !== meta.totalBytes && status === 206) {
      await response.body?.cancel();
      await lengthLie(`first announced ${meta.totalBytes} bytes and now says ${total}`);
    }
    announcedSha256 ??= o.checksumOf?.(response);
    if (total !== undefined) await o.ensureSpace(total - have);
    const etag: string | undefined = response.headers.get("etag") ?? meta.etag;
    const lastModified: string | undefined = response.headers.get("last-modified") ?? meta.lastModified;
    meta = {
      sourceKey,
      ...(etag ? { etag } : {}),
      ...(lastModified ? { lastModified } : {}),
      ...(total !== undefined ? { totalBytes: total } : {}),
    };
    await writeJsonAtomically(o.metaFile, meta);

    const out = await open(o.partFile, have > 0 ? "a" : "w");
    let received = have;
    let streamError: unknown;
    let idle = false;
    const arm = (): NodeJS.Timeout =>
      setTimeout(() => {
        idle = true;
        connection.abort(new Error("idle"));
      }, o.idleTimeoutMs);
    let timer = arm();
    try {
      if (response.body === null) throw new Error("the response has no body");
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        if (total !== undefined && received + chunk.length > total) {
          await lengthLie(`sent more than the ${total} bytes it announced`);
        }
        await out.write(chunk);
        received += chunk.length;
        meter.update(received, total);
        timer = arm();
      }
    } catch (error) {
      streamError = error;
    } finally {
      clearTimeout(timer);
      // Closes the connection when the body was left unread (a lie, an error).
      connection.abort();
      // What arrived stays on disk for the next attempt (or the next run).
      await out.sync().catch(() => undefined);
      await out.close();
    }
    if (streamError instanceof ModelStoreError) throw streamError;
    meter.update(received, total, true);
    if (o.signal?.aborted) throw cancelled();
    if (streamError === undefined && (total === undefined || received === total)) break;
    // Dropped connection, a body that went quiet, or one shorter than announced: resume from what is on disk.
    const why = idle
      ? `no data for ${o.idleTimeoutMs} ms`
      : streamError instanceof Error
        ? streamError.message
        : `the connection closed after ${received} of ${total} bytes`;
    if (received > have) failures = 0;
    if (++failures >= o.maxAttempts) return stopped(why, streamError);
  }
  return announcedSha256 === undefined ? { resumedFromBytes, meter } : { resumedFromBytes, announcedSha256, meter };
}
