/**
 * A Sentry ingest fake: accepts envelopes at `/api/<project>/envelope/` (gzip or plain) and keeps
 * each as its lines, so a test can read exactly what the SDK sent. Its DSN is `http://pub@HOST/7`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface SentryIngestFake {
  dsn: string;
  /** Each envelope as its newline-separated lines (header, item header, item payload, ...). */
  envelopes: string[][];
  /** Every request, envelope or not. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startSentryIngest(): Promise<SentryIngestFake> {
  const envelopes: string[][] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      let raw = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
      if (/^\/api\/\d+\/envelope\/?/.test(req.url ?? ""))
        envelopes.push(raw.toString("utf8").split("\n").filter(Boolean));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "0".repeat(32) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://pub@127.0.0.1:${port}/7`,
    envelopes,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
