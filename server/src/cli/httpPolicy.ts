/**
 * The HTTP policy of one CLI command: the host's one policy, with an audit line per request and a
 * line per wait on stderr (never stdout, which holds results a script may parse).
 */
import { reportingHttpPolicy } from "../http/fetches.js";
import type { HttpPolicy } from "../http/policy.js";

/** Where the lines go: stderr, or a wrapper of it (one that removes secrets). */
export interface LineSink {
  write(text: string): unknown;
  /** On a terminal a progress line is redrawn in place; the lines printed here clear it first. */
  isTTY?: boolean;
}

/** A policy for one command. `quiet` leaves out the audit lines (the waits are always said). */
export function cliHttpPolicy(stderr: LineSink, options: { quiet?: boolean } = {}): HttpPolicy {
  const start = stderr.isTTY === true ? "\r\x1b[2K" : "";
  const line = (text: string): void => void stderr.write(`${start}${text}\n`);
  return reportingHttpPolicy(options.quiet ? undefined : line, (wait) => line(`bora: ${wait}`));
}
