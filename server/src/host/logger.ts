/**
 * The host's logger. On the stdio transport stdout is the LSP wire, so nothing here ever writes to
 * stdout: before the connection is up lines go to stderr, afterwards to the connection's console
 * (`window/logMessage`, shown in the client's "Bora" output channel).
 */
import type { LogLevel } from "@bora/protocol";

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface LogSink {
  write(level: LogLevel, line: string): void;
}

export interface Logger {
  error(message: string, error?: unknown): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  setLevel(level: LogLevel): void;
  setSink(sink: LogSink): void;
}

export const stderrSink: LogSink = {
  write(level, line) {
    process.stderr.write(`[${level}] ${line}\n`);
  },
};

/** Formats an error for a log line: the message and, at debug level, its stack. */
function describe(error: unknown, withStack: boolean): string {
  if (error instanceof Error) return withStack && error.stack ? error.stack : `${error.name}: ${error.message}`;
  return String(error);
}

export function createLogger(level: LogLevel = "info", sink: LogSink = stderrSink): Logger {
  let current = level;
  let out = sink;
  const emit = (at: LogLevel, message: string): void => {
    if (RANK[at] <= RANK[current]) out.write(at, message);
  };
  return {
    error: (message, error) =>
      emit("error", error === undefined ? message : `${message}: ${describe(error, current === "debug")}`),
    warn: (message) => emit("warn", message),
    info: (message) => emit("info", message),
    debug: (message) => emit("debug", message),
    setLevel: (next) => {
      current = next;
    },
    setSink: (next) => {
      out = next;
    },
  };
}
