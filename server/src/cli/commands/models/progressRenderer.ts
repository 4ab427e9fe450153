/**
 * Shows a model pull's progress on a terminal: one line redrawn in place on a TTY, or a line
 * every ten percent when stderr is a file or a pipe (CI logs stay readable).
 */
import { formatBytes, type PullProgress } from "@bora/inference";

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`
    : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** One line of text for a progress report, e.g. `model: 12.0 MiB / 40.0 MiB (30%) 5.1 MiB/s, 6s left`. */
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

export function progressRenderer(stream: NodeJS.WritableStream): (progress: PullProgress) => void {
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  let lastDecile = -1;
  let lastPhase: PullProgress["phase"] | undefined;
  return (progress) => {
    const line = formatProgress(progress);
    if (tty) {
      stream.write(`\r\x1b[2K${line}${progress.phase === "verify" ? "\n" : ""}`);
      return;
    }
    const decile = progress.totalBytes ? Math.floor((10 * progress.receivedBytes) / progress.totalBytes) : -1;
    if (progress.phase !== lastPhase || decile > lastDecile) stream.write(`${line}\n`);
    lastDecile = decile;
    lastPhase = progress.phase;
  };
}
