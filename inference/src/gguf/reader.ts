/**
 * Reads and checks the header of a GGUF file (magic, version, metadata, tensor infos) without
 * touching the tensor data, so the model store and the engine can refuse a bad file with a clear
 * message before handing it to the native loader, which would fail with much less to go on.
 */
import { open, type FileHandle } from "node:fs/promises";
import { EngineError } from "../errors.js";
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VALUE_TYPE_IDS,
  LLAMA_CPP_ARCHITECTURES,
  ggmlTypeName,
  tensorByteSize,
  type GgufMetadata,
  type GgufScalarType,
  type GgufTensorInfo,
  type GgufValue,
} from "./types.js";

export interface GgufHeader {
  path: string;
  version: number;
  /** `general.architecture`, e.g. `llama`. */
  architecture: string;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Where tensor data starts in the file. */
  dataOffset: number;
  fileSize: number;
}

export interface ReadGgufHeaderOptions {
  /**
   * Architectures to accept; anything else fails with code `unsupportedArchitecture`.
   * Defaults to every architecture the bundled llama.cpp loads (`LLAMA_CPP_ARCHITECTURES`).
   */
  architectures?: readonly string[];
}

const TYPE_BY_ID = new Map<number, GgufScalarType | "array">(
  Object.entries(GGUF_VALUE_TYPE_IDS).map(([name, id]) => [id, name as GgufScalarType | "array"]),
);

/** Stops a corrupt count from making the reader allocate gigabytes before it hits the end of the file. */
const MAX_COUNT = 1 << 26;
const MAX_HEADER_BYTES = 256 << 20;

class Truncated extends Error {}
class Corrupt extends Error {}
/** The parse ran past the part of the file read so far; the caller reads more and parses again. */
class NeedMore extends Error {}

/**
 * Synchronous little-endian reads over the first bytes of a file. Parsing a 32k-token vocabulary
 * value by value with an `await` each took half a second; parsing a prefix that is in memory and
 * starting again with a larger prefix on the rare header that does not fit takes milliseconds.
 */
class Cursor {
  position = 0;
  constructor(
    private readonly bytes: Buffer,
    readonly fileSize: number,
  ) {}

  private need(n: number): void {
    if (this.position + n <= this.bytes.length) return;
    if (this.position + n > this.fileSize) throw new Truncated(`needs ${n} bytes at offset ${this.position}`);
    throw new NeedMore();
  }
  private take<T>(n: number, get: (b: Buffer, at: number) => T): T {
    this.need(n);
    const value = get(this.bytes, this.position);
    this.position += n;
    return value;
  }

  u8 = (): number => this.take(1, (b, at) => b.readUInt8(at));
  u32 = (): number => this.take(4, (b, at) => b.readUInt32LE(at));
  u64 = (): bigint => this.take(8, (b, at) => b.readBigUInt64LE(at));
  /** A u64 that must fit a JavaScript number (counts, lengths, offsets); read without a BigInt, it is hot. */
  size(what: string): number {
    this.need(8);
    const low = this.bytes.readUInt32LE(this.position);
    const high = this.bytes.readUInt32LE(this.position + 4);
    this.position += 8;
    if (high > 0x1fffff) throw new Corrupt(`${what} is ${(BigInt(high) << 32n) | BigInt(low)}`);
    return high * 0x100000000 + low;
  }
  string(what: string): string {
    const length = this.size(`the length of ${what}`);
    if (this.position + length > this.fileSize) throw new Truncated(`${what} runs past the end of the file`);
    this.need(length);
    const text = this.bytes.toString("utf8", this.position, this.position + length);
    this.position += length;
    return text;
  }
  f32(): number {
    this.need(4);
    const value = this.bytes.readFloatLE(this.position);
    this.position += 4;
    return value;
  }
  i32(): number {
    this.need(4);
    const value = this.bytes.readInt32LE(this.position);
    this.position += 4;
    return value;
  }
  scalar(type: GgufScalarType, what: string): GgufValue["value"] {
    switch (type) {
      case "u8":
        return this.u8();
      case "i8":
        return this.take(1, (b, at) => b.readInt8(at));
      case "u16":
        return this.take(2, (b, at) => b.readUInt16LE(at));
      case "i16":
        return this.take(2, (b, at) => b.readInt16LE(at));
      case "u32":
        return this.u32();
      case "i32":
        return this.i32();
      case "f32":
        return this.f32();
      case "f64":
        return this.take(8, (b, at) => b.readDoubleLE(at));
      case "bool":
        return this.u8() !== 0;
      case "u64":
        return this.u64();
      case "i64":
        return this.take(8, (b, at) => b.readBigInt64LE(at));
      case "string":
        return this.string(what);
    }
  }
}

function readValue(cursor: Cursor, key: string): GgufValue {
  const typeId = cursor.u32();
  const type = TYPE_BY_ID.get(typeId);
  if (type === undefined) throw new Corrupt(`metadata '${key}' has unknown value type ${typeId}`);
  if (type !== "array") return { type, value: cursor.scalar(type, `metadata '${key}'`) } as GgufValue;
  const itemTypeId = cursor.u32();
  const itemType = TYPE_BY_ID.get(itemTypeId);
  if (itemType === undefined || itemType === "array")
    throw new Corrupt(`metadata '${key}' is an array of unsupported type ${itemTypeId}`);
  const count = cursor.size(`the length of metadata '${key}'`);
  if (count > MAX_COUNT) throw new Corrupt(`metadata '${key}' claims ${count} items`);
  const value: unknown[] = [];
  // Vocabularies are arrays of 32k-256k items; the common item types skip the generic switch.
  const what = `an item of metadata '${key}'`;
  if (itemType === "string") for (let i = 0; i < count; i++) value.push(cursor.string(what));
  else if (itemType === "f32") for (let i = 0; i < count; i++) value.push(cursor.f32());
  else if (itemType === "i32") for (let i = 0; i < count; i++) value.push(cursor.i32());
  else for (let i = 0; i < count; i++) value.push(cursor.scalar(itemType, what));
  return { type: "array", itemType, value } as GgufValue;
}

function parse(path: string, bytes: Buffer, fileSize: number, options: ReadGgufHeaderOptions): GgufHeader {
  const cursor = new Cursor(bytes, fileSize);
  const magic = fileSize >= 4 ? cursor.u32() : undefined;
  if (magic !== GGUF_MAGIC)
    throw new EngineError(
      "notGguf",
      `${path} is not a GGUF model file (it does not start with 'GGUF'). Bora runs llama.cpp models in GGUF format: ` +
        `download a .gguf file (for example from Hugging Face) or convert the model with llama.cpp's convert_hf_to_gguf.py.`,
    );
  const version = cursor.u32();
  if (version !== 2 && version !== 3)
    throw new EngineError(
      "notGguf",
      version > 0xffff
        ? `${path} is a big-endian GGUF file, which llama.cpp on this machine cannot load. Use the little-endian build of the model.`
        : `${path} is GGUF version ${version}; Bora reads versions 2 and 3. Re-download or re-convert the model with a current llama.cpp.`,
    );
  const tensorCount = cursor.size("the tensor count");
  const metadataCount = cursor.size("the metadata count");
  if (tensorCount > MAX_COUNT || metadataCount > MAX_COUNT)
    throw new Corrupt(`it claims ${tensorCount} tensors and ${metadataCount} metadata entries`);
  const metadata: GgufMetadata = new Map();
  for (let i = 0; i < metadataCount; i++) {
    const key = cursor.string(`metadata key ${i}`);
    metadata.set(key, readValue(cursor, key));
  }

  const arch = metadata.get("general.architecture");
  const accepted = options.architectures ?? LLAMA_CPP_ARCHITECTURES;
  if (arch?.type !== "string" || !accepted.includes(arch.value))
    throw new EngineError(
      "unsupportedArchitecture",
      arch?.type === "string"
        ? `${path} is a '${arch.value}' model, which the bundled llama.cpp cannot run. Choose a model of a supported ` +
            `architecture (for example llama, qwen2, qwen3, gemma3, phi3, mistral3).`
        : `${path} has no 'general.architecture' entry, so llama.cpp cannot tell what model it is. Re-convert it with a current llama.cpp.`,
    );

  const alignmentValue = metadata.get("general.alignment");
  const alignment = alignmentValue?.type === "u32" ? alignmentValue.value : GGUF_DEFAULT_ALIGNMENT;
  if (alignment <= 0 || alignment % 8 !== 0) throw new Corrupt(`general.alignment is ${alignment}`);

  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = cursor.string(`the name of tensor ${i}`);
    const nDims = cursor.u32();
    if (nDims < 1 || nDims > 4) throw new Corrupt(`tensor '${name}' has ${nDims} dimensions`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(cursor.size(`a dimension of tensor '${name}'`));
    const typeId = cursor.u32();
    const offset = cursor.size(`the offset of tensor '${name}'`);
    if (offset % alignment !== 0) throw new Corrupt(`tensor '${name}' is not aligned to ${alignment} bytes`);
    const type = ggmlTypeName(typeId);
    let byteSize: number | undefined;
    if (type !== undefined) {
      try {
        byteSize = tensorByteSize(type, dims);
      } catch (error) {
        throw new Corrupt(`tensor '${name}': ${(error as Error).message}`);
      }
    }
    tensors.push({ name, dims, typeId, type, offset, byteSize });
  }
  const dataOffset = Math.ceil(cursor.position / alignment) * alignment;
  const end = Math.max(dataOffset, ...tensors.map((t) => dataOffset + t.offset + (t.byteSize ?? 0)));
  if (end > fileSize) throw new Truncated(`its tensors need ${end} bytes`);
  return { path, version, architecture: arch.value, metadata, tensors, alignment, dataOffset, fileSize };
}

/** Parses a prefix of the file, doubling it until the header fits (most headers fit the first 4 MiB). */
async function parseGrowing(
  path: string,
  handle: FileHandle,
  fileSize: number,
  options: ReadGgufHeaderOptions,
): Promise<GgufHeader> {
  for (let length = Math.min(fileSize, 4 << 20); ; length = Math.min(fileSize, length * 2)) {
    const bytes = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(bytes, filled, length - filled, filled);
      if (bytesRead === 0) throw new Truncated(`file ended at offset ${filled}`);
      filled += bytesRead;
    }
    try {
      return parse(path, bytes, fileSize, options);
    } catch (error) {
      if (!(error instanceof NeedMore)) throw error;
      // Real headers are a few MiB at most (a 256k-token vocabulary); more means a damaged count.
      if (length >= MAX_HEADER_BYTES) throw new Corrupt(`its header claims more than ${MAX_HEADER_BYTES >> 20} MiB`);
    }
  }
}

function notAFile(path: string): EngineError {
  return new EngineError("notGguf", `${path} is a folder, not a GGUF model file. Point the setting at the .gguf file.`);
}

/**
 * Reads the header of the GGUF file at `path` and checks that the whole file is there.
 * Throws an `EngineError`: `modelNotFound` when there is no such file, `notGguf` for anything that
 * is not a GGUF v2/v3 file, `truncatedModel` for a file that ends early (an interrupted download)
 * or whose header is damaged, `unsupportedArchitecture` for a model llama.cpp cannot run.
 */
export async function readGgufHeader(path: string, options: ReadGgufHeaderOptions = {}): Promise<GgufHeader> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new EngineError("modelNotFound", `There is no model file at ${path}. Check the path in the settings.`, {
        cause: error,
      });
    if (code === "EISDIR") throw notAFile(path);
    throw error;
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw notAFile(path);
    return await parseGrowing(path, handle, info.size, options);
  } catch (error) {
    if (error instanceof Truncated)
      throw new EngineError(
        "truncatedModel",
        `${path} is incomplete (${error.message}): the download or copy was probably interrupted. Delete it and download it again.`,
        { cause: error },
      );
    if (error instanceof Corrupt)
      throw new EngineError(
        "truncatedModel",
        `${path} has a damaged GGUF header (${error.message}). Delete it and download it again.`,
        { cause: error },
      );
    throw error;
  } finally {
    await handle.close();
  }
}

/** The plain value of a metadata entry, or undefined; arrays come back as arrays. */
export function metadataValue(header: Pick<GgufHeader, "metadata">, key: string): GgufValue["value"] | undefined {
  return header.metadata.get(key)?.value;
}
