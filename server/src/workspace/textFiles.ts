/**
 * Reading and writing the files tools work on. Reads classify a file first (text, binary, invalid
 * UTF-8, too large) so that the model gets a summary instead of raw bytes; writes are atomic (a
 * temporary file in the same directory, fsync, rename), so a crash or a full disk leaves either the
 * old content or the new, never a mix.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm, stat, mkdir } from "node:fs/promises";
import path from "node:path";

/** Bytes examined to decide whether a file is binary. */
const SNIFF_BYTES = 8192;

export type FileKind = "text" | "binary" | "invalid_utf8";

export interface SniffResult {
  kind: FileKind;
  size: number;
  /** A short guess of the format for binary files (from magic bytes), e.g. `PNG image`. */
  format?: string;
}

const MAGIC: [string, number[]][] = [
  ["PNG image", [0x89, 0x50, 0x4e, 0x47]],
  ["JPEG image", [0xff, 0xd8, 0xff]],
  ["GIF image", [0x47, 0x49, 0x46, 0x38]],
  ["PDF document", [0x25, 0x50, 0x44, 0x46]],
  ["ZIP archive", [0x50, 0x4b, 0x03, 0x04]],
  ["gzip archive", [0x1f, 0x8b]],
  ["ELF executable", [0x7f, 0x45, 0x4c, 0x46]],
  ["GGUF model", [0x47, 0x47, 0x55, 0x46]],
  ["WebAssembly module", [0x00, 0x61, 0x73, 0x6d]],
];

function guessFormat(head: Buffer): string | undefined {
  for (const [name, bytes] of MAGIC) if (bytes.every((b, i) => head[i] === b)) return name;
  return undefined;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** True when `bytes` is valid UTF-8; a multi-byte character cut at the end of a sample is allowed. */
export function isValidUtf8(bytes: Uint8Array, sampleCut = false): boolean {
  try {
    strictUtf8.decode(bytes, { stream: sampleCut });
    return true;
  } catch {
    return false;
  }
}

/** Classifies a whole buffer: NUL bytes or a known magic mean binary; otherwise UTF-8 validity decides. */
export function classify(bytes: Buffer): SniffResult {
  const head = bytes.subarray(0, SNIFF_BYTES);
  const format = guessFormat(head);
  if (format !== undefined || head.includes(0)) return { kind: "binary", size: bytes.length, format };
  return { kind: isValidUtf8(bytes) ? "text" : "invalid_utf8", size: bytes.length };
}

/** Classifies a file from its first bytes only (for files too large to load). */
export async function sniffFile(file: string): Promise<SniffResult> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    const format = guessFormat(head);
    if (format !== undefined || head.includes(0)) return { kind: "binary", size, format };
    return { kind: isValidUtf8(head, size > head.length) ? "text" : "invalid_utf8", size };
  } finally {
    await handle.close();
  }
}

/** Reads at most `maxBytes` from the start of a file. */
export async function readHead(file: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export interface AtomicWriteOptions {
  /** File mode for a new file; an existing file keeps its own mode. Defaults to 0o644. */
  mode?: number;
  /** Creates missing parent directories. Defaults to false. */
  createParents?: boolean;
}

/**
 * Replaces `file` with `content` atomically: the content goes to a temporary sibling, is flushed to
 * disk, and is renamed over the target. On any error the temporary file is removed and the target is
 * untouched.
 */
export async function writeFileAtomic(
  file: string,
  content: string | Buffer,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = path.dirname(file);
  if (options.createParents) await mkdir(dir, { recursive: true });
  let mode = options.mode ?? 0o644;
  try {
    mode = (await stat(file)).mode & 0o7777;
  } catch {
    // A new file: the default mode applies.
  }
  const temp = path.join(dir, `.${path.basename(file)}.bora-${randomBytes(4).toString("hex")}.tmp`);
  let handle;
  try {
    handle = await open(temp, "wx", mode);
    await handle.writeFile(content);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, file);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}
