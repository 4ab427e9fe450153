/**
 * Generates Llama-architecture GGUF models in plain JavaScript: random weights in real shapes for
 * tests and benchmarks, and the constructed copy model. Pure JS on purpose: the `bora` bundle must
 * not load node-llama-cpp to make a model, and nothing is downloaded.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { writeGguf, type GgufTensorSource, type GgufWriteProgress } from "../gguf/writer.js";
import { GGML_BLOCKS, gguf, type GgmlTypeName, type GgufMetadata } from "../gguf/types.js";
import { COPY_ALPHABET, DEFAULT_MODEL_SEED, copyChain } from "./copyChain.js";
import { SeededRandom, toFloat16Bits } from "./random.js";
import { MODEL_SHAPES, type ModelShape, type TestModelShape } from "./shapes.js";
import { CHAR_PIECES, CHATML_TEMPLATE, FIRST_CHAR_ID, SPECIAL_TOKENS, buildVocabulary } from "./tokenizer.js";

/**
 * Bumped whenever a generated file would change (shapes, tokenizer, weights, metadata), so that
 * caches keyed by it regenerate instead of serving a stale model.
 */
export const TEST_MODEL_GENERATOR_VERSION = 1;

export interface GenerateModelOptions {
  shape: TestModelShape;
  /** Where to write the .gguf file; parent folders are created. The file appears complete or not at all. */
  out: string;
  /** Seed of the random weights (and of the copy model's chain). Defaults to 1. */
  seed?: number;
  /** Progress of the write, for the big shapes. Defaults to no reports. */
  onProgress?: (progress: GgufWriteProgress) => void;
  /** Stops generation; nothing is left at `out`. Defaults to no signal. */
  signal?: AbortSignal;
}

export interface GeneratedModel {
  path: string;
  shape: TestModelShape;
  seed: number;
  bytes: number;
  parameters: number;
}

const CHUNK_ELEMENTS = 1 << 16;
/** Standard deviation of random float weights (the usual initialisation scale). */
const WEIGHT_STD = 0.02;

function* ones(count: number): Generator<Uint8Array> {
  const chunk = new Float32Array(Math.min(count, CHUNK_ELEMENTS)).fill(1);
  for (let left = count; left > 0; left -= chunk.length)
    yield new Uint8Array(chunk.buffer, 0, Math.min(left, chunk.length) * 4);
}

function* randomFloats(type: "F16" | "F32", count: number, rng: SeededRandom): Generator<Uint8Array> {
  const half = WEIGHT_STD * Math.sqrt(3);
  for (let left = count; left > 0; left -= CHUNK_ELEMENTS) {
    const n = Math.min(left, CHUNK_ELEMENTS);
    if (type === "F32") {
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = (rng.float() * 2 - 1) * half;
      yield new Uint8Array(values.buffer);
    } else {
      const values = new Uint16Array(n);
      for (let i = 0; i < n; i++) values[i] = toFloat16Bits((rng.float() * 2 - 1) * half);
      yield new Uint8Array(values.buffer);
    }
  }
}

/**
 * Random quantized blocks: random quant bytes under one fixed, finite fp16 scale per block. No
 * float math per weight, which keeps a 1B model to seconds; the scale gives weights of about
 * WEIGHT_STD, so activations stay finite through the layers.
 */
function* randomQuantBlocks(type: "Q4_0" | "Q8_0", elements: number, rng: SeededRandom): Generator<Uint8Array> {
  const { bytes: blockBytes } = GGML_BLOCKS[type];
  // Uniform Q4_0 nibbles (-8..7) have a standard deviation of about 4.6; Q8_0 bytes about 74.
  const scale = toFloat16Bits(type === "Q4_0" ? WEIGHT_STD / 4.6 : WEIGHT_STD / 74);
  const blocksPerChunk = 1 << 15;
  const words = new Uint32Array(Math.ceil((blocksPerChunk * blockBytes) / 4));
  const bytes = new Uint8Array(words.buffer);
  for (let left = elements / 32; left > 0; left -= blocksPerChunk) {
    const blocks = Math.min(left, blocksPerChunk);
    rng.fill(words);
    for (let b = 0; b < blocks; b++) {
      bytes[b * blockBytes] = scale & 0xff;
      bytes[b * blockBytes + 1] = scale >> 8;
    }
    yield bytes.subarray(0, blocks * blockBytes);
  }
}

function* zeros(byteCount: number): Generator<Uint8Array> {
  const chunk = new Uint8Array(Math.min(byteCount, 4 << 20));
  for (let left = byteCount; left > 0; left -= chunk.length) yield chunk.subarray(0, Math.min(left, chunk.length));
}

/** Entry (i, j) of the Sylvester Hadamard matrix: rows are exactly orthogonal ±1 vectors. */
function hadamard(i: number, j: number): number {
  let x = i & j;
  let parity = 0;
  while (x !== 0) {
    parity ^= x & 1;
    x >>>= 1;
  }
  return parity === 0 ? 1 : -1;
}

/**
 * The copy model's embedding and output matrices ([n_embd, n_vocab] F16, one row per token).
 * Every block's output projections are zero, so the last hidden state is the normalised embedding
 * of the current token. Token `t` of the alphabet embeds as Hadamard row `k + 1` (k its alphabet
 * index), every other token as row 0; the output row of token `u` is the sum of the embedding rows
 * of the tokens whose successor is `u`, scaled by 1/32. The logit of the successor is then
 * n_embd/32 and every other logit exactly 0: greedy decoding follows the chain with a wide margin.
 */
function copyMatrices(shape: ModelShape, seed: number): { embedding: Uint16Array; output: Uint16Array } {
  const n = shape.embeddingLength;
  const vocabulary = shape.vocabularySize;
  const chain = copyChain(seed);
  const tokenOfChar = (c: string): number => FIRST_CHAR_ID + CHAR_PIECES.indexOf(c);
  const rowOfToken = new Array<number>(vocabulary).fill(0);
  for (const [k, c] of [...COPY_ALPHABET].entries()) rowOfToken[tokenOfChar(c)] = k + 1;
  const embedding = new Uint16Array(n * vocabulary);
  const output = new Float32Array(n * vocabulary);
  // Many tokens share row 0; each output row adds each embedding row once, so its scale stays small.
  const added = new Set<string>();
  for (let t = 0; t < vocabulary; t++) {
    const row = rowOfToken[t]!;
    for (let j = 0; j < n; j++) embedding[t * n + j] = toFloat16Bits(hadamard(row, j));
    const text = t >= FIRST_CHAR_ID ? CHAR_PIECES[t - FIRST_CHAR_ID]! : "";
    const successor = tokenOfChar(chain.next(text));
    if (added.has(`${successor}:${row}`)) continue;
    added.add(`${successor}:${row}`);
    for (let j = 0; j < n; j++) output[successor * n + j]! += hadamard(row, j) / 32;
  }
  return { embedding, output: Uint16Array.from(output, toFloat16Bits) };
}

function tensorList(shape: ModelShape, seed: number): GgufTensorSource[] {
  const n = shape.embeddingLength;
  const headDim = n / shape.headCount;
  const kvWidth = headDim * shape.headCountKv;
  const copy = shape.weights === "copy" ? copyMatrices(shape, seed) : undefined;
  let index = 0;
  const weights = (name: string, type: GgmlTypeName, dims: number[]): GgufTensorSource => {
    const rng = new SeededRandom((Math.imul(seed, 0x9e3779b1) ^ index++) >>> 0);
    const elements = dims.reduce((a, b) => a * b, 1);
    return {
      name,
      type,
      dims,
      data: () => {
        if (shape.weights === "copy") return zeros((elements / GGML_BLOCKS[type].elements) * GGML_BLOCKS[type].bytes);
        if (type === "Q4_0" || type === "Q8_0") return randomQuantBlocks(type, elements, rng);
        if (type === "F16" || type === "F32") return randomFloats(type, elements, rng);
        throw new TypeError(`the generator cannot make random ${type} weights`);
      },
    };
  };
  const norm = (name: string): GgufTensorSource => ({ name, type: "F32", dims: [n], data: () => ones(n) });
  const fixed = (name: string, values: Uint16Array): GgufTensorSource => ({
    name,
    type: "F16",
    dims: [n, shape.vocabularySize],
    data: () => [new Uint8Array(values.buffer)],
  });

  const tensors: GgufTensorSource[] = [
    copy
      ? fixed("token_embd.weight", copy.embedding)
      : weights("token_embd.weight", shape.embeddingType, [n, shape.vocabularySize]),
  ];
  for (let b = 0; b < shape.blockCount; b++) {
    const m = shape.matrixType;
    tensors.push(
      norm(`blk.${b}.attn_norm.weight`),
      weights(`blk.${b}.attn_q.weight`, m, [n, n]),
      weights(`blk.${b}.attn_k.weight`, m, [n, kvWidth]),
      weights(`blk.${b}.attn_v.weight`, m, [n, kvWidth]),
      weights(`blk.${b}.attn_output.weight`, m, [n, n]),
      norm(`blk.${b}.ffn_norm.weight`),
      weights(`blk.${b}.ffn_gate.weight`, m, [n, shape.feedForwardLength]),
      weights(`blk.${b}.ffn_up.weight`, m, [n, shape.feedForwardLength]),
      weights(`blk.${b}.ffn_down.weight`, m, [shape.feedForwardLength, n]),
    );
  }
  tensors.push(
    norm("output_norm.weight"),
    copy
      ? fixed("output.weight", copy.output)
      : weights("output.weight", shape.embeddingType, [n, shape.vocabularySize]),
  );
  return tensors;
}

function metadataFor(shape: ModelShape, seed: number): GgufMetadata {
  const vocabulary = buildVocabulary({ size: shape.vocabularySize, merges: shape.merges });
  if (vocabulary.tokens.length !== shape.vocabularySize)
    throw new Error(`the ${shape.shape} vocabulary came out at ${vocabulary.tokens.length} tokens`);
  const s = SPECIAL_TOKENS;
  const entries: [string, ReturnType<typeof gguf.u32>][] = [
    ["general.architecture", gguf.string("llama")],
    ["general.type", gguf.string("model")],
    ["general.name", gguf.string(`Bora test model (${shape.shape}, seed ${seed})`)],
    [
      "general.description",
      gguf.string(`Generated by Bora for tests and benchmarks; random weights. ${shape.description}`),
    ],
    ["general.file_type", gguf.u32(shape.fileType)],
    ["general.quantization_version", gguf.u32(2)],
    ["general.alignment", gguf.u32(32)],
    ["llama.vocab_size", gguf.u32(shape.vocabularySize)],
    ["llama.context_length", gguf.u32(shape.contextLength)],
    ["llama.embedding_length", gguf.u32(shape.embeddingLength)],
    ["llama.block_count", gguf.u32(shape.blockCount)],
    ["llama.feed_forward_length", gguf.u32(shape.feedForwardLength)],
    ["llama.attention.head_count", gguf.u32(shape.headCount)],
    ["llama.attention.head_count_kv", gguf.u32(shape.headCountKv)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(1e-5)],
    ["llama.rope.dimension_count", gguf.u32(shape.embeddingLength / shape.headCount)],
    ["llama.rope.freq_base", gguf.f32(10000)],
    ["tokenizer.ggml.model", gguf.string("llama")],
    ["tokenizer.ggml.tokens", gguf.array("string", vocabulary.tokens)],
    ["tokenizer.ggml.scores", gguf.array("f32", vocabulary.scores)],
    ["tokenizer.ggml.token_type", gguf.array("i32", vocabulary.types)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(s.bos.id)],
    ["tokenizer.ggml.eos_token_id", gguf.u32(s.eos.id)],
    ["tokenizer.ggml.eot_token_id", gguf.u32(s.imEnd.id)],
    ["tokenizer.ggml.unknown_token_id", gguf.u32(s.unknown.id)],
    ["tokenizer.ggml.padding_token_id", gguf.u32(s.fimPad.id)],
    ["tokenizer.ggml.fim_pre_token_id", gguf.u32(s.fimPrefix.id)],
    ["tokenizer.ggml.fim_suf_token_id", gguf.u32(s.fimSuffix.id)],
    ["tokenizer.ggml.fim_mid_token_id", gguf.u32(s.fimMiddle.id)],
    ["tokenizer.ggml.fim_pad_token_id", gguf.u32(s.fimPad.id)],
    ["tokenizer.ggml.add_bos_token", gguf.bool(true)],
    ["tokenizer.ggml.add_eos_token", gguf.bool(false)],
    // Without this, llama.cpp puts a "▁" after every special token (`<|im_start|> user`).
    ["tokenizer.ggml.add_space_prefix", gguf.bool(false)],
    ["tokenizer.chat_template", gguf.string(CHATML_TEMPLATE)],
    ["bora.generator.version", gguf.u32(TEST_MODEL_GENERATOR_VERSION)],
    ["bora.generator.shape", gguf.string(shape.shape)],
    ["bora.generator.seed", gguf.u32(seed)],
  ];
  if (shape.weights === "copy") {
    const chain = copyChain(seed);
    entries.push(["bora.copy.order", gguf.string(chain.order)], ["bora.copy.start", gguf.string(chain.start)]);
  }
  return new Map(entries);
}

/** Writes a generated model to `options.out`: a temporary file first, renamed when complete. */
export async function generateModel(options: GenerateModelOptions): Promise<GeneratedModel> {
  const shape = MODEL_SHAPES[options.shape];
  if (shape === undefined) throw new TypeError(`unknown model shape '${String(options.shape)}'`);
  const seed = options.seed ?? DEFAULT_MODEL_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new RangeError(`the seed must be an integer from 0 to 4294967295, got ${seed}`);
  const tensors = tensorList(shape, seed);
  const metadata = metadataFor(shape, seed);
  await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
  const temporary = `${options.out}.${process.pid}-${randomBytes(4).toString("hex")}.partial`;
  try {
    const { bytes } = await writeGguf(temporary, metadata, tensors, {
      onProgress: options.onProgress,
      signal: options.signal,
    });
    await rename(temporary, options.out);
    const parameters = tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
    return { path: options.out, shape: options.shape, seed, bytes, parameters };
  } finally {
    await rm(temporary, { force: true });
  }
}
