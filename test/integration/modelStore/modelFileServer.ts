/**
 * A loopback file server for model downloads that behaves like a CDN (Range requests with 206 and
 * Content-Range, ETag and If-Range, 416 past the end), with knobs for the ways downloads go wrong:
 * a connection dropped half-way, one that goes silent, a Content-Length that lies, a slow trickle,
 * an error status.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ServedFile {
  data: Buffer;
  /** Drop the connection after this many body bytes, on the first `dropTimes` GETs. */
  dropAfterBytes?: number;
  /** How many GETs drop (see `dropAfterBytes`). Defaults to 1. */
  dropTimes?: number;
  /** Stop sending after this many body bytes on the first GET, leaving the connection open and silent. */
  stallAfterBytes?: number;
  /** Announce this Content-Length instead of the real one and close after the real data (or after it, if shorter). */
  claimedLength?: number;
  /** Answer every request with this status (401, 404, 500...). */
  status?: number;
  /** Bytes per write and the pause between writes, to make a download take a while. */
  throttle?: { chunkBytes: number; delayMs: number };
  /** Ignore Range headers and always send the whole file with 200. */
  noRanges?: boolean;
  /** Send `X-Linked-ETag: <sha256>` as the Hugging Face Hub does for LFS files; a string sends that value instead. */
  linkedEtag?: boolean | string;
}

export interface LoggedRequest {
  path: string;
  range?: string;
  ifRange?: string;
  authorization?: string;
}

export interface ModelFileServer {
  origin: string;
  url(path: string): string;
  files: Map<string, ServedFile>;
  log: LoggedRequest[];
  /** Body bytes written for each path so far. */
  sent: Map<string, number>;
  close(): Promise<void>;
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export async function startModelFileServer(): Promise<ModelFileServer> {
  const files = new Map<string, ServedFile>();
  const log: LoggedRequest[] = [];
  const sent = new Map<string, number>();
  const drops = new Map<string, number>();
  const stalled = new Set<string>();
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    const entry: LoggedRequest = { path };
    if (req.headers.range) entry.range = req.headers.range;
    if (typeof req.headers["if-range"] === "string") entry.ifRange = req.headers["if-range"];
    if (req.headers.authorization) entry.authorization = req.headers.authorization;
    log.push(entry);
    const file = files.get(path);
    if (file === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
      return;
    }
    if (file.status !== undefined) {
      res.writeHead(file.status, { "content-type": "text/plain" }).end(`status ${file.status}`);
      return;
    }
    const etag = `"${sha256(file.data).slice(0, 16)}"`;
    const headers: Record<string, string> = {
      etag,
      "last-modified": "Tue, 01 Dec 2026 00:00:00 GMT",
      "accept-ranges": file.noRanges ? "none" : "bytes",
      "content-type": "application/octet-stream",
    };
    if (file.linkedEtag)
      headers["x-linked-etag"] = `"${typeof file.linkedEtag === "string" ? file.linkedEtag : sha256(file.data)}"`;
    const size = file.data.length;
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const ifRange = req.headers["if-range"];
    if (
      range &&
      !file.noRanges &&
      (ifRange === undefined || ifRange === etag || ifRange === headers["last-modified"])
    ) {
      start = Number(range[1]);
      if (start >= size) {
        res.writeHead(416, { "content-range": `bytes */${size}` }).end();
        return;
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${size - 1}/${file.claimedLength ?? size}`;
    }
    const body = file.data.subarray(start);
    headers["content-length"] = String(
      status === 200 && file.claimedLength !== undefined ? file.claimedLength : body.length,
    );
    res.writeHead(status, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const dropped = drops.get(path) ?? 0;
    const dropHere =
      file.dropAfterBytes !== undefined && dropped < (file.dropTimes ?? 1) ? file.dropAfterBytes - start : undefined;
    if (dropHere !== undefined) drops.set(path, dropped + 1);
    const stallHere =
      file.stallAfterBytes !== undefined && !stalled.has(path) ? file.stallAfterBytes - start : undefined;
    if (stallHere !== undefined) stalled.add(path);
    const limit = Math.min(
      body.length,
      dropHere ?? Infinity,
      status === 200 && file.claimedLength !== undefined ? file.claimedLength : Infinity,
    );
    const chunkBytes = file.throttle?.chunkBytes ?? 64 * 1024;
    let offset = 0;
    const pump = (): void => {
      if (res.destroyed) return;
      // A stall: the connection stays open and nothing more comes.
      if (stallHere !== undefined && offset >= stallHere) return;
      if (offset >= limit) {
        // A drop, or a body shorter than its Content-Length: cut the connection so the client sees it.
        if (limit < Number(headers["content-length"])) setTimeout(() => res.socket?.destroy(), 20);
        else res.end();
        return;
      }
      const piece = body.subarray(offset, Math.min(limit, offset + chunkBytes, stallHere ?? Infinity));
      offset += piece.length;
      sent.set(path, (sent.get(path) ?? 0) + piece.length);
      res.write(piece, () => {
        if (file.throttle) setTimeout(pump, file.throttle.delayMs);
        else pump();
      });
    };
    pump();
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (p) => `${origin}${p}`,
    files,
    log,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
