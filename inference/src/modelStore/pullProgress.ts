/** Progress of a model pull: bytes, rate and time left, for a terminal bar or LSP `$/progress`. */

export interface PullProgress {
  name: string;
  /** `download` while bytes arrive, `verify` while the checksum and header are checked. */
  phase: "download" | "verify";
  /** Bytes on disk so far, including what an earlier, interrupted pull left. */
  receivedBytes: number;
  /** Size of the whole file when the server said. */
  totalBytes?: number;
  /** Bytes the pull resumed from (0 for a fresh start). */
  resumedFromBytes: number;
  /** Recent transfer rate, over the last few seconds. */
  bytesPerSecond: number;
  /** Seconds left at the recent rate, when the size is known and the rate is not zero. */
  etaSeconds?: number;
}

/**
 * Measures the rate over a sliding window (a few seconds), so the figure follows the network
 * rather than the average since the start, and limits callbacks to a few per second.
 */
export class ProgressMeter {
  private readonly samples: { at: number; bytes: number }[] = [];
  private lastEmit = -Infinity;

  constructor(
    private readonly emit: ((progress: PullProgress) => void) | undefined,
    private readonly base: { name: string; resumedFromBytes: number; totalBytes?: number },
    private readonly options: { windowMs?: number; intervalMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

  /** The rate over the window ending now, in bytes per second. */
  rate(receivedBytes: number): number {
    const now = this.now();
    const windowMs = this.options.windowMs ?? 5000;
    this.samples.push({ at: now, bytes: receivedBytes });
    while (this.samples.length > 2 && now - this.samples[0]!.at > windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (receivedBytes - first.bytes) / seconds : 0;
  }

  update(receivedBytes: number, totalBytes: number | undefined, force = false): void {
    const bytesPerSecond = this.rate(receivedBytes);
    if (this.emit === undefined) return;
    const now = this.now();
    if (!force && now - this.lastEmit < (this.options.intervalMs ?? 200)) return;
    this.lastEmit = now;
    const progress: PullProgress = {
      name: this.base.name,
      phase: "download",
      receivedBytes,
      resumedFromBytes: this.base.resumedFromBytes,
      bytesPerSecond,
    };
    if (totalBytes !== undefined) {
      progress.totalBytes = totalBytes;
      if (bytesPerSecond > 0) progress.etaSeconds = Math.max(0, (totalBytes - receivedBytes) / bytesPerSecond);
    }
    this.emit(progress);
  }

  verifying(receivedBytes: number, totalBytes: number | undefined): void {
    this.emit?.({
      name: this.base.name,
      phase: "verify",
      receivedBytes,
      resumedFromBytes: this.base.resumedFromBytes,
      bytesPerSecond: 0,
      ...(totalBytes !== undefined ? { totalBytes } : {}),
    });
  }
}
