/**
 * The generated models, loaded by the real llama.cpp (node-llama-cpp's prebuilt CPU binary): the
 * tokenizer, the FIM tokens and the chat template of the tiny model, the copy model's chain, and
 * `bora models generate` through the built CLI.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CODE_LINE,
  CODE_LINE_PIECES,
  SPECIAL_TOKENS,
  TEST_MODEL_GENERATOR_VERSION,
  copyChain,
  generateModel,
  metadataValue,
  readGgufHeader,
} from "@bora/inference";
import {
  ChatMLChatWrapper,
  LlamaChatSession,
  LlamaCompletion,
  getLlama,
  resolveChatWrapper,
  type Llama,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { GUARDED_NODE_ARGS, HOST_BUNDLE, REPO_ROOT, runBuiltCli } from "../../support/hostProcess.js";
import { ensureTestModel } from "../../support/testModels.js";

async function sha256(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

describe("generated models in llama.cpp", function () {
  let llama: Llama;
  let tiny: LlamaModel;
  let copy: LlamaModel;

  before(async function () {
    this.timeout(120_000);
    const [tinyPath, copyPath] = await Promise.all([ensureTestModel("tiny"), ensureTestModel("copy")]);
    llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false });
    tiny = await llama.loadModel({ modelPath: tinyPath, gpuLayers: 0 });
    copy = await llama.loadModel({ modelPath: copyPath, gpuLayers: 0 });
  });
  after(async () => {
    await tiny?.dispose();
    await copy?.dispose();
    await llama?.dispose();
  });

  describe("the tiny model", () => {
    it("tokenizes any text, emoji and other scripts included, and detokenizes it back exactly", () => {
      const texts = [
        "function add(a, b) {\n\treturn a + b;\n}\n",
        "héllo 😀 ünïcode ✓",
        "日本語のテキスト 🧑‍💻👍🏽",
        "  leading spaces, trailing space ",
        "\u0000\u007f\u00ff",
      ];
      for (const text of texts) {
        const tokens = tiny.tokenize(text);
        assert.equal(tiny.detokenize(tokens), text, JSON.stringify(text));
      }
      // Merged pieces make code shorter than one token per character.
      const code = "const result = await fetchData(); return result;";
      assert.ok(tiny.tokenize(code).length <= code.length * 0.6, `${tiny.tokenize(code).length} tokens`);
    });

    it("recognises the control tokens as single tokens", () => {
      const text = "<|im_start|>user\nhi<|im_end|>";
      const tokens = tiny.tokenize(text, true);
      assert.equal(tokens[0], SPECIAL_TOKENS.imStart.id);
      assert.equal(tokens.at(-1), SPECIAL_TOKENS.imEnd.id);
      assert.equal(tiny.detokenize(tokens, true), text);
      assert.equal(tiny.tokens.bos, SPECIAL_TOKENS.bos.id);
      assert.equal(tiny.tokens.eos, SPECIAL_TOKENS.eos.id);
      assert.equal(tiny.tokens.eot, SPECIAL_TOKENS.imEnd.id);
    });

    it("has FIM prefix, suffix and middle tokens, so infill is supported", async () => {
      assert.equal(tiny.tokens.infill.prefix, SPECIAL_TOKENS.fimPrefix.id);
      assert.equal(tiny.tokens.infill.suffix, SPECIAL_TOKENS.fimSuffix.id);
      assert.equal(tiny.tokens.infill.middle, SPECIAL_TOKENS.fimMiddle.id);
      const context = await tiny.createContext({ contextSize: 256, threads: 1 });
      try {
        const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
        assert.equal(completion.infillSupported, true);
        const result = await completion.generateInfillCompletionWithMeta("function add(a, b) {\n  return ", ";\n}", {
          maxTokens: 8,
          temperature: 0,
        });
        assert.ok(["maxTokens", "eogToken", "stopGenerationTrigger"].includes(result.metadata.stopReason));
        completion.dispose();
      } finally {
        await context.dispose();
      }
    });

    it("carries a ChatML chat template that node-llama-cpp resolves and chats with", async () => {
      assert.match(tiny.fileInfo.metadata.tokenizer.chat_template ?? "", /<\|im_start\|>/);
      assert.ok(resolveChatWrapper(tiny) instanceof ChatMLChatWrapper);
      const context = await tiny.createContext({ contextSize: 512, threads: 1 });
      try {
        const session = new LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: "Be brief." });
        await session.prompt("Hello", { maxTokens: 8, temperature: 0 });
        await session.prompt("Again", { maxTokens: 8, temperature: 0 });
        const history = session.getChatHistory();
        assert.deepEqual(
          history.map((item) => item.type),
          ["system", "user", "model", "user", "model"],
        );
        session.dispose();
      } finally {
        await context.dispose();
      }
    });
  });

  describe("the copy model", () => {
    const chain = copyChain();

    async function greedy(prompt: Token[], count: number): Promise<string> {
      const context = await copy.createContext({ contextSize: 512, threads: 1 });
      try {
        const out: Token[] = [];
        for await (const token of context.getSequence().evaluate(prompt, { temperature: 0 })) {
          out.push(token);
          if (out.length === count) break;
        }
        return copy.detokenize(out);
      } finally {
        await context.dispose();
      }
    }

    it("tokenizes chain text one token per character", () => {
      const text = chain.text(100);
      assert.equal(copy.tokenize(text).length, 100);
      assert.equal(copy.detokenize(copy.tokenize(text)), text);
    });

    it("continues from a token outside the alphabet with the chain's start, exactly, for two full cycles", async () => {
      const prompt = [copy.tokens.bos!, ...copy.tokenize("Edit this:\n")];
      assert.equal(await greedy(prompt, 124), chain.text(124));
    });

    it("continues from any alphabet character with its successor", async () => {
      for (const last of ["q", "7", chain.start]) {
        const prompt = [copy.tokens.bos!, ...copy.tokenize(`x ${last}`)];
        assert.equal(await greedy(prompt, 20), chain.text(20, chain.next(last)), `after '${last}'`);
      }
    });

    it("follows the chain under the chat template, which is how edit() prompts it", async () => {
      const context = await copy.createContext({ contextSize: 512, threads: 1 });
      try {
        const session = new LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: "Rewrite." });
        assert.equal(await session.prompt("abc", { maxTokens: 40, temperature: 0 }), chain.text(40));
        session.dispose();
      } finally {
        await context.dispose();
      }
    });
  });
});

describe("the constructed models of the 0.5B shape in llama.cpp", function () {
  let llama: Llama;
  let code: LlamaModel;
  let copy: LlamaModel;

  before(async function () {
    this.timeout(120_000);
    const [codePath, copyPath] = [await ensureTestModel("0.5b-code"), await ensureTestModel("0.5b-copy")];
    llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false });
    code = await llama.loadModel({ modelPath: codePath, gpuLayers: 0 });
    copy = await llama.loadModel({ modelPath: copyPath, gpuLayers: 0 });
  });
  after(async () => {
    await code?.dispose();
    await copy?.dispose();
    await llama?.dispose();
  });

  /**
   * `model`'s greedy tokens after `prompt`, up to the first end-of-generation token (`ended`) or
   * `limit` tokens.
   */
  async function greedy(
    model: LlamaModel,
    prompt: Token[],
    limit: number,
  ): Promise<{ text: string; tokens: number; ended: boolean }> {
    const context = await model.createContext({ contextSize: 512, threads: 2 });
    try {
      const out: Token[] = [];
      for await (const token of context.getSequence().evaluate(prompt, { temperature: 0 })) {
        if (model.isEogToken(token)) break;
        out.push(token);
        if (out.length === limit) return { text: model.detokenize(out), tokens: out.length, ended: false };
      }
      // node-llama-cpp ends the evaluation at an end-of-generation token without yielding it.
      return { text: model.detokenize(out), tokens: out.length, ended: true };
    } finally {
      await context.dispose();
    }
  }

  describe("0.5b-code", () => {
    it("writes its line of code after a fill-in-the-middle prompt, token by token, then ends its turn", async () => {
      const prompt = [
        code.tokens.bos!,
        ...code.tokenize("<|fim_prefix|>async function load(key) {\n  <|fim_suffix|>\n}\n<|fim_middle|>", true),
      ];
      assert.deepEqual(await greedy(code, prompt, 40), {
        text: CODE_LINE,
        tokens: CODE_LINE_PIECES.length,
        ended: true,
      });
    });

    it("writes it after a chat prompt too, and finishes it from any of its own pieces", async () => {
      const chat = code.tokenize("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", true);
      assert.equal((await greedy(code, [code.tokens.bos!, ...chat], 40)).text, CODE_LINE);
      const partial = [code.tokens.bos!, ...code.tokenize("x = this.get(")];
      assert.equal((await greedy(code, partial, 40)).text, "key);");
    });
  });

  describe("0.5b-copy", () => {
    it("has a 32,000-token vocabulary that still tokenizes chain text one token per character", async () => {
      const text = copyChain().text(100);
      const header = await readGgufHeader(await ensureTestModel("0.5b-copy"));
      assert.equal(metadataValue(header, "llama.vocab_size"), 32000);
      assert.equal(copy.tokenize(text).length, 100);
      assert.equal(copy.detokenize(copy.tokenize(text)), text);
    });

    it("follows the copy chain from a token outside the alphabet and from inside it", async () => {
      const chain = copyChain();
      for (const [prompt, from] of [
        ["Edit this:\n", chain.start],
        ["x q", chain.next("q")],
      ] as const) {
        const out = await greedy(copy, [copy.tokens.bos!, ...copy.tokenize(prompt)], 30);
        assert.equal(out.text, chain.text(30, from), `after ${JSON.stringify(prompt)}`);
      }
    });
  });
});

describe("bora models generate (built CLI)", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), "bora-models-cli-"))));
  after(async () => rm(dir, { recursive: true, force: true }));

  const bora = (args: string[]) => runBuiltCli(args);

  it("writes the same copy model as the test cache, with progress on stderr", async () => {
    const result = await bora(["models", "generate", "--shape", "copy", "--out", path.join(dir, "out/copy.gguf")]);
    assert.equal(result.code, 0, result.stderr);
    const file = path.join(dir, "out/copy.gguf");
    assert.equal(result.stdout.split("\n")[0], file);
    assert.match(result.stdout, /shape copy, seed 1, 12,958,208 parameters, 13\.5 MiB/);
    assert.match(result.stderr, /generating copy: [1-9]0% \(\d+\.\d MiB of 13\.5 MiB\)/);
    assert.match(result.stderr, /generating copy: 100% \(13\.5 MiB of 13\.5 MiB\)/);
    assert.equal(await sha256(file), await sha256(await ensureTestModel("copy")));
  });

  it("exits 2 on bad input, saying why, and writes nothing", async () => {
    const out = path.join(dir, "x.gguf");
    const result = await bora(["models", "generate", "--shape", "7b", "--out", out]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown shape '7b': choose one of tiny, 0\.5b, 0\.5b-code, 1b, copy, 0\.5b-copy/);
    assert.equal(existsSync(out), false);
  });

  it("needs no node-llama-cpp: the bundle loads it only through a dynamic import", async () => {
    // A static import would load the native addon for every `bora` command, generate included.
    const bundle = await readFile(HOST_BUNDLE, "utf8");
    assert.doesNotMatch(bundle, /^\s*import\s[^;]*?from\s*["']node-llama-cpp["']/m);
    assert.doesNotMatch(bundle, /^\s*import\s*["']node-llama-cpp["']/m);
  });

  it("lists the subcommands and the shapes in its help", async () => {
    const help = await bora(["models", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /generate\s+Write a generated test model/);
    assert.match(help.stdout, /copy\s+13M parameters/);
  });
});

describe("ensureTestModel across processes", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), "bora-model-cache-"))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** Runs `ensureTestModel("copy")` in a fresh Node process whose cache is `dir`; resolves with what it printed. */
  function ensureInChild(): Promise<string> {
    const support = path.join(REPO_ROOT, "test/support/testModels.ts");
    const code = `const { ensureTestModel } = await import(${JSON.stringify(support)}); console.log(await ensureTestModel("copy"));`;
    const child = spawn(process.execPath, [...GUARDED_NODE_ARGS, "--input-type=module", "-e", code], {
      cwd: REPO_ROOT,
      env: { ...process.env, BORA_TEST_MODEL_DIR: dir },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) =>
      child.once("exit", (exitCode) => (exitCode === 0 ? resolve(stdout.trim()) : reject(new Error(stderr)))),
    );
  }

  it("two processes generating at once both get the complete model, and no temporary file is left", async () => {
    const [a, b] = await Promise.all([ensureInChild(), ensureInChild()]);
    const expected = path.join(dir, `copy-s1-g${TEST_MODEL_GENERATOR_VERSION}.gguf`);
    assert.equal(a, expected);
    assert.equal(b, expected);
    const reference = await generateModel({ shape: "copy", out: path.join(dir, "reference.gguf") });
    assert.equal(await sha256(expected), await sha256(reference.path));
    assert.deepEqual((await readdir(dir)).sort(), [path.basename(expected), "reference.gguf"].sort());
  });

  it("regenerates a damaged file and removes the files of older generator versions", async () => {
    const current = path.join(dir, `copy-s1-g${TEST_MODEL_GENERATOR_VERSION}.gguf`);
    const old = path.join(dir, "copy-s1-g0.gguf");
    await generateModel({ shape: "copy", out: current });
    const intact = await sha256(current);
    await truncate(current, 5000);
    await writeFile(old, "an old model");
    assert.equal(await ensureInChild(), current);
    assert.equal(await sha256(current), intact);
    assert.deepEqual(await readdir(dir), [path.basename(current)]);
  });
});
