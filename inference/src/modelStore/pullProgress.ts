/** Progress of a model pull: bytes, rate and time left, for a terminal bar or LSP `$/progress`. */
import { formatBytes } from "../formatBytes.js";

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

/** A time left, short: `45s`, `3m05s`, `2h10m`. */
function duration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`
    : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/**
 * One line of text for a progress report, the same on a terminal and in the editor's progress
 * notification, e.g. `model: 12.0 MiB / 40.0 MiB (30%) 5.1 MiB/s, 6s left`.
 */
export function formatProgress(p: PullProgress): string {
  if (p.phase === "verify") return `${p.name}: verifying ${formatBytes(p.receivedBytes)}`;
  const size =
    p.totalBytes !== undefined
      ? ` / ${formatBytes(p.totalBytes)} (${Math.floor((100 * p.receivedBytes) / Math.max(1, p.totalBytes))}%)`
      : "";
  const rate = p.bytesPerSecond > 0 ? ` ${formatBytes(p.bytesPerSecond)}/s` : "";
  const eta = p.etaSeconds !== undefined ? `, ${duration(p.etaSeconds)} left` : "";
  const resumed = p.resumedFromBytes > 0 ? ` (resumed at ${formatBytes(p.resumedFromBytes)})` : "";
  return `${p.name}: ${formatBytes(p.receivedBytes)}${size}${rate}${eta}${resumed}`;
}
