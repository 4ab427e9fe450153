/**
 * The arithmetic every benchmark suite uses, in one place. Both sides of a ratio are measured in
 * alternation (a, b, a, b, ...), so slow phases of a shared machine hit both; a figure is the ratio
 * of their medians, and `pairedRatio` (the median of the ratios of neighbouring runs) goes in the
 * details as a check: when the two disagree, the machine was too noisy for the figure to mean much.
 */

/** The value below which `p` percent of `values` lie (nearest rank); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The upper median (nearest rank): a measured value, never an average of two. */
export const median = (values: readonly number[]): number => percentile(values, 50);

export const ratio = (a: readonly number[], b: readonly number[]): number => median(a) / median(b);

export const pairedRatio = (a: readonly number[], b: readonly number[]): number =>
  median(a.map((x, i) => x / (b[i] ?? NaN)));

export const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
