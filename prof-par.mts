import { getLlama } from "node-llama-cpp";
const llama = await getLlama({ gpu: false });
const model = await llama.loadModel({ modelPath: "/work/main/.cache/models/copy-s1-g3.gguf" });
const ctx = await model.createContext({ contextSize: 2048, sequences: 1, threads: 1 });
const seq: any = ctx.getSequence();
const toks = model.tokenize("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
const cfg = seq._resolveSamplerConfig({ temperature: 0 });
const samplers = Array.from({ length: 40 }, () => { const x = new llama._bindings.AddonSampler(model._model); x.applyConfig(cfg); return x; });
const addon = seq._context._ctx;
async function verify(tokens: number[], concurrent: boolean): Promise<number[]> {
  const logits = tokens.map(() => true);
  const pending: Promise<number>[] = [];
  let i = 0;
  const res = await seq._decodeTokens(tokens, logits, 5, seq._tokenMeter, { size: seq._contextShift.size, strategy: seq._contextShift.strategy }, (batchLogitIndex: number, tokenIndex: number) => {
    if (!concurrent) return addon.sampleToken(batchLogitIndex, samplers[0]);
    const p = addon.sampleToken(batchLogitIndex, samplers[i++ % 40]);
    pending.push(p);
    if (pending.length === tokens.length) return Promise.all(pending).then(() => p);
    return { p };
  });
  return Promise.all(res.map((r: any) => (r instanceof Promise ? r : r.p ?? r)));
}
for (const k of [1, 2, 5, 9, 33]) {
  for (const conc of [false, true]) {
    let t = 0, n = 0; let out: number[] = [];
    for (let r = 0; r < 80; r++) {
      await seq.clearHistory();
      await seq.evaluateWithoutGeneratingNewTokens(toks.slice(0, 10));
      const s = performance.now();
      out = await verify(toks.slice(10, 10 + k), conc);
      if (r >= 10) { t += performance.now() - s; n++; }
    }
    console.log(`k=${k} ${conc ? "concurrent" : "sequential"} ${(t / n).toFixed(3)} ms`, out.slice(0, 5).join(","));
  }
}
await llama.dispose();
