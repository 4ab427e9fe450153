/**
 * `npm run bench [-- <suite>...] [--quick] [--only=<figure>,...]`: runs benchmark suites and prints one JSON line per
 * figure, `{"name": ..., "value": <number>, ...details}`. Every figure is a ratio measured side by
 * side in the same run, because these machines are too noisy for absolute times to mean much.
 *
 * A suite is a module `test/bench/<name>.bench.ts` exporting `run(options)`; see `BenchSuite`.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface BenchOptions {
  /** Smaller models and fewer tokens, so the whole run stays under a minute on 2 cores. */
  quick: boolean;
  /** Whether the figure is wanted (`--only` names some; without it, all are). */
  wants(figure: string): boolean;
  /** Prints one figure as a JSON line on stdout. */
  report(figure: { name: string; value: number; [detail: string]: unknown }): void;
  /** Progress for humans, on stderr. */
  log(message: string): void;
}

export interface BenchSuite {
  run(options: BenchOptions): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes("--quick");
  const available = readdirSync(here)
    .filter((f) => f.endsWith(".bench.ts"))
    .map((f) => f.replace(/\.bench\.ts$/, ""))
    .sort();
  const only = argv
    .filter((a) => a.startsWith("--only="))
    .flatMap((a) => a.slice("--only=".length).split(","))
    .filter((f) => f !== "");
  const asked = argv.filter((a) => !a.startsWith("--"));
  const unknown = asked.filter((a) => !available.includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`bench: no suite named ${unknown.join(", ")}; available: ${available.join(", ") || "none"}\n`);
    return 2;
  }
  const suites = asked.length > 0 ? asked : available;
  if (suites.length === 0) {
    process.stderr.write("bench: no suites yet (test/bench/*.bench.ts)\n");
    return 0;
  }
  const options: BenchOptions = {
    quick,
    wants: (figure) => only.length === 0 || only.includes(figure),
    report: (figure) => process.stdout.write(`${JSON.stringify({ suite: current, ...figure })}\n`),
    log: (message) => process.stderr.write(`[bench ${current}] ${message}\n`),
  };
  let current = "";
  for (const name of suites) {
    current = name;
    const suite = (await import(pathToFileURL(path.join(here, `${name}.bench.ts`)).href)) as BenchSuite;
    await suite.run(options);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
