/**
 * Typed settings shared by the extension and the host. The schema lives in the root
 * `package.json` (`contributes.configuration`); `settingsFrom` turns whatever arrives (a user's
 * hand-edited JSON, an older schema) into valid settings, falling back to defaults with a warning.
 */

export type LogLevel = "error" | "warn" | "info" | "debug";
const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

export interface HostSettings {
  /** How much the host logs. Defaults to `info`. */
  logLevel: LogLevel;
}

export interface BoraSettings {
  host: HostSettings;
}

export const DEFAULT_SETTINGS: BoraSettings = Object.freeze({
  host: Object.freeze({ logLevel: "info" as LogLevel }),
});

export interface SanitisedSettings {
  settings: BoraSettings;
  /** One line per value that was replaced by its default, naming the key and the bad value. */
  warnings: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function settingsFrom(raw: unknown): SanitisedSettings {
  const warnings: string[] = [];
  const host = isRecord(raw) && isRecord(raw["host"]) ? raw["host"] : {};
  let logLevel = DEFAULT_SETTINGS.host.logLevel;
  const rawLevel = host["logLevel"];
  if (rawLevel !== undefined) {
    if (typeof rawLevel === "string" && (LOG_LEVELS as readonly string[]).includes(rawLevel)) {
      logLevel = rawLevel as LogLevel;
    } else {
      warnings.push(
        `bora.host.logLevel: ${JSON.stringify(rawLevel)} is not one of ${LOG_LEVELS.join(", ")}; using "${logLevel}"`,
      );
    }
  }
  return { settings: { host: { logLevel } }, warnings };
}
