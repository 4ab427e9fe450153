// How Bora starts code-server, shared by `npm start` and the e2e tier so both run VS Code the same way.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** User settings that keep a fresh profile quiet: no tours, no telemetry, no update checks. */
export const userSettings = {
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
};

/**
 * Prepares the directories of one code-server instance under `base` (user data, extensions with
 * Bora linked in from this checkout, XDG dirs, which code-server otherwise writes in $HOME) and
 * returns the arguments and environment to start it with.
 */
export function prepareCodeServer({ base, port, folder, extraSettings = {} }) {
  const dirs = {
    udd: path.join(base, "user-data"),
    ext: path.join(base, "extensions"),
    config: path.join(base, "xdg-config"),
    data: path.join(base, "xdg-data"),
    cache: path.join(base, "xdg-cache"),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  mkdirSync(path.join(dirs.udd, "User"), { recursive: true });
  const settingsFile = path.join(dirs.udd, "User/settings.json");
  if (!existsSync(settingsFile)) {
    writeFileSync(settingsFile, JSON.stringify({ ...userSettings, ...extraSettings }, null, 2));
  }
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
  const link = path.join(dirs.ext, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  rmSync(link, { force: true });
  symlinkSync(repoRoot, link);
  const args = [
    "--bind-addr",
    `127.0.0.1:${port}`,
    "--auth",
    "none",
    "--user-data-dir",
    dirs.udd,
    "--extensions-dir",
    dirs.ext,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    "--ignore-last-opened",
    folder,
  ];
  const env = { ...process.env, XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data, XDG_CACHE_HOME: dirs.cache };
  return { args, env, url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}` };
}
