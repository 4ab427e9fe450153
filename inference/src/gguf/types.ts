/**
 * The vocabulary of the GGUF file format (version 3, little-endian), shared by the writer and the
 * reader: metadata value types, ggml tensor types and their block layouts.
 */

/** The first four bytes of every GGUF file, `GGUF` read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
/** The version this writer produces. The reader also accepts version 2, which has the same layout. */
export const GGUF_VERSION = 3;
/** Alignment of the tensor data section and of every tensor in it, unless `general.alignment` says otherwise. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types, with the ids the file stores. */
export const GGUF_VALUE_TYPE_IDS = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

export type GgufScalarType = Exclude<keyof typeof GGUF_VALUE_TYPE_IDS, "array">;

/** The JavaScript value of each scalar type: 64-bit integers are bigints so that nothing is rounded. */
export interface GgufScalarValues {
  u8: number;
  i8: number;
  u16: number;
  i16: number;
  u32: number;
  i32: number;
  f32: number;
  f64: number;
  bool: boolean;
  string: string;
  u64: bigint;
  i64: bigint;
}

/** A metadata value with its type, so that a file read back is written again byte for byte. */
export type GgufValue =
  | { [T in GgufScalarType]: { type: T; value: GgufScalarValues[T] } }[GgufScalarType]
  | { [T in GgufScalarType]: { type: "array"; itemType: T; value: GgufScalarValues[T][] } }[GgufScalarType];

/** Metadata in file order (GGUF keeps the order, and llama.cpp does not care about it). */
export type GgufMetadata = Map<string, GgufValue>;

/** Helpers that build typed values: `gguf.u32(4)`, `gguf.array("string", ["a"])`. */
export const gguf = {
  u8: (value: number): GgufValue => ({ type: "u8", value }),
  i8: (value: number): GgufValue => ({ type: "i8", value }),
  u16: (value: number): GgufValue => ({ type: "u16", value }),
  i16: (value: number): GgufValue => ({ type: "i16", value }),
  u32: (value: number): GgufValue => ({ type: "u32", value }),
  i32: (value: number): GgufValue => ({ type: "i32", value }),
  f32: (value: number): GgufValue => ({ type: "f32", value }),
  f64: (value: number): GgufValue => ({ type: "f64", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  string: (value: string): GgufValue => ({ type: "string", value }),
  u64: (value: bigint | number): GgufValue => ({ type: "u64", value: BigInt(value) }),
  i64: (value: bigint | number): GgufValue => ({ type: "i64", value: BigInt(value) }),
  array<T extends GgufScalarType>(itemType: T, value: GgufScalarValues[T][]): GgufValue {
    return { type: "array", itemType, value } as GgufValue;
  },
};

/** ggml tensor types this project writes or checks, with the ids the file stores. */
export const GGML_TYPE_IDS = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  IQ4_NL: 20,
  I8: 24,
  I16: 25,
  I32: 26,
  I64: 27,
  F64: 28,
  BF16: 30,
  MXFP4: 39,
} as const;

export type GgmlTypeName = keyof typeof GGML_TYPE_IDS;

/** Elements per block and bytes per block of each type (ggml's `type_traits`). */
export const GGML_BLOCKS: Record<GgmlTypeName, { elements: number; bytes: number }> = {
  F32: { elements: 1, bytes: 4 },
  F16: { elements: 1, bytes: 2 },
  Q4_0: { elements: 32, bytes: 18 },
  Q4_1: { elements: 32, bytes: 20 },
  Q5_0: { elements: 32, bytes: 22 },
  Q5_1: { elements: 32, bytes: 24 },
  Q8_0: { elements: 32, bytes: 34 },
  Q8_1: { elements: 32, bytes: 36 },
  Q2_K: { elements: 256, bytes: 84 },
  Q3_K: { elements: 256, bytes: 110 },
  Q4_K: { elements: 256, bytes: 144 },
  Q5_K: { elements: 256, bytes: 176 },
  Q6_K: { elements: 256, bytes: 210 },
  Q8_K: { elements: 256, bytes: 292 },
  IQ4_NL: { elements: 32, bytes: 18 },
  I8: { elements: 1, bytes: 1 },
  I16: { elements: 1, bytes: 2 },
  I32: { elements: 1, bytes: 4 },
  I64: { elements: 1, bytes: 8 },
  F64: { elements: 1, bytes: 8 },
  BF16: { elements: 1, bytes: 2 },
  MXFP4: { elements: 32, bytes: 17 },
};

const TYPE_NAMES_BY_ID = new Map<number, GgmlTypeName>(
  Object.entries(GGML_TYPE_IDS).map(([name, id]) => [id, name as GgmlTypeName]),
);

/** The name of a ggml type id, or undefined for one this table does not know (newer or exotic quants). */
export function ggmlTypeName(id: number): GgmlTypeName | undefined {
  return TYPE_NAMES_BY_ID.get(id);
}

/**
 * Bytes that a tensor of `type` and `dims` (ne[0] first, the row length) takes. Throws a RangeError
 * when the row length is not a multiple of the type's block size, which ggml cannot store.
 */
export function tensorByteSize(type: GgmlTypeName, dims: readonly number[]): number {
  const block = GGML_BLOCKS[type];
  const row = dims[0] ?? 1;
  if (row % block.elements !== 0)
    throw new RangeError(`a ${type} tensor needs a row length divisible by ${block.elements}, got ${row}`);
  const elements = dims.reduce((product, d) => product * d, 1);
  return (elements / block.elements) * block.bytes;
}

export interface GgufTensorInfo {
  name: string;
  /** ne[0] first: the length of one row. */
  dims: number[];
  /** The ggml type id as stored. */
  typeId: number;
  /** The type's name, when the table above knows it. */
  type: GgmlTypeName | undefined;
  /** Offset from the start of the data section. */
  offset: number;
  /** Bytes of data, when the type is known. */
  byteSize: number | undefined;
}

/**
 * Architectures the bundled llama.cpp (v0.4.0, from node-llama-cpp 3.21.1) can load as a language
 * model, from its `LLM_ARCH_NAMES`. Vision projectors (`clip`) are left out: they are not models on
 * their own. A file of any other architecture would fail deep inside the native loader instead.
 */
export const LLAMA_CPP_ARCHITECTURES: readonly string[] = (
  "llama llama4 deci falcon grok gpt2 gptj gptneox mpt baichuan starcoder refact bert modern-bert nomic-bert " +
  "nomic-bert-moe neo-bert jina-bert-v2 jina-bert-v3 eurobert bloom stablelm qwen qwen2 qwen2moe qwen2vl qwen3 " +
  "qwen3moe qwen3next qwen3vl qwen3vlmoe qwen35 qwen35moe qwen4exp phi2 phi3 phimoe plamo plamo2 plamo3 codeshell " +
  "orion internlm2 minicpm minicpm3 gemma gemma2 gemma3 gemma3n gemma4 gemma4-assistant gemma-embedding starcoder2 " +
  "mamba mamba2 jamba falcon-h1 xverse command-r cohere2 cohere2moe dbrx olmo olmo2 olmoe muse-glimmer openelm " +
  "arctic deepseek deepseek2 deepseek2-ocr deepseek32 deepseek4 chatglm glm4 glm4moe glm-dsa bitnet t5 t5encoder " +
  "jais jais2 nemotron nemotron_h nemotron_h_moe exaone exaone4 exaone-moe rwkv6 rwkv6qwen2 rwkv7 arwkv7 granite " +
  "granitemoe granitehybrid graniteswitch granite_swa chameleon wavtokenizer-dec plm bailingmoe bailingmoe2 " +
  "bailingmoe3 dots1 dots3note arcee afmoe laguna ernie4_5 ernie4_5-moe hunyuan-moe hunyuan-dense hunyuan_vl hy_v3 " +
  "smollm3 gpt-oss lfm2 lfm2moe dream smallthinker llada llada-moe seed_oss grovemoe apertus minimax-01 minimax-m2 " +
  "minimax-m3 cogvlm rnd1 pangu-embedded mistral3 eagle3 dflash mistral4 paddleocr mimo2 step35 llama-embed " +
  "maincoder kimi-linear kimi-k3 talkie mellum nanbeige qwen3tts pockettts"
).split(" ");
