/**
 * The pure decisions about the workflow database, kept apart from the processes and files so that
 * unit tests cover them: reading `postmaster.pid`, where the unix socket goes, what a URL looks like
 * in a message.
 */

/**
 * What PostgreSQL writes to `<data>/postmaster.pid` while it runs. The embedded database uses it to
 * tell when the server it started is ready, and to recognise a server that a killed host left behind
 * on the same data directory.
 *
 * The file's lines (PostgreSQL ≥ 10, `src/include/utils/pidfile.h`): the postmaster's pid, the data
 * directory, the start time (epoch seconds), the port, the first unix-socket directory, the first
 * listen address, the shared-memory key, and the status (`starting`, `stopping`, `ready`, `standby`).
 */

export interface PostmasterPid {
  pid: number;
  dataDir: string;
  port: number;
  /** Empty while the server is still writing the file (the status line comes last). */
  status: string;
}

/** Parses the file's text; undefined when it is not a postmaster.pid (empty, garbled, half written). */
export function parsePostmasterPid(text: string): PostmasterPid | undefined {
  const lines = text.split("\n");
  const pid = Number(lines[0]);
  const dataDir = lines[1] ?? "";
  if (!Number.isSafeInteger(pid) || pid <= 0 || dataDir === "") return undefined;
  const port = Number(lines[3]);
  return {
    pid,
    dataDir,
    port: Number.isSafeInteger(port) ? port : 0,
    status: (lines[7] ?? "").trim(),
  };
}

/**
 * The longest unix-socket path Linux accepts (`sun_path` is 108 bytes, with the terminating NUL);
 * macOS allows 104, which the margin below covers too.
 */
const MAX_SOCKET_PATH = 103;

/**
 * The unix-socket directory to give the server: the data directory itself (only its owner can enter
 * it, so the trusted local socket is private), or none when the socket's path would be too long for
 * the operating system there, which would stop the server from starting; we connect over TCP anyway.
 */
export function socketDirectoryFor(dataDir: string, port: number): string {
  return `${dataDir}/.s.PGSQL.${port}`.length <= MAX_SOCKET_PATH ? dataDir : "";
}

/** The URL with its password replaced, for messages and logs. Text that is not a URL is left out. */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(an unparsable database URL)";
  }
  if (parsed.password !== "") parsed.password = "***";
  for (const key of [...parsed.searchParams.keys()]) if (/pass/i.test(key)) parsed.searchParams.set(key, "***");
  return parsed.toString();
}
