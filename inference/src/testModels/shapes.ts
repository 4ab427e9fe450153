/**
 * The shapes of the models the project generates. Decode and prefill speed depend on these shapes
 * and the quantization, not on the weight values, so the big shapes stand in for real models in
 * benchmarks.
 */
import type { GgmlTypeName } from "../gguf/types.js";

export type TestModelShape = "tiny" | "0.5b" | "0.5b-code" | "1b" | "copy" | "0.5b-copy";

export const TEST_MODEL_SHAPES: readonly TestModelShape[] = ["tiny", "0.5b", "0.5b-code", "1b", "copy", "0.5b-copy"];

export interface ModelShape {
  shape: TestModelShape;
  /** What it is for, shown by `bora models generate --help`. */
  description: string;
  vocabularySize: number;
  /** Whether the vocabulary has multi-character pieces; the copy models need one token per character. */
  merges: boolean;
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  feedForwardLength: number;
  contextLength: number;
  /** Type of the attention and feed-forward matrices. */
  matrixType: GgmlTypeName;
  /** Type of `token_embd` and `output`. */
  embeddingType: GgmlTypeName;
  /** llama.cpp's `general.file_type` (LLAMA_FTYPE_*) for this mix of types. */
  fileType: number;
  weights: "randomFloat" | "randomQuant" | "copy" | "codeLine";
}

/** The 0.5B dimensions and types, shared by the shapes that must cost what a 0.5B model costs. */
const SHAPE_05B = {
  vocabularySize: 32000,
  merges: true,
  embeddingLength: 1024,
  blockCount: 24,
  headCount: 16,
  headCountKv: 4,
  feedForwardLength: 4096,
  contextLength: 4096,
  matrixType: "Q4_0",
  embeddingType: "Q4_0",
  fileType: 2,
} as const;

export const MODEL_SHAPES: Record<TestModelShape, ModelShape> = {
  tiny: {
    shape: "tiny",
    description: "0.6M parameters, F16, 1.1 MiB: loads and generates in milliseconds, for tests",
    vocabularySize: 768,
    merges: true,
    embeddingLength: 128,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 384,
    contextLength: 4096,
    matrixType: "F16",
    embeddingType: "F16",
    fileType: 1,
    weights: "randomFloat",
  },
  "0.5b": {
    shape: "0.5b",
    description: "0.43B parameters, 24 layers of 1024, Q4_0, 232 MiB: benchmarks",
    ...SHAPE_05B,
    weights: "randomQuant",
  },
  "0.5b-code": {
    shape: "0.5b-code",
    description: "0.5b's shape and size; greedy output is one line of code, then the end: completion benchmarks",
    ...SHAPE_05B,
    weights: "codeLine",
  },
  "1b": {
    shape: "1b",
    description: "1.1B parameters in TinyLlama shapes, Q4_0, 591 MiB: benchmarks",
    vocabularySize: 32000,
    merges: true,
    embeddingLength: 2048,
    blockCount: 22,
    headCount: 32,
    headCountKv: 4,
    feedForwardLength: 5632,
    contextLength: 4096,
    matrixType: "Q4_0",
    embeddingType: "Q4_0",
    fileType: 2,
    weights: "randomQuant",
  },
  copy: {
    shape: "copy",
    description: "13M parameters, Q8_0, 13.5 MiB; greedy output follows a fixed chain: speculative-decoding benchmarks",
    vocabularySize: 9 + 256 + 97,
    merges: false,
    // A power of two, so that the token directions can be exactly orthogonal Hadamard rows. Small on
    // purpose: CI decodes it on two shared cores. On a CPU its weights stay in the cache, so a batch
    // of tokens costs nearly as much per token as single steps do, unlike a real model's; `0.5b-copy`
    // is the same chain at a 0.5B model's cost.
    embeddingLength: 512,
    blockCount: 4,
    headCount: 8,
    headCountKv: 4,
    feedForwardLength: 1536,
    contextLength: 4096,
    matrixType: "Q8_0",
    embeddingType: "F16",
    fileType: 7,
    weights: "copy",
  },
  "0.5b-copy": {
    shape: "0.5b-copy",
    description:
      "0.5b's shape and size; greedy output follows copy's chain: speculative decoding at a real model's cost",
    ...SHAPE_05B,
    merges: false,
    weights: "copy",
  },
};
