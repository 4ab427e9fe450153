/**
 * `npm run bench -- completions [--quick]`: ghost-text latency while typing (see
 * `completionLatency.ts`), on its own; the `editor` suite reports the same figures with the rest.
 */
import type { BenchOptions } from "./index.js";
import { completionLatency } from "./completionLatency.js";

export async function run(options: BenchOptions): Promise<void> {
  await completionLatency(options);
}
