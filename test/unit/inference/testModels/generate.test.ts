import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, readdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CHAR_PIECES,
  CODE_LINE,
  CODE_LINE_PIECES,
  COPY_ALPHABET,
  MODEL_SHAPES,
  SPECIAL_TOKENS,
  TEST_MODEL_GENERATOR_VERSION,
  buildVocabulary,
  copyChain,
  corruptChain,
  corruptionPositions,
  generateModel,
  metadataValue,
  readGgufHeader,
  toFloat16Bits,
  type ModelShape,
} from "@bora/inference";

async function sha256(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

describe("generated test models", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), "bora-testmodels-"))));
  after(async () => rm(dir, { recursive: true, force: true }));

  describe("fp16 conversion", () => {
    it("matches IEEE half precision, rounding to nearest even", () => {
      const cases: [number, number][] = [
        [0, 0x0000],
        [-0, 0x8000],
        [1, 0x3c00],
        [-2, 0xc000],
        [0.5, 0x3800],
        [65504, 0x7bff],
        [1e6, 0x7c00],
        [-Infinity, 0xfc00],
        [2 ** -24, 0x0001],
        [2 ** -26, 0x0000],
        [1 + 2 ** -11, 0x3c00], // a tie: rounds to the even mantissa
        [1 + 3 * 2 ** -11, 0x3c02],
      ];
      for (const [value, bits] of cases) assert.equal(toFloat16Bits(value), bits, `${value}`);
      assert.equal(toFloat16Bits(NaN) & 0x7c00, 0x7c00);
      assert.notEqual(toFloat16Bits(NaN) & 0x3ff, 0);
    });
  });

  describe("vocabularies", () => {
    for (const size of [768, 32000]) {
      it(`a merged vocabulary of ${size} is exact, unique and prefix-closed (SPM can reach every piece)`, () => {
        const { tokens, types, scores } = buildVocabulary({ size, merges: true });
        assert.equal(tokens.length, size);
        assert.equal(scores.length, size);
        assert.equal(new Set(tokens).size, size);
        const known = new Set(tokens);
        for (const [id, piece] of tokens.entries()) {
          if (types[id] !== 1) continue;
          const chars = [...piece];
          for (let n = 1; n < chars.length; n++)
            assert.ok(known.has(chars.slice(0, n).join("")), `prefix of ${JSON.stringify(piece)}`);
        }
        for (const special of Object.values(SPECIAL_TOKENS)) assert.equal(tokens[special.id], special.text);
        assert.equal(types.filter((t) => t === 6).length, 256, "byte fallback tokens");
        assert.equal(tokens[9 + 0x0a], "<0x0A>");
      });
    }

    it("the copy vocabulary has one token per character and nothing longer", () => {
      const { tokens, types } = buildVocabulary({ size: 9 + 256 + CHAR_PIECES.length, merges: false });
      const normal = tokens.filter((_, id) => types[id] === 1);
      assert.deepEqual(normal, [...CHAR_PIECES]);
      for (const c of COPY_ALPHABET) assert.ok(normal.includes(c));
    });

    it("pads a vocabulary without merges to its size with unused tokens, so a big copy model has a real vocabulary's size", () => {
      const chars = 9 + 256 + CHAR_PIECES.length;
      const { tokens, types } = buildVocabulary({ size: 32000, merges: false });
      assert.equal(tokens.length, 32000);
      assert.deepEqual(tokens.slice(chars, chars + 2), ["<unused0>", "<unused1>"]);
      assert.ok(
        types.slice(chars).every((type) => type === 5),
        "llama.cpp's LLAMA_TOKEN_TYPE_UNUSED",
      );
      assert.deepEqual(buildVocabulary({ size: chars, merges: false }).tokens, tokens.slice(0, chars));
    });

    it("appends user-defined pieces as tokens of their own, and refuses one that exists or is one character", () => {
      const size = 9 + 256 + CHAR_PIECES.length;
      const { tokens, types } = buildVocabulary({ size, merges: false, userDefined: ["<tool_call>", "Sure"] });
      assert.deepEqual(tokens.slice(size), ["<tool_call>", "Sure"]);
      assert.deepEqual(types.slice(size), [4, 4]);
      assert.throws(() => buildVocabulary({ size, merges: false, userDefined: ["<s>"] }), /must be new/);
      assert.throws(() => buildVocabulary({ size, merges: false, userDefined: ["x"] }), /longer than one character/);
    });

    it("gives only the copy shape a fixed reply, recorded in the metadata", async () => {
      await assert.rejects(
        generateModel({ shape: "tiny", out: path.join(dir, "no.gguf"), reply: ["hi"] }),
        /only the copy shape/,
      );
      const out = path.join(dir, "reply.gguf");
      await generateModel({ shape: "copy", out, reply: ["Hello", "World"] });
      const header = await readGgufHeader(out);
      assert.deepEqual(metadataValue(header, "bora.copy.reply"), ["Hello", "World"]);
      assert.equal(metadataValue(header, "llama.vocab_size"), 9 + 256 + CHAR_PIECES.length + 2);
    });
  });

  describe("the code line", () => {
    it("is distinct pieces of the 32,000-token vocabulary, one token each, with no line break", () => {
      const { tokens, types } = buildVocabulary({ size: 32000, merges: true });
      const ids = CODE_LINE_PIECES.map((piece) => tokens.indexOf(piece));
      assert.ok(
        ids.every((id) => id >= 0 && types[id] === 1),
        "each piece is a normal token",
      );
      assert.equal(new Set(ids).size, CODE_LINE_PIECES.length, "what follows a piece is all the model knows");
      assert.equal(CODE_LINE, "const result = await this.get(key);");
    });

    it("is written by a model of the 0.5b shape in every respect but its weights, so it costs the same per token", () => {
      const withoutWeights = (shape: ModelShape): Partial<ModelShape> => {
        const { shape: _name, description: _description, weights: _weights, ...rest } = shape;
        return rest;
      };
      assert.deepEqual(withoutWeights(MODEL_SHAPES["0.5b-code"]), withoutWeights(MODEL_SHAPES["0.5b"]));
      const merged = (shape: ModelShape): Partial<ModelShape> => ({ ...withoutWeights(shape), merges: true });
      assert.deepEqual(
        merged(MODEL_SHAPES["0.5b-copy"]),
        withoutWeights(MODEL_SHAPES["0.5b"]),
        "and 0.5b-copy but for merges",
      );
    });
  });

  describe("the copy chain", () => {
    it("is one cycle through the whole alphabet, fixed by the seed", () => {
      const chain = copyChain(1);
      assert.equal([...chain.order].sort().join(""), [...COPY_ALPHABET].sort().join(""));
      const seen = new Set<string>();
      let c = chain.start;
      for (let i = 0; i < COPY_ALPHABET.length; i++) {
        seen.add(c);
        c = chain.next(c);
      }
      assert.equal(seen.size, COPY_ALPHABET.length);
      assert.equal(c, chain.start);
      assert.equal(copyChain(1).order, chain.order);
      assert.notEqual(copyChain(2).order, chain.order);
      assert.equal(chain.next("\n"), chain.start);
      assert.equal(chain.next(" "), chain.start);
    });

    it("text() follows next(), and corruptChain() differs from it at exactly the chosen positions", () => {
      const chain = copyChain(7);
      const text = chain.text(200, "q");
      assert.equal(text[0], "q");
      for (let i = 1; i < text.length; i++) assert.equal(text[i], chain.next(text[i - 1]!));
      const positions = corruptionPositions(200, 0.8);
      assert.equal(positions.length, 40);
      assert.ok(!positions.includes(0));
      const corrupted = corruptChain(chain, text, positions);
      assert.equal(corrupted.length, text.length);
      const differing = [...text].flatMap((c, i) => (corrupted[i] !== c ? [i] : []));
      assert.deepEqual(differing, positions);
      for (const c of corrupted) assert.ok(COPY_ALPHABET.includes(c));
      assert.deepEqual(corruptionPositions(50, 1), []);
      assert.throws(() => corruptChain(chain, "ab", [5]), /outside the text/);
      assert.throws(() => corruptionPositions(10, 0), /acceptance must be in \(0, 1\]/);
    });
  });

  describe("generateModel", () => {
    it("is deterministic given the seed, and the seed changes the weights", async () => {
      const a = await generateModel({ shape: "tiny", out: path.join(dir, "a.gguf"), seed: 5 });
      const b = await generateModel({ shape: "tiny", out: path.join(dir, "b.gguf"), seed: 5 });
      const c = await generateModel({ shape: "tiny", out: path.join(dir, "c.gguf"), seed: 6 });
      assert.equal(await sha256(a.path), await sha256(b.path));
      assert.notEqual(await sha256(a.path), await sha256(c.path));
      assert.equal(a.parameters, 590464);
    });

    it("writes a tiny Llama model with FIM tokens, a ChatML template and its generator version", async () => {
      const model = await generateModel({ shape: "tiny", out: path.join(dir, "tiny.gguf") });
      const header = await readGgufHeader(model.path);
      assert.equal(header.architecture, "llama");
      assert.equal(header.fileSize, model.bytes);
      const tokens = metadataValue(header, "tokenizer.ggml.tokens") as string[];
      const textOf = (key: string): string | undefined => tokens[metadataValue(header, key) as number];
      assert.equal(textOf("tokenizer.ggml.fim_pre_token_id"), "<|fim_prefix|>");
      assert.equal(textOf("tokenizer.ggml.fim_suf_token_id"), "<|fim_suffix|>");
      assert.equal(textOf("tokenizer.ggml.fim_mid_token_id"), "<|fim_middle|>");
      assert.equal(textOf("tokenizer.ggml.eot_token_id"), "<|im_end|>");
      assert.match(metadataValue(header, "tokenizer.chat_template") as string, /<\|im_start\|>.*add_generation_prompt/);
      assert.equal(metadataValue(header, "bora.generator.version"), TEST_MODEL_GENERATOR_VERSION);
      // Per block: 2 norms + 7 matrices; plus the embedding, the output norm and the output.
      assert.equal(header.tensors.length, 2 * 9 + 3);
      const byName = new Map(header.tensors.map((t) => [t.name, t]));
      assert.deepEqual(byName.get("token_embd.weight")?.dims, [128, 768]);
      assert.deepEqual(byName.get("blk.1.attn_k.weight")?.dims, [128, 64]);
      assert.deepEqual(byName.get("blk.0.ffn_down.weight")?.dims, [384, 128]);
    });

    it("records the copy model's chain in its metadata", async () => {
      const model = await generateModel({ shape: "copy", out: path.join(dir, "copy.gguf"), seed: 3 });
      const header = await readGgufHeader(model.path);
      assert.equal(metadataValue(header, "bora.copy.order"), copyChain(3).order);
      assert.equal(metadataValue(header, "bora.copy.start"), copyChain(3).start);
      await rm(model.path);
    });

    it("leaves nothing behind when aborted, and refuses a bad seed", async () => {
      const controller = new AbortController();
      const out = path.join(dir, "sub", "aborted.gguf");
      const run = generateModel({
        shape: "copy",
        out,
        signal: controller.signal,
        onProgress: () => controller.abort(new Error("enough")),
      });
      await assert.rejects(run, /enough/);
      assert.deepEqual(await readdir(path.dirname(out)), []);
      await assert.rejects(generateModel({ shape: "tiny", out, seed: -1 }), /seed must be an integer/);
    });
  });
});
