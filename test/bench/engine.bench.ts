/**
 * `npm run bench -- engine [--quick]`: the local engine against itself and against raw
 * node-llama-cpp, every figure a ratio of two measurements taken side by side in this run.
 *
 * Models: the generated 0.5B shape (random weights in a real shape; speed does not depend on the
 * weight values), or the tiny one with `--quick`; the copy model for predicted edits, whose greedy
 * output follows a known chain, so the acceptance rate is chosen rather than hoped for.
 */
import {
  LocalEngine,
  collect,
  copyChain,
  corruptChain,
  corruptionPositions,
  type ChatRequest,
  type CopyChain,
} from "@bora/inference";
import type { BenchOptions } from "./index.js";
import { median, pairedRatio, ratio, round } from "./stats.js";
import { StepAligner } from "../../inference/src/local/stepAligner.js";
import { ensureTestModel } from "../support/testModels.js";

/** A text of about `tokens` tokens that shares no prefix with another of a different `tag`. */
function filler(tag: string, words: number): string {
  const vocabulary = ["alpha", "beta", "gamma", "delta", "kappa", "sigma", "omega", "theta"];
  const out = [tag];
  for (let i = 0; i < words; i++) out.push(vocabulary[(i * 7 + tag.length) % vocabulary.length] as string);
  return out.join(" ");
}

/** Words of `filler` that give about `tokens` tokens on this engine's tokenizer. */
async function wordsFor(engine: LocalEngine, tokens: number): Promise<number> {
  const per = (await engine.countTokens(filler("x", 100))) / 100;
  return Math.max(1, Math.round(tokens / per));
}

/** The figures of `predictedEdits`, one per match rate of the prediction (percent). */
const PREDICTED_EDIT_RATES = [100, 80, 50, 20, 0] as const;

/**
 * The copy models the speculative figures run on. `copy` (13M parameters) is the one the goals
 * were set on; on a CPU its weights sit in the cache and each token's compute, not the weights'
 * trip from memory, sets a step's cost, so a batch of 5 tokens costs 3–4 single steps (measured by
 * `verifyCeiling`). `0.5b-copy` follows the same chain at the cost of the 0.5B shape (232 MiB of
 * weights read per step), as the models people run behave: there a batch of 5 costs about 1.4
 * steps. Its figures carry the suffix `OnCopy05b`.
 */
const COPY_MODELS = {
  copy: { suffix: "", tokens: 512, pairs: 9, quickTokens: 256, quickPairs: 3, plainTokens: 512 },
  "0.5b-copy": { suffix: "OnCopy05b", tokens: 256, pairs: 3, quickTokens: 48, quickPairs: 2, plainTokens: 128 },
} as const;
type CopyModel = keyof typeof COPY_MODELS;
const predictedEditName = (rate: number, model: CopyModel = "copy"): string =>
  `predictedEdit${rate}${COPY_MODELS[model].suffix}`;
const verifyCeilingName = (model: CopyModel): string => `verifyCeiling${COPY_MODELS[model].suffix}`;

/**
 * Rounds of `parallel4`, each one request alone and four at once in each alignment mode, the
 * modes in rotating order. A multiple of three, so that each mode runs first, second and third
 * equally often: with five rounds the measured mode ran first twice and the forced unaligned one
 * once, and the first run of a round is the slowest (right after the single request). Eighteen:
 * on the shared 2-vCPU VM one run of four requests moves by ±10–20%, and with nine rounds an A/A
 * check (the forced aligned slot forced unaligned too) read the two identical modes 3–4% apart,
 * more than the 2% that `measuredGain`'s goal allows.
 */
const PARALLEL_ROUNDS = 18;

export async function run(options: BenchOptions): Promise<void> {
  const quick = options.quick;
  const shape = quick ? "tiny" : "0.5b";
  const repeats = quick ? 5 : 3;
  const engineFigures = ["overhead", "parallel4", "prefixReuse", "cancelMs", "interactiveUnderLoad"];
  // The 0.5b model is only prepared (and loaded) when one of its figures is wanted.
  if (engineFigures.some((figure) => options.wants(figure))) {
    options.log(`preparing model (${shape})`);
    const modelPath = await ensureTestModel(shape);
    const engine = await LocalEngine.open({ modelPath, gpu: "auto", sequences: 4, contextSize: 2048 });
    const status = await engine.status();
    const common = { model: shape, threads: status.threads, backend: status.backend };
    options.log(await engine.describe());
    try {
      if (options.wants("overhead")) await overhead(engine, modelPath, options, common, quick ? 256 : 128, 10);
      if (options.wants("parallel4")) await parallel4(engine, modelPath, options, common, quick ? 128 : 32);
      if (options.wants("prefixReuse")) await prefixReuse(engine, options, common, repeats);
      if (options.wants("cancelMs")) await cancelMs(engine, options, common, repeats);
      if (options.wants("interactiveUnderLoad"))
        await interactiveUnderLoad(engine, options, common, quick ? 64 : 24, repeats);
    } finally {
      await engine.dispose();
    }
  }
  for (const model of Object.keys(COPY_MODELS) as CopyModel[]) {
    const sizes = COPY_MODELS[model];
    if (options.wants(verifyCeilingName(model))) {
      options.log(`preparing model (${model})`);
      await verifyCeiling(await ensureTestModel(model), model, options, quick ? 10 : 40);
    }
    const rates = PREDICTED_EDIT_RATES.filter((rate) => options.wants(predictedEditName(rate, model)));
    if (rates.length > 0) {
      options.log(`preparing model (${model})`);
      const [tokens, pairs] = quick ? [sizes.quickTokens, sizes.quickPairs] : [sizes.tokens, sizes.pairs];
      await predictedEdits(await ensureTestModel(model), model, options, rates, tokens, pairs);
    }
  }
  const sizedRates = PREDICTED_EDIT_RATES.filter((rate) => options.wants(predictedEdit05bName(rate)));
  if (sizedRates.length > 0) {
    options.log("preparing model (0.5b)");
    await predictedEditsOn05b(await ensureTestModel("0.5b"), options, sizedRates, quick ? 48 : 128, quick ? 2 : 5);
  }
}

const predictedEdit05bName = (percent: number): string => `predictedEdit${percent}On05b`;

/**
 * `expected` with a run of characters changed in every `SEGMENT_CHARS` (the end of each segment),
 * so that about `percent` of it still matches: the shape of a real edit, where changed spans sit
 * between unchanged ones, rather than single wrong tokens spread evenly.
 */
function corruptSpans(expected: string, percent: number): string {
  const SEGMENT_CHARS = 40;
  if (percent >= 100) return expected;
  if (percent <= 0) return [...expected].reverse().join("");
  const changed = Math.max(1, Math.round(SEGMENT_CHARS * (1 - percent / 100)));
  return [...expected]
    .map((c, i) => (i % SEGMENT_CHARS >= SEGMENT_CHARS - changed ? (c === "x" ? "y" : "x") : c))
    .join("");
}

/**
 * The same ratio on the generated 0.5B shape: a model whose decode step costs tens of
 * milliseconds on this CPU, where verifying a batch is much cheaper per token than decoding it,
 * as with the models people run. Its random weights write gibberish, so the prediction is its own
 * greedy output with spans changed (`corruptSpans`); `acceptedShare` is the share of the output
 * the model confirmed from the prediction, measured.
 */
async function predictedEditsOn05b(
  modelPath: string,
  options: BenchOptions,
  rates: readonly number[],
  tokens: number,
  pairs: number,
): Promise<void> {
  const engine = await LocalEngine.open({ modelPath, gpu: "auto", sequences: 1, contextSize: 2048 });
  try {
    const status = await engine.status();
    const messages: ChatRequest["messages"] = [{ role: "user", content: "Rewrite the function." }];
    const plain = async (): Promise<{ rate: number; text: string }> => {
      const result = await collect(engine.chat({ messages, maxTokens: tokens }));
      return { rate: result.timing.tokensPerSecond, text: result.text };
    };
    const expected = (await plain()).text;
    for (const percent of rates) {
      const prediction = corruptSpans(expected, percent);
      const plainRates: number[] = [];
      const edits: { rate: number; accepted: number; generated: number; same: boolean }[] = [];
      for (let i = 0; i < pairs; i++) {
        plainRates.push((await plain()).rate);
        const result = await collect(engine.edit({ messages, prediction, maxTokens: tokens }));
        edits.push({
          rate: result.timing.tokensPerSecond,
          accepted: result.usage.acceptedPredictionTokens ?? 0,
          generated: result.usage.completionTokens,
          same: result.text === expected,
        });
      }
      const rates = edits.map((e) => e.rate);
      options.report({
        name: predictedEdit05bName(percent),
        value: round(ratio(rates, plainRates)),
        pairedRatio: round(pairedRatio(rates, plainRates)),
        model: "0.5b",
        threads: status.threads,
        backend: status.backend,
        predictionMatchesChars: percent,
        acceptedShare: round(median(edits.map((e) => e.accepted / Math.max(1, e.generated))), 2),
        tokens,
        pairs,
        outputIdentical: edits.every((e) => e.same),
        plainTokS: round(median(plainRates), 1),
        predictedTokS: round(median(rates), 1),
        goal: percent === 100 ? ">= 2" : percent === 80 ? ">= 1.3" : ">= 0.95",
      });
    }
  } finally {
    await engine.dispose();
  }
}

type Common = Record<string, unknown>;

/**
 * Bora's decode rate ÷ node-llama-cpp's own `evaluate()` loop on the same model, tokens and threads.
 *
 * The engine's own cost is under 1% of a token here (its JS work between two decodes: about
 * 0.05–0.1 ms against 12–15 ms of llama_decode), while one stall of the shared VM (single decodes of
 * 50–90 ms were seen) shifts a 48-token run by 5–10%; so the runs are long (128 tokens) and many
 * (10 pairs), or the figure measures the machine, not the engine.
 */
async function overhead(
  engine: LocalEngine,
  modelPath: string,
  options: BenchOptions,
  common: Common,
  tokens: number,
  pairs: number,
): Promise<void> {
  const { getLlama } = await import("node-llama-cpp");
  const status = await engine.status();
  const llama = await getLlama({ gpu: status.backend === "cpu" ? false : "auto", build: "never", skipDownload: true });
  const model = await llama.loadModel({ modelPath });
  // The same context shape as the engine's, so the ratio is the engine's own cost, not a KV-size effect.
  const context = await model.createContext({
    contextSize: status.contextSize,
    sequences: status.sequences,
    threads: status.threads,
  });
  const sequence = context.getSequence();
  const prompt = filler("overhead", 40);
  const promptTokens = [
    ...(model.tokens.bos !== null ? [model.tokens.bos] : []),
    ...model.tokenize(prompt, false, "trimLeadingSpace"),
  ];
  const raw = async (): Promise<number> => {
    await sequence.clearHistory();
    let first = 0;
    let last = 0;
    let n = 0;
    for await (const _token of sequence.evaluate(promptTokens, { temperature: 0 })) {
      last = performance.now();
      if (n === 0) first = last;
      if (++n >= tokens) break;
    }
    return ((n - 1) * 1000) / (last - first);
  };
  const bora = async (): Promise<number> => {
    const result = await collect(engine.complete({ prompt, maxTokens: tokens }));
    return result.timing.tokensPerSecond;
  };
  const raws: number[] = [];
  const boras: number[] = [];
  await raw();
  await bora();
  for (let i = 0; i < pairs; i++) {
    raws.push(await raw());
    boras.push(await bora());
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  options.report({
    name: "overhead",
    value: round(ratio(boras, raws)),
    pairedRatio: round(pairedRatio(boras, raws)),
    ...common,
    boraTokS: round(median(boras), 1),
    rawTokS: round(median(raws), 1),
    runs: raws.length,
    tokens,
    rawContext: `${status.sequences}x${status.contextSize}, as the engine's`,
    goal: ">= 0.97",
  });
}

/**
 * Aggregate tokens per second of 4 concurrent requests ÷ 1 request.
 *
 * What batching can win depends on how compute-bound one decode step is. On the Sapphire Rapids
 * VMs of CI, llama.cpp runs Q4_0/Q8_0 through AMX kernels, which make a 4-token batch cost about 4×
 * a 1-token one, so the figure stays near 1 however full the batches are; `batchWidth` shows that
 * the engine fills them. Where a step is memory- or launch-bound (a GPU, a larger model on a CPU
 * without AMX), full batches are what this figure rewards.
 */
async function parallel4(
  engine: LocalEngine,
  modelPath: string,
  options: BenchOptions,
  common: Common,
  tokens: number,
): Promise<void> {
  const request = (i: number): ChatRequest => ({
    messages: [{ role: "user", content: filler(`parallel ${i}`, 10) }],
    maxTokens: tokens,
  });
  // The figure is end to end, prefill included. `decodeOnly` leaves out the time to the last first
  // token (the prompts share one prefill batch), as a check of what batching does for decoding.
  // `engine` runs the default, measured alignment (see alignmentPolicy.ts); the same engine with
  // the step aligner forced on and forced off is measured in the same rounds, in rotating order:
  // what each fixed mode gets here, and how close the measured choice comes to the better one.
  // One engine for all three: two instances of one model differed by up to 15% on the shared
  // 2-vCPU VM (forced unaligned alone gave 78–92 tok/s across instances), more than the gap measured.
  type Mode = "measured" | "aligned" | "unaligned";
  const inMode = async <T>(mode: Mode, run: () => Promise<T>): Promise<T> => {
    engine.forceAlignment(mode === "measured" ? undefined : mode === "aligned");
    try {
      return await run();
    } finally {
      engine.forceAlignment(undefined);
    }
  };
  const rate = async (count: number, offset: number): Promise<{ all: number; decode: number }> => {
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) => collect(engine.chat(request(offset + i)))),
    );
    const elapsed = performance.now() - started;
    const total = results.reduce((sum, r) => sum + r.usage.completionTokens, 0);
    const prefill = Math.max(...results.map((r) => r.timing.ttftMs));
    return { all: (total * 1000) / elapsed, decode: ((total - count) * 1000) / (elapsed - prefill) };
  };
  // Warm-up, one round each; the measured engine starts choosing here, as it would in the first
  // seconds of a session.
  await rate(1, 100);
  for (const mode of ["measured", "aligned", "unaligned"] as const) await inMode(mode, () => rate(4, 200));
  const one: { all: number; decode: number }[] = [];
  const four: { all: number; decode: number }[] = [];
  const fourAligned: { all: number; decode: number }[] = [];
  const fourUnaligned: { all: number; decode: number }[] = [];
  const modes = [
    { mode: "measured", into: four },
    { mode: "aligned", into: fourAligned },
    { mode: "unaligned", into: fourUnaligned },
  ] as const;
  let groups = 0;
  let steps = 0;
  for (let i = 0; i < PARALLEL_ROUNDS; i++) {
    one.push(await rate(1, i));
    // Rotate the order, so that no mode always runs first (or right after the single request).
    for (let k = 0; k < modes.length; k++) {
      const { mode, into } = modes[(i + k) % modes.length]!;
      const before = (await engine.status()).batching;
      // Prompts of its own: a mode that ran after another on the same prompts found them in the KV
      // cache and skipped the prefill the first one paid (it read 15–25% faster for that alone).
      into.push(await inMode(mode, () => rate(4, 10 + 4 * (modes.length * i + k))));
      const after = (await engine.status()).batching;
      if (mode === "measured") {
        groups += after.groups - before.groups;
        steps += after.steps - before.steps;
      }
    }
  }
  const all = (rates: { all: number }[]): number[] => rates.map((r) => r.all);
  const decode = (rates: { decode: number }[]): number[] => rates.map((r) => r.decode);
  const alignment = (await engine.status()).alignment;
  const ceiling = await rawParallelCeiling(modelPath, await engine.status(), tokens, 5);
  const bestForced = Math.max(median(all(fourAligned)), median(all(fourUnaligned)));
  options.report({
    name: "parallel4",
    value: round(ratio(all(four), all(one))),
    pairedRatio: round(pairedRatio(all(four), all(one))),
    ...common,
    oneTokS: round(median(all(one)), 1),
    // The default engine: alignment as measured.
    fourTokS: round(median(all(four)), 1),
    decodeOnly: round(ratio(decode(four), decode(one))),
    // Decode steps per group the default engine released together (4 = every batch full; see stepAligner.ts).
    batchWidth: round(steps / groups, 2),
    alignedFourTokS: round(median(all(fourAligned)), 1),
    unalignedFourTokS: round(median(all(fourUnaligned)), 1),
    // Forced aligned ÷ forced unaligned: what lining steps up is worth on this machine.
    alignedGain: round(ratio(all(fourAligned), all(fourUnaligned))),
    // Measured ÷ the better forced mode: how close the measured choice comes (goal >= 0.98).
    measuredGain: round(median(all(four)) / bestForced),
    // The same, round by round against the better mode's run in that round. (Not against the
    // faster of the two runs of each round: the larger of two noisy figures is biased upwards,
    // which made this figure read 5% low when both modes were measured equally.)
    measuredPairedGain: round(
      pairedRatio(
        all(four),
        median(all(fourAligned)) > median(all(fourUnaligned)) ? all(fourAligned) : all(fourUnaligned),
      ),
    ),
    // What the measured engine chose at four sequences, and its windows, explorations and switches.
    measuredAligning: alignment.aligning,
    ...alignment.decisions,
    // node-llama-cpp alone, 4 evaluate() loops kept in step ÷ 1 loop, decode only: the most any
    // engine on it gets from batching on this machine.
    rawDecodeCeiling: round(ceiling),
    tokens,
    goal: ">= 1.2; measuredGain >= 0.98",
  });
}

/**
 * Decode tok/s of 4 raw node-llama-cpp `evaluate()` loops whose steps are kept in line (so every
 * batch is 4 wide) ÷ 1 loop, median of `pairs` alternated runs.
 */
async function rawParallelCeiling(
  modelPath: string,
  status: { backend: string; contextSize: number; sequences: number; threads: number },
  tokens: number,
  pairs: number,
): Promise<number> {
  const { getLlama } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: status.backend === "cpu" ? false : "auto", build: "never", skipDownload: true });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({
    contextSize: status.contextSize,
    sequences: status.sequences,
    threads: status.threads,
  });
  const sequences = Array.from({ length: Math.min(4, status.sequences) }, () => context.getSequence());
  const loop = async (index: number, aligner: StepAligner): Promise<{ n: number; first: number; last: number }> => {
    const sequence = sequences[index]!;
    await sequence.clearHistory();
    const prompt = [
      ...(model.tokens.bos !== null ? [model.tokens.bos] : []),
      ...model.tokenize(filler(`raw ${index} ${Math.random()}`, 10), false, "trimLeadingSpace"),
    ];
    const member = aligner.join();
    const iterator = sequence.evaluate(prompt, { temperature: 0 });
    let n = 0;
    let first = 0;
    let last = 0;
    try {
      while (n < tokens) {
        await member.ready();
        const next = await iterator.next();
        member.stepped();
        if (next.done === true) break;
        last = performance.now();
        if (n++ === 0) first = last;
      }
    } finally {
      member.leave();
      await iterator.return();
    }
    return { n, first, last };
  };
  const decodeRate = async (count: number): Promise<number> => {
    // Always aligned: this is the ceiling of full batches, whatever the engine would choose.
    const aligner = new StepAligner(undefined, true);
    const runs = await Promise.all(Array.from({ length: count }, (_, i) => loop(i, aligner)));
    const start = Math.max(...runs.map((r) => r.first));
    const end = Math.max(...runs.map((r) => r.last));
    const decoded = runs.reduce((sum, r) => sum + r.n - 1, 0);
    return (decoded * 1000) / (end - start);
  };
  try {
    await decodeRate(1);
    const one: number[] = [];
    const four: number[] = [];
    for (let i = 0; i < pairs; i++) {
      one.push(await decodeRate(1));
      four.push(await decodeRate(sequences.length));
    }
    return ratio(four, one);
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

/** TTFT with nothing cached ÷ TTFT with a shared 1000-token prefix already in a sequence. */
async function prefixReuse(engine: LocalEngine, options: BenchOptions, common: Common, repeats: number): Promise<void> {
  const words = await wordsFor(engine, 1000);
  const ask = (prefix: string, question: string): ChatRequest => ({
    messages: [
      { role: "system", content: prefix },
      { role: "user", content: question },
    ],
    maxTokens: 1,
  });
  const fresh: number[] = [];
  const cached: number[] = [];
  let prefixTokens = 0;
  for (let i = 0; i < repeats; i++) {
    const prefix = filler(`prefix-${i}`, words);
    prefixTokens = await engine.countTokens(prefix);
    const cold = await collect(engine.chat(ask(prefix, `first question ${i}`)));
    const warm = await collect(engine.chat(ask(prefix, `second question ${i}`)));
    fresh.push(cold.timing.ttftMs);
    cached.push(warm.timing.ttftMs);
  }
  options.report({
    name: "prefixReuse",
    value: round(ratio(fresh, cached), 1),
    pairedRatio: round(pairedRatio(fresh, cached), 1),
    ...common,
    prefixTokens,
    freshTtftMs: round(median(fresh), 1),
    cachedTtftMs: round(median(cached), 1),
    goal: ">= 20",
  });
}

/** Milliseconds from `abort()` to the settled stream, aborting a third of the way into a 1000-token prefill. */
async function cancelMs(engine: LocalEngine, options: BenchOptions, common: Common, repeats: number): Promise<void> {
  const words = await wordsFor(engine, 1000);
  // How long the whole prefill takes, so the abort lands inside it.
  const probe = await collect(
    engine.chat({ messages: [{ role: "user", content: filler("probe", words) }], maxTokens: 1 }),
  );
  const prefillMs = probe.timing.ttftMs;
  const settled: number[] = [];
  const freed: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const controller = new AbortController();
    const pending = collect(
      engine.chat({
        messages: [{ role: "user", content: filler(`cancel-${i}`, words) }],
        maxTokens: 8,
        signal: controller.signal,
      }),
    );
    await new Promise((r) => setTimeout(r, prefillMs / 3));
    const abortedAt = performance.now();
    controller.abort();
    const result = await pending;
    settled.push(performance.now() - abortedAt);
    if (result.finishReason !== "aborted" || result.usage.completionTokens > 0) {
      options.log(`cancel run ${i} finished before the abort (prefill too fast to hit)`);
    }
    while ((await engine.status()).running > 0) await new Promise((r) => setTimeout(r, 1));
    freed.push(performance.now() - abortedAt);
  }
  options.report({
    name: "cancelMs",
    value: round(median(settled), 1),
    ...common,
    prefillMs: round(prefillMs, 1),
    sequenceFreedMs: round(median(freed), 1),
    goal: "<= 300",
  });
}

/** TTFT of an interactive request while 3 background generations run ÷ the same on an idle engine. */
async function interactiveUnderLoad(
  engine: LocalEngine,
  options: BenchOptions,
  common: Common,
  backgroundTokens: number,
  repeats: number,
): Promise<void> {
  const words = await wordsFor(engine, 200);
  const interactive = (tag: string): ChatRequest => ({
    messages: [{ role: "user", content: filler(tag, words) }],
    maxTokens: 1,
    priority: "interactive",
  });
  const idle: number[] = [];
  const loaded: number[] = [];
  for (let i = 0; i < repeats; i++) {
    idle.push((await collect(engine.chat(interactive(`idle-${i}`)))).timing.ttftMs);
    const controller = new AbortController();
    let generating = 0;
    let allGenerating!: () => void;
    const started = new Promise<void>((resolve) => (allGenerating = resolve));
    const background = Array.from({ length: 3 }, async (_, j) => {
      let first = true;
      for await (const event of engine.chat({
        messages: [{ role: "user", content: filler(`background-${i}-${j}`, 10) }],
        maxTokens: backgroundTokens * 100,
        priority: "background",
        signal: controller.signal,
      })) {
        if (event.type === "text" && first) {
          first = false;
          if (++generating === 3) allGenerating();
        }
      }
    });
    await started;
    loaded.push((await collect(engine.chat(interactive(`loaded-${i}`)))).timing.ttftMs);
    controller.abort();
    await Promise.all(background);
  }
  options.report({
    name: "interactiveUnderLoad",
    value: round(ratio(loaded, idle)),
    pairedRatio: round(pairedRatio(loaded, idle)),
    ...common,
    idleTtftMs: round(median(idle), 1),
    loadedTtftMs: round(median(loaded), 1),
    promptTokens: await engine.countTokens(filler("x", words)),
    goal: "<= 1.5",
  });
}

/** Sizes of the verifying steps `verifyCeiling` times: a plain step, the 80% case's batch, the 95% case's. */
const VERIFY_SIZES = [1, 5, 20] as const;

/**
 * What speculative decoding can reach at best on this machine with the copy model: tokens per
 * millisecond of one verifying step of k tokens, every draft token accepted and no engine work
 * around it, ÷ plain decoding's. With evenly spread errors, a fifth of them wrong (`predictedEdit80`)
 * a step verifies at most 4 drafted tokens plus the input (k = 5); one in twenty wrong
 * (`inlineEditPredicted`) allows k = 20. The verifying step is node-llama-cpp's own
 * `controlledEvaluate()` with every position sampled greedily, as the engine's verifier does; the
 * plain step is the engine's plain decode rate. Where this ceiling is below a goal, no draft policy
 * reaches the goal here. `evalOnly5Ms` and `evalOnly1Ms` time the same batches without logits
 * (`evaluateWithoutGeneratingNewTokens`): what the batch costs before node-llama-cpp samples its
 * positions, one asynchronous native call each.
 */
async function verifyCeiling(
  copyPath: string,
  copyModel: CopyModel,
  options: BenchOptions,
  rounds: number,
): Promise<void> {
  const engine = await LocalEngine.open({ modelPath: copyPath, gpu: "auto", sequences: 1, contextSize: 2048 });
  const status = await engine.status();
  const messages: ChatRequest["messages"] = [{ role: "user", content: "copy" }];
  const plainMs: number[] = [];
  for (let i = 0; i < 5; i++)
    plainMs.push(
      1000 /
        (await collect(engine.chat({ messages, maxTokens: COPY_MODELS[copyModel].plainTokens }))).timing
          .tokensPerSecond,
    );
  await engine.dispose();

  const { getLlama } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: status.backend === "cpu" ? false : "auto", build: "never", skipDownload: true });
  const model = await llama.loadModel({ modelPath: copyPath });
  const context = await model.createContext({ contextSize: 2048, threads: status.threads, sequences: 1 });
  try {
    const sequence = context.getSequence();
    const chain = [...model.tokenize(copyChain().text(64))];
    await sequence.evaluateWithoutGeneratingNewTokens(chain.slice(0, 16));
    const greedy = { token: true, options: { temperature: 0 } } as const;
    const stepMs = new Map<number, number[]>(VERIFY_SIZES.map((k) => [k, []]));
    const evalOnlyMs = new Map<number, number[]>([
      [1, []],
      [5, []],
    ]);
    for (let r = 0; r < rounds; r++) {
      for (const k of VERIFY_SIZES) {
        const tokens = chain.slice(16 + (r % 8), 16 + (r % 8) + k);
        const input = tokens.map((token) => [token, { generateNext: greedy }]);
        let started = performance.now();
        await sequence.controlledEvaluate(input as unknown as Parameters<typeof sequence.controlledEvaluate>[0]);
        stepMs.get(k)!.push(performance.now() - started);
        await sequence.eraseContextTokenRanges([{ start: sequence.nextTokenIndex - k, end: sequence.nextTokenIndex }]);
        const evalOnly = evalOnlyMs.get(k);
        if (evalOnly === undefined) continue;
        started = performance.now();
        await sequence.evaluateWithoutGeneratingNewTokens(tokens);
        evalOnly.push(performance.now() - started);
        await sequence.eraseContextTokenRanges([{ start: sequence.nextTokenIndex - k, end: sequence.nextTokenIndex }]);
      }
    }
    const plain = median(plainMs);
    const ms = (k: number): number => median(stepMs.get(k)!);
    options.report({
      name: verifyCeilingName(copyModel),
      value: round((5 * plain) / ms(5)),
      model: copyModel,
      threads: status.threads,
      backend: status.backend,
      note: "best tok/s ratio of speculative over plain decoding with a draft of 4 always accepted (predictedEdit80's evenly spread errors allow no more); ceiling20 is the same with 19 (inlineEditPredicted's 95%)",
      ceiling20: round((20 * plain) / ms(20)),
      plainStepMs: round(plain, 2),
      verify1Ms: round(ms(1), 2),
      verify5Ms: round(ms(5), 2),
      verify20Ms: round(ms(20), 2),
      evalOnly1Ms: round(median(evalOnlyMs.get(1)!), 2),
      evalOnly5Ms: round(median(evalOnlyMs.get(5)!), 2),
      rounds,
    });
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

/**
 * A prediction of `expected` that matches the copy model's output at about `percent` % of its
 * positions. Below 100 % the chain is corrupted at evenly spread positions; at 0 % it is the
 * output reversed, so that neither a token at its position nor any n-gram of the output occurs in
 * it (corrupting every position would not do: `corruptChain` writes the chain shifted by two, which
 * an n-gram lookup rightly finds).
 */
function predictionFor(chain: CopyChain, expected: string, percent: number): string {
  if (percent >= 100) return expected;
  if (percent <= 0) return [...expected].reverse().join("");
  return corruptChain(chain, expected, corruptionPositions(expected.length, percent / 100));
}

/**
 * Edit tok/s with the prediction ÷ without, on the copy model, at each match rate of the
 * prediction in `rates` (percent). The speculative path must never lose to plain decoding: a
 * prediction that is mostly wrong should cost next to nothing. Nine pairs (three with `--quick`): on
 * the shared 2-vCPU machine one run of 512 tokens (about half a second) moves by 10–30% with the
 * load, while the figures that matter sit within 5–30% of 1.
 */
async function predictedEdits(
  copyPath: string,
  copyModel: CopyModel,
  options: BenchOptions,
  rates: readonly number[],
  tokens: number,
  pairs: number,
): Promise<void> {
  const engine = await LocalEngine.open({ modelPath: copyPath, gpu: "auto", sequences: 1, contextSize: 2048 });
  try {
    const status = await engine.status();
    const chain = copyChain();
    const expected = chain.text(tokens);
    const messages: ChatRequest["messages"] = [{ role: "user", content: "copy" }];
    const plainRate = async (): Promise<number> =>
      (await collect(engine.chat({ messages, maxTokens: tokens }))).timing.tokensPerSecond;
    const editRate = async (prediction: string): Promise<{ rate: number; accepted: number; same: boolean }> => {
      const result = await collect(engine.edit({ messages, prediction, maxTokens: tokens }));
      return {
        rate: result.timing.tokensPerSecond,
        accepted: result.usage.acceptedPredictionTokens ?? 0,
        same: result.text === expected,
      };
    };
    await plainRate();
    for (const percent of rates) {
      const prediction = predictionFor(chain, expected, percent);
      const matches = [...prediction].filter((c, i) => c === expected[i]).length;
      const plain: number[] = [];
      const edits: { rate: number; accepted: number; same: boolean }[] = [];
      for (let i = 0; i < pairs; i++) {
        plain.push(await plainRate());
        edits.push(await editRate(prediction));
      }
      const rates = edits.map((e) => e.rate);
      options.report({
        name: predictedEditName(percent, copyModel),
        value: round(ratio(rates, plain)),
        pairedRatio: round(pairedRatio(rates, plain)),
        model: copyModel,
        threads: status.threads,
        backend: status.backend,
        note: "the copy model measures the speculative mechanism at a chosen acceptance rate, not a real model's edits",
        predictionMatches: round((matches / tokens) * 100, 0),
        acceptedTokens: median(edits.map((e) => e.accepted)),
        tokens,
        pairs,
        outputIdentical: edits.every((e) => e.same),
        plainTokS: round(median(plain), 1),
        predictedTokS: round(median(rates), 1),
        goal: percent === 100 ? ">= 2" : percent === 80 ? ">= 1.3" : ">= 0.95",
      });
    }
  } finally {
    await engine.dispose();
  }
}
