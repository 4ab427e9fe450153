/**
 * Shows a model pull's progress on a terminal: one line redrawn in place on a TTY, or a line
 * every ten percent when stderr is a file or a pipe (CI logs stay readable).
 */
import { formatProgress, type PullProgress } from "@bora/inference";

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
