/**
 * The speculative edit's batch verification on the real engine: with the pinned node-llama-cpp it
 * takes the fast path through the library's internals (see `draftVerifier.ts`), and that path
 * gives the model's greedy token at every verified position, the same as the public
 * `controlledEvaluate()`, also while another sequence of the same context decodes at the same time
 * (its batches must not overwrite the logits before every position was sampled).
 */
import assert from "node:assert/strict";
import { getLlama, type Llama, type LlamaContext, type LlamaModel, type Token } from "node-llama-cpp";
import { copyChain } from "@bora/inference";
import { draftVerifier } from "../../../inference/src/local/draftVerifier.js";
import { ensureTestModel } from "../../support/testModels.js";

describe("speculative draft verification (copy model, real llama.cpp)", function () {
  this.timeout(120_000);
  let llama: Llama;
  let model: LlamaModel;
  let context: LlamaContext;
  const chain = copyChain();

  before(async () => {
    const copyPath = await ensureTestModel("copy");
    llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false });
    model = await llama.loadModel({ modelPath: copyPath, gpuLayers: 0 });
    // Small batches: another sequence's long prompt then runs over several batches back to back,
    // the next one decoded as soon as the last returns, unless something holds the queue.
    context = await model.createContext({ contextSize: 1024, sequences: 2, threads: 1, batchSize: 16 });
  });

  after(async () => {
    await context?.dispose();
    await model?.dispose();
    await llama?.dispose();
  });

  const tokens = (text: string): number[] => model.tokenize(text, false);
  /** The copy model's greedy token after each character of `text`. */
  const successors = (text: string): number[] => tokens([...text].map((c) => chain.next(c)).join(""));

  it("takes the fast path with the pinned node-llama-cpp, and gives the same tokens as controlledEvaluate", async () => {
    const sequence = context.getSequence();
    try {
      const fast = draftVerifier(sequence);
      const publicPath = draftVerifier(sequence, false);
      assert.equal(fast.usesInternals, true, "node-llama-cpp's internals changed: the fast path fell back");
      assert.equal(publicPath.usesInternals, false);
      const prefix = chain.text(20);
      // Wrong guesses on purpose (every third character off the chain): the model's own tokens show.
      const draft = [...chain.text(33, chain.next(prefix.at(-1)!))].map((c, i) => (i % 3 === 2 ? "x" : c)).join("");
      const results: (number | null)[][] = [];
      for (const verifier of [fast, publicPath]) {
        await sequence.clearHistory();
        results.push(await verifier.verify(tokens(prefix), tokens(draft)));
        assert.equal(sequence.nextTokenIndex, prefix.length + draft.length, "the KV cache holds context and draft");
      }
      assert.deepEqual(results[0], successors(draft));
      assert.deepEqual(results[0], results[1]);
      fast.dispose();
      publicPath.dispose();
    } finally {
      await sequence.dispose();
    }
  });

  it("samples every position of its batches before another sequence's batch overwrites the logits", async () => {
    const verifying = context.getSequence();
    const decoding = context.getSequence();
    try {
      const verifier = draftVerifier(verifying);
      for (let round = 0; round < 20; round++) {
        await verifying.clearHistory();
        await decoding.clearHistory();
        const start = chain.order[round % chain.order.length]!;
        const draft = chain.text(33, start);
        // The other sequence evaluates a long prompt meanwhile: its batches follow this one's at once.
        const other = decoding.evaluateWithoutGeneratingNewTokens(tokens(chain.text(400, start)) as Token[]);
        const verified = await verifier.verify(tokens(chain.text(3)), tokens(draft));
        await other;
        assert.deepEqual(verified, successors(draft), `round ${round}`);
      }
      verifier.dispose();
    } finally {
      await verifying.dispose();
      await decoding.dispose();
    }
  });
});
