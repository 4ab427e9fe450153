/**
 * Splits an LSP byte stream (`Content-Length` framed JSON) into messages, and survives garbage.
 *
 * vscode-jsonrpc's own reader stops for good at the first malformed header, which would leave the
 * host deaf after one bad write by a client. This parser instead reports what it skipped and
 * resynchronises on the next `Content-Length:` header, so the host stays up and answers the next
 * valid request.
 */

export type ParsedFrame = { kind: "message"; message: unknown } | { kind: "error"; reason: string };

const HEADER_END = Buffer.from("\r\n\r\n", "ascii");
const CONTENT_LENGTH = /^content-length$/i;
/** The longest header block we accept; anything longer is garbage, not a header. */
const MAX_HEADER_BYTES = 4096;
/** A body larger than this is refused rather than buffered (a bad length would otherwise eat all RAM). */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

export class FrameParser {
  private buffer: Buffer = Buffer.alloc(0);
  private bodyLength = -1;

  /** Feeds bytes in and returns every complete message (or error) they finish, in order. */
  push(chunk: Buffer): ParsedFrame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: ParsedFrame[] = [];
    for (;;) {
      if (this.bodyLength < 0) {
        const header = this.readHeader(out);
        if (header === "wait") return out;
        if (header === "skipped") continue;
        this.bodyLength = header;
      }
      if (this.buffer.length < this.bodyLength) return out;
      const body = this.buffer.subarray(0, this.bodyLength);
      this.buffer = this.buffer.subarray(this.bodyLength);
      this.bodyLength = -1;
      try {
        out.push({ kind: "message", message: JSON.parse(body.toString("utf8")) as unknown });
      } catch (error) {
        out.push({ kind: "error", reason: `skipped a message whose body is not JSON (${(error as Error).message})` });
      }
    }
  }

  /** Bytes held while waiting for the rest of a message. */
  get pending(): number {
    return this.buffer.length;
  }

  private readHeader(out: ParsedFrame[]): number | "wait" | "skipped" {
    const end = this.buffer.indexOf(HEADER_END);
    if (end < 0) {
      if (this.buffer.length > MAX_HEADER_BYTES) return this.resync(out, "no header end in sight");
      return "wait";
    }
    if (end > MAX_HEADER_BYTES) return this.resync(out, "header block too long");
    const lines = this.buffer.subarray(0, end).toString("ascii").split("\r\n");
    let length: number | undefined;
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon <= 0) return this.resync(out, `malformed header line ${JSON.stringify(line.slice(0, 60))}`);
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (CONTENT_LENGTH.test(key)) {
        if (!/^\d+$/.test(value)) return this.resync(out, `Content-Length is not a number: ${JSON.stringify(value)}`);
        length = Number(value);
      }
    }
    if (length === undefined) return this.resync(out, "header block without Content-Length");
    if (length > MAX_BODY_BYTES) return this.resync(out, `Content-Length ${length} is over the limit`);
    this.buffer = this.buffer.subarray(end + HEADER_END.length);
    return length;
  }

  /**
   * Drops bytes up to the next `Content-Length:` that is not at offset 0 (that one just failed),
   * or everything but a short tail that may hold the start of one.
   */
  private resync(out: ParsedFrame[], reason: string): "skipped" | "wait" {
    const text = this.buffer.toString("latin1");
    const next = text.slice(1).search(/content-length:/i);
    if (next >= 0) {
      out.push({ kind: "error", reason: `skipped ${next + 1} bytes of garbage (${reason})` });
      this.buffer = this.buffer.subarray(next + 1);
      return "skipped";
    }
    const keep = Math.min(this.buffer.length, "content-length:".length - 1);
    const dropped = this.buffer.length - keep;
    if (dropped > 0) out.push({ kind: "error", reason: `skipped ${dropped} bytes of garbage (${reason})` });
    this.buffer = this.buffer.subarray(this.buffer.length - keep);
    return "wait";
  }
}
