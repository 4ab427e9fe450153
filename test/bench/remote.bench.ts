/**
 * `npm run bench -- remote [--quick]`: what serving the engine over HTTP costs.
 *
 * - `remoteOverhead`: decode tok/s seen by `RemoteEngine` through `bora engine serve` ÷ the same
 *   engine settings on the same model in this process (goal ≥ 0.9). Runs alternate, and the medians
 *   are compared, so load from elsewhere hits both sides alike.
 * - `serverParallel4`: aggregate tok/s of 4 concurrent HTTP clients ÷ the same 4 requests one after
 *   another, on one server with 4 sequences.
 *
 * Models are generated (random weights, real shapes): speed does not depend on the weight values.
 * `--quick` uses the tiny model (about 20 s); the full run uses the 0.5b shape (about 3 minutes on
 * 2 cores).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import {
  LocalEngine,
  RemoteEngine,
  collect,
  type ChatRequest,
  type CollectedResult,
  type Engine,
} from "@bora/inference";
import { AjvToolValidator } from "../../server/src/engines/toolArgumentsValidator.js";
import { remoteEngineFetch } from "../../server/src/http/fetches.js";
import { HttpPolicy } from "../../server/src/http/policy.js";
import { HOST_BUNDLE } from "../support/hostProcess.js";
import { ensureTestModel } from "../support/testModels.js";
import type { BenchOptions } from "./index.js";
import { median } from "./stats.js";

const PROMPTS = [
  "Write a TypeScript function that parses a CSV line.",
  "Explain what a mutex is, step by step.",
  "List ten names for a coffee shop.",
  "Describe the rules of chess briefly.",
];

async function startServer(
  modelPath: string,
  sequences: number,
  threads: number,
): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(
    process.execPath,
    [
      HOST_BUNDLE,
      "engine",
      "serve",
      "--model",
      modelPath,
      "--listen",
      "127.0.0.1:0",
      "--sequences",
      String(sequences),
      "--threads",
      String(threads),
      "--context-size",
      "2048",
      "--cpu",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const match = /serving \S+ on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`bora engine serve exited with ${code}: ${stderr}`)));
  });
  return { child, baseUrl };
}

function request(prompt: string, maxTokens: number): ChatRequest {
  return { messages: [{ role: "user", content: prompt }], maxTokens, temperature: 0 };
}

export async function run(options: BenchOptions): Promise<void> {
  if (!existsSync(HOST_BUNDLE)) {
    options.log(`skipped: ${HOST_BUNDLE} is missing; run 'npm run build' first`);
    return;
  }
  const shape = options.quick ? "tiny" : "0.5b";
  const maxTokens = options.quick ? 96 : 48;
  const rounds = 3;
  const modelPath = await ensureTestModel(shape);
  // One thread on each side: with two, ggml's per-token barrier makes decode speed swing threefold
  // whenever anything else runs on these 2 cores, and the ratio drowns in that noise.
  const threads = 1;
  const local = await LocalEngine.open({ modelPath, gpu: false, sequences: 4, contextSize: 2048, threads });
  const server = await startServer(modelPath, 4, threads);
  const remote: Engine = new RemoteEngine({
    preset: "bora",
    baseUrl: server.baseUrl,
    model: path.basename(modelPath, ".gguf"),
    validator: new AjvToolValidator(),
    env: {},
    fetch: remoteEngineFetch(new HttpPolicy()),
  });
  const details = { shape, threads, maxTokens, backend: "cpu" };
  try {
    // Warm both sides (first requests pay for allocation and the server's JIT).
    await collect(local.chat(request(PROMPTS[0]!, 8)));
    await collect(remote.chat(request(PROMPTS[0]!, 8)));

    const localRates: number[] = [];
    const remoteRates: number[] = [];
    const localEndToEnd: number[] = [];
    const remoteEndToEnd: number[] = [];
    let tokens = 0;
    for (let i = 0; i < rounds; i++) {
      const a: CollectedResult = await collect(local.chat(request(PROMPTS[1]!, maxTokens)));
      const b: CollectedResult = await collect(remote.chat(request(PROMPTS[1]!, maxTokens)));
      localRates.push(a.timing.tokensPerSecond);
      remoteRates.push(b.timing.tokensPerSecond);
      localEndToEnd.push(a.usage.completionTokens / (a.timing.totalMs / 1000));
      remoteEndToEnd.push(b.usage.completionTokens / (b.timing.totalMs / 1000));
      tokens = b.usage.completionTokens;
      if (a.usage.completionTokens !== b.usage.completionTokens) {
        options.log(
          `note: token counts differ (${a.usage.completionTokens} in-process, ${b.usage.completionTokens} remote)`,
        );
      }
    }
    options.report({
      name: "remoteOverhead",
      value: median(remoteRates) / median(localRates),
      ...details,
      completionTokens: tokens,
      remoteTokPerSec: median(remoteRates),
      inProcessTokPerSec: median(localRates),
      endToEndRatio: median(remoteEndToEnd) / median(localEndToEnd),
      goal: ">= 0.9",
      ...(shape === "tiny"
        ? {
            note: "the tiny model decodes a token in about 1 ms, so this mostly measures the per-token HTTP/SSE cost; run without --quick for a realistic model",
          }
        : {}),
    });
    await local.dispose();

    const sequential: number[] = [];
    const parallel: number[] = [];
    for (let i = 0; i < rounds - 1; i++) {
      let started = performance.now();
      let total = 0;
      for (const prompt of PROMPTS)
        total += (await collect(remote.chat(request(prompt, maxTokens)))).usage.completionTokens;
      sequential.push(total / ((performance.now() - started) / 1000));
      started = performance.now();
      const results = await Promise.all(PROMPTS.map((prompt) => collect(remote.chat(request(prompt, maxTokens)))));
      parallel.push(
        results.reduce((sum, r) => sum + r.usage.completionTokens, 0) / ((performance.now() - started) / 1000),
      );
    }
    options.report({
      name: "serverParallel4",
      value: median(parallel) / median(sequential),
      ...details,
      aggregateTokPerSec4: median(parallel),
      aggregateTokPerSec1: median(sequential),
    });
  } finally {
    await remote.dispose();
    await local.dispose().catch(() => undefined);
    server.child.kill("SIGTERM");
  }
}
