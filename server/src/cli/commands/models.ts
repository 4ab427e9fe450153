/**
 * `bora models <subcommand>`: managing model files. Each subcommand is an entry in
 * `MODELS_SUBCOMMANDS`, so adding one (pull, list, rm) is one module-level object and one line.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { MODEL_SHAPES, TEST_MODEL_SHAPES, formatBytes, generateModel, type TestModelShape } from "@bora/inference";
import { UsageError, type CliCommand, type CliIO } from "../command.js";
import { listSubcommand } from "./models/list.js";
import { pullSubcommand } from "./models/pull.js";
import { rmSubcommand } from "./models/rm.js";

/** One `bora models` subcommand; the same shape as a top-level command. */
export type ModelsSubcommand = Omit<CliCommand, "run"> & { run(args: string[], io: CliIO): Promise<number> };

export const generateSubcommand: ModelsSubcommand = {
  name: "generate",
  summary: "Write a generated test model (random weights) to smoke-test an install or benchmark",
  usage: `bora models generate --shape SHAPE --out FILE.gguf [--seed N] [--force]

Writes a Llama-architecture GGUF model generated here without downloading anything: a quick way
to check that the engine loads and runs models on this machine, and the models Bora's own tests
and benchmarks use. Speed depends on the shape, not on the weights, so the big shapes give
realistic tokens per second. Random weights write gibberish; the copy and code shapes have weights
made to write known text, for benchmarks.

Shapes:
${TEST_MODEL_SHAPES.map((s) => `  ${s.padEnd(10)} ${MODEL_SHAPES[s].description}`).join("\n")}

Options:
  --shape SHAPE  One of ${TEST_MODEL_SHAPES.join(", ")}
  --out FILE     Where to write the model; folders are created
  --seed N       Seed of the random weights. Defaults to 1
  --force        Replace FILE if it exists. Defaults to refusing`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        shape: { type: "string" },
        out: { type: "string" },
        seed: { type: "string" },
        force: { type: "boolean" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const shape = values.shape;
    if (shape === undefined || !(TEST_MODEL_SHAPES as readonly string[]).includes(shape))
      throw new UsageError(
        shape === undefined
          ? `--shape is required: one of ${TEST_MODEL_SHAPES.join(", ")}`
          : `unknown shape '${shape}': choose one of ${TEST_MODEL_SHAPES.join(", ")}`,
      );
    if (values.out === undefined) throw new UsageError("--out FILE.gguf is required");
    let seed: number | undefined;
    if (values.seed !== undefined) {
      seed = Number(values.seed);
      if (!/^\d+$/.test(values.seed) || seed > 0xffffffff)
        throw new UsageError(`--seed must be an integer from 0 to 4294967295, got '${values.seed}'`);
    }
    const out = path.resolve(io.cwd, values.out);
    const existing = await stat(out).catch(() => undefined);
    if (existing?.isDirectory())
      throw new UsageError(`--out ${values.out} is a folder; give a file name such as model.gguf`);
    if (existing && !values.force) throw new UsageError(`${values.out} already exists; pass --force to replace it`);

    // Ctrl-C stops the write and removes the partial file instead of leaving a broken model behind.
    const abort = new AbortController();
    const onSignal = (): void => abort.abort(new Error("interrupted; nothing was written"));
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const started = performance.now();
    let reported = -1;
    try {
      const model = await generateModel({
        shape: shape as TestModelShape,
        out,
        seed,
        signal: abort.signal,
        onProgress: ({ bytesWritten, totalBytes }) => {
          // Every 10 %: enough to show it is moving, few enough lines for a log file.
          const tenth = Math.floor((bytesWritten / totalBytes) * 10);
          if (totalBytes < 8 * 2 ** 20 || tenth === reported) return;
          reported = tenth;
          io.stderr.write(
            `generating ${shape}: ${tenth * 10}% (${formatBytes(bytesWritten)} of ${formatBytes(totalBytes)})\n`,
          );
        },
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      io.stdout.write(
        `${model.path}\n` +
          `  shape ${model.shape}, seed ${model.seed}, ${model.parameters.toLocaleString("en-US")} parameters, ` +
          `${formatBytes(model.bytes)}, written in ${seconds} s\n`,
      );
      return 0;
    } catch (error) {
      if (abort.signal.aborted) {
        io.stderr.write(`bora models generate: interrupted; nothing was written to ${values.out}\n`);
        return 130;
      }
      throw error;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};

/** The `bora models` subcommands. A new one is an object like `generateSubcommand` and one entry here. */
export const MODELS_SUBCOMMANDS: ModelsSubcommand[] = [
  generateSubcommand,
  pullSubcommand,
  listSubcommand,
  rmSubcommand,
];

function modelsUsage(subcommands: readonly ModelsSubcommand[]): string {
  const width = Math.max(...subcommands.map((s) => s.name.length));
  return `bora models <subcommand> [options]

Subcommands:
${subcommands.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`).join("\n")}

${subcommands.map((s) => s.usage).join("\n\n")}`;
}

/** Builds the `models` command over a subcommand table (tests pass their own). */
export function modelsCommandWith(subcommands: readonly ModelsSubcommand[]): CliCommand {
  return {
    name: "models",
    summary: "Pull, list and remove models in the model store; generate test models",
    usage: modelsUsage(subcommands),
    async run(args, io) {
      const [name, ...rest] = args;
      if (name === undefined)
        throw new UsageError(`a subcommand is needed: ${subcommands.map((s) => s.name).join(", ")}`);
      const subcommand = subcommands.find((s) => s.name === name);
      if (subcommand === undefined)
        throw new UsageError(
          `unknown subcommand '${name}': choose one of ${subcommands.map((s) => s.name).join(", ")}`,
        );
      return subcommand.run(rest, io);
    },
  };
}

export const modelsCommand: CliCommand = modelsCommandWith(MODELS_SUBCOMMANDS);
