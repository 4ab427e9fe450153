/**
 * A streaming GGUF v3 writer. The header (metadata and tensor infos) is encoded in memory, since
 * even a 32k-token vocabulary is well under a megabyte; tensor data is pulled from each tensor's
 * source chunk by chunk and written through one reused staging buffer, so a multi-gigabyte model
 * never sits in memory at once.
 */
import { open, rm } from "node:fs/promises";
import {
  GGML_TYPE_IDS,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VALUE_TYPE_IDS,
  GGUF_VERSION,
  tensorByteSize,
  type GgmlTypeName,
  type GgufMetadata,
  type GgufScalarType,
  type GgufValue,
} from "./types.js";

export interface GgufTensorSource {
  name: string;
  type: GgmlTypeName;
  /** ne[0] first: the length of one row, which must be a multiple of the type's block size. */
  dims: number[];
  /**
   * Produces the tensor's bytes in order, in chunks of any size. The writer is done with a chunk
   * when it asks for the next one, so a source may reuse one buffer.
   */
  data(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

export interface GgufWriteProgress {
  bytesWritten: number;
  totalBytes: number;
}

export interface WriteGgufOptions {
  /** Called after each flush of the staging buffer. Defaults to no progress reports. */
  onProgress?: (progress: GgufWriteProgress) => void;
  /** Stops the write; the partial file is removed. Defaults to no signal. */
  signal?: AbortSignal;
  /** Size of the staging buffer in bytes. Defaults to 4 MiB. */
  bufferBytes?: number;
}

/** A little-endian byte sink that grows as needed; used for the header. */
class ByteBuilder {
  private bytes = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.alloc(Math.max(this.bytes.length * 2, this.length + n));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  u8(v: number): void {
    this.reserve(1);
    this.bytes.writeUInt8(v, this.length);
    this.length += 1;
  }
  i8(v: number): void {
    this.reserve(1);
    this.bytes.writeInt8(v, this.length);
    this.length += 1;
  }
  u16(v: number): void {
    this.reserve(2);
    this.bytes.writeUInt16LE(v, this.length);
    this.length += 2;
  }
  i16(v: number): void {
    this.reserve(2);
    this.bytes.writeInt16LE(v, this.length);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.bytes.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.bytes.writeInt32LE(v, this.length);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.bytes.writeFloatLE(v, this.length);
    this.length += 4;
  }
  f64(v: number): void {
    this.reserve(8);
    this.bytes.writeDoubleLE(v, this.length);
    this.length += 8;
  }
  u64(v: bigint | number): void {
    this.reserve(8);
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) {
      // Lengths and counts: two u32 writes, no BigInt per string of a 256k-token vocabulary.
      this.bytes.writeUInt32LE(v % 0x100000000, this.length);
      this.bytes.writeUInt32LE(Math.floor(v / 0x100000000), this.length + 4);
    } else this.bytes.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  i64(v: bigint): void {
    this.reserve(8);
    this.bytes.writeBigInt64LE(v, this.length);
    this.length += 8;
  }
  string(s: string): void {
    const byteLength = Buffer.byteLength(s, "utf8");
    this.u64(byteLength);
    this.reserve(byteLength);
    this.length += this.bytes.write(s, this.length, byteLength, "utf8");
  }
  zeros(n: number): void {
    this.reserve(n);
    this.bytes.fill(0, this.length, this.length + n);
    this.length += n;
  }
  result(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}

function writeScalar(out: ByteBuilder, type: GgufScalarType, value: unknown, key: string): void {
  const fail = (): never => {
    throw new TypeError(`GGUF metadata '${key}': ${String(value)} is not a valid ${type}`);
  };
  switch (type) {
    case "string":
      if (typeof value !== "string") fail();
      out.string(value as string);
      return;
    case "bool":
      if (typeof value !== "boolean") fail();
      out.u8(value ? 1 : 0);
      return;
    case "u64":
    case "i64":
      if (typeof value !== "bigint") fail();
      if (type === "u64") out.u64(value as bigint);
      else out.i64(value as bigint);
      return;
    case "f32":
    case "f64":
      if (typeof value !== "number") fail();
      if (type === "f32") out.f32(value as number);
      else out.f64(value as number);
      return;
    default: {
      // Buffer's integer writers throw a RangeError for out-of-range values, which names the key below.
      if (typeof value !== "number" || !Number.isInteger(value)) fail();
      try {
        out[type](value as number);
      } catch {
        fail();
      }
    }
  }
}

function writeValue(out: ByteBuilder, key: string, value: GgufValue): void {
  out.u32(GGUF_VALUE_TYPE_IDS[value.type]);
  if (value.type !== "array") {
    writeScalar(out, value.type, value.value, key);
    return;
  }
  out.u32(GGUF_VALUE_TYPE_IDS[value.itemType]);
  out.u64(value.value.length);
  for (const item of value.value) writeScalar(out, value.itemType, item, key);
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

export interface GgufLayout {
  header: Buffer;
  alignment: number;
  /** Where tensor data starts (already aligned). */
  dataOffset: number;
  /** Offset and size of each tensor, relative to `dataOffset`. */
  tensors: { offset: number; byteSize: number }[];
  totalBytes: number;
}

/** Encodes the header and computes where every tensor goes, without writing anything. */
export function layoutGguf(metadata: GgufMetadata, tensors: readonly GgufTensorSource[]): GgufLayout {
  const alignmentValue = metadata.get("general.alignment");
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  if (alignmentValue !== undefined) {
    if (alignmentValue.type !== "u32" || alignmentValue.value <= 0 || alignmentValue.value % 8 !== 0)
      throw new TypeError("GGUF metadata 'general.alignment' must be a u32 multiple of 8");
    alignment = alignmentValue.value;
  }
  const names = new Set<string>();
  const placed: GgufLayout["tensors"] = [];
  let offset = 0;
  for (const tensor of tensors) {
    if (names.has(tensor.name)) throw new TypeError(`GGUF tensor '${tensor.name}' is listed twice`);
    names.add(tensor.name);
    if (tensor.dims.length === 0 || tensor.dims.length > 4 || tensor.dims.some((d) => !Number.isInteger(d) || d < 1))
      throw new TypeError(`GGUF tensor '${tensor.name}': dims must be 1 to 4 positive integers`);
    const byteSize = tensorByteSize(tensor.type, tensor.dims);
    placed.push({ offset, byteSize });
    offset = alignUp(offset + byteSize, alignment);
  }

  const out = new ByteBuilder();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(tensors.length);
  out.u64(metadata.size);
  for (const [key, value] of metadata) {
    out.string(key);
    writeValue(out, key, value);
  }
  tensors.forEach((tensor, i) => {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const d of tensor.dims) out.u64(d);
    out.u32(GGML_TYPE_IDS[tensor.type]);
    out.u64(placed[i]!.offset);
  });
  out.zeros(alignUp(out.length, alignment) - out.length);
  const header = out.result();
  return { header, alignment, dataOffset: header.length, tensors: placed, totalBytes: header.length + offset };
}

/**
 * Writes a GGUF file at `path` (replacing it). On any failure, including an abort, the partial
 * file is removed so that nothing half-written is ever mistaken for a model.
 */
export async function writeGguf(
  path: string,
  metadata: GgufMetadata,
  tensors: readonly GgufTensorSource[],
  options: WriteGgufOptions = {},
): Promise<{ bytes: number }> {
  const layout = layoutGguf(metadata, tensors);
  const staging = Buffer.alloc(options.bufferBytes ?? 4 << 20);
  let staged = 0;
  let written = 0;
  const handle = await open(path, "w");
  const flush = async (): Promise<void> => {
    let done = 0;
    while (done < staged) done += (await handle.write(staging, done, staged - done, null)).bytesWritten;
    written += staged;
    staged = 0;
    options.onProgress?.({ bytesWritten: written, totalBytes: layout.totalBytes });
  };
  const put = async (bytes: Uint8Array): Promise<void> => {
    let from = 0;
    while (from < bytes.length) {
      const n = Math.min(staging.length - staged, bytes.length - from);
      staging.set(bytes.subarray(from, from + n), staged);
      staged += n;
      from += n;
      if (staged === staging.length) await flush();
    }
  };
  try {
    await put(layout.header);
    for (const [i, tensor] of tensors.entries()) {
      const { byteSize } = layout.tensors[i]!;
      let produced = 0;
      for await (const chunk of tensor.data()) {
        options.signal?.throwIfAborted();
        produced += chunk.length;
        if (produced > byteSize) break;
        await put(chunk);
      }
      if (produced !== byteSize)
        throw new RangeError(
          `GGUF tensor '${tensor.name}' (${tensor.type} ${tensor.dims.join("x")}) needs ${byteSize} bytes, its source gave ${produced > byteSize ? "more" : produced}`,
        );
      const next = i + 1 < tensors.length ? layout.dataOffset + layout.tensors[i + 1]!.offset : layout.totalBytes;
      await put(new Uint8Array(next - (layout.dataOffset + layout.tensors[i]!.offset + byteSize)));
    }
    await flush();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
  return { bytes: written };
}
