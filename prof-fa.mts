import { getLlama } from "node-llama-cpp";
const llama = await getLlama({ gpu: false });
const model = await llama.loadModel({ modelPath: "/work/main/.cache/models/copy-s1-g3.gguf" });
console.log(JSON.stringify(model.fileInsights?.ggufMetadata ?? {}).slice(0, 0));
const md: any = (model as any).fileInfo?.metadata;
console.log(JSON.stringify(md?.llama ?? md?.[md?.general?.architecture] ?? {}, null, 0));
for (const opts of [{}, { flashAttention: true }, { batchSize: 64 }]) {
  const ctx = await model.createContext({ contextSize: 2048, sequences: 1, threads: 1, ...opts });
  const seq = ctx.getSequence();
  const toks = model.tokenize("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  const line: string[] = [];
  for (const k of [1, 2, 5, 33]) {
    let t = 0;
    for (let r = 0; r < 60; r++) {
      await seq.clearHistory();
      await seq.evaluateWithoutGeneratingNewTokens(toks.slice(0, 10));
      const s = performance.now();
      await seq.evaluateWithoutGeneratingNewTokens(toks.slice(10, 10 + k));
      if (r >= 10) t += performance.now() - s;
    }
    line.push(`k=${k}:${(t / 50).toFixed(2)}`);
  }
  console.log(JSON.stringify(opts), line.join(" "));
  await ctx.dispose();
}
await llama.dispose();
