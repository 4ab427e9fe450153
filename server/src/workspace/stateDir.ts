/**
 * The state folder: where Bora keeps what it writes for itself and must find again later, per user
 * (checkpoints' shadow repositories, `bora run` transcripts). One function decides it, from the
 * environment its caller passes, so the CLI and the host agree and a test can point it anywhere.
 */
import os from "node:os";
import path from "node:path";

/**
 * `$BORA_STATE_DIR`, else `$XDG_STATE_HOME/bora`, else `~/.local/state/bora` (`~` is `$HOME`, else the
 * account's home directory). Empty variables count as unset; a relative `XDG_STATE_HOME` is ignored,
 * as the XDG Base Directory specification asks, and a relative `BORA_STATE_DIR` is taken from `cwd`.
 */
export function resolveStateDir(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const own = env["BORA_STATE_DIR"];
  if (own) return path.resolve(cwd, own);
  const xdg = env["XDG_STATE_HOME"];
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, "bora");
  return path.join(env["HOME"] || os.homedir(), ".local", "state", "bora");
}
