// How Bora starts code-server, shared by `npm start` and the e2e tier so both run VS Code the same way.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
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
 * Where Bora keeps the user's models and state, as the `bora` CLI finds them in the same environment:
 * the model store is `$BORA_MODELS_DIR`, else `$XDG_CACHE_HOME/bora/models`, else
 * `~/.cache/bora/models` (the rule of inference/src/modelStore/storeLocation.ts, which a unit test
 * holds this to); the state folder is `$BORA_STATE_DIR`, else `$XDG_STATE_HOME/bora`, else
 * `~/.local/state/bora`. Call it with the user's own environment, before any isolation.
 */
export function userBoraDirs(env = process.env) {
  const set = (name) => (env[name] !== undefined && env[name] !== "" ? env[name] : undefined);
  const home = set("HOME") ?? os.homedir();
  const models = set("BORA_MODELS_DIR");
  const state = set("BORA_STATE_DIR");
  return {
    modelsDir:
      models !== undefined
        ? path.resolve(models)
        : path.join(set("XDG_CACHE_HOME") ?? path.join(home, ".cache"), "bora", "models"),
    stateDir:
      state !== undefined
        ? path.resolve(state)
        : path.join(set("XDG_STATE_HOME") ?? path.join(home, ".local", "state"), "bora"),
  };
}

/**
 * Prepares the directories of one code-server instance under `base` (user data, extensions with
 * Bora linked in from this checkout, XDG dirs, which code-server otherwise writes in $HOME) and
 * returns the arguments and environment to start it with.
 *
 * `boraDirs` is where the agent host that the extension starts keeps models and state; it reaches
 * the host as BORA_MODELS_DIR and BORA_STATE_DIR through code-server's environment. It has no
 * default on purpose: without it the host would derive them from the isolated XDG dirs and keep a
 * store of its own inside `base`. `npm start` passes `userBoraDirs()` (one store per user, whatever
 * starts the host); the e2e tier passes folders of its own run (tests never touch the user's home).
 * `env` is the environment code-server inherits otherwise. Defaults to this process's.
 * `linkCheckout: false` leaves the extensions folder empty, for a caller that installs a VSIX there
 * (the `dirs` returned name the folders). Defaults to linking this checkout in.
 */
export function prepareCodeServer({
  base,
  port,
  folder,
  boraDirs,
  extraSettings = {},
  env: parentEnv = process.env,
  linkCheckout = true,
}) {
  if (boraDirs?.modelsDir === undefined || boraDirs?.stateDir === undefined) {
    throw new Error("prepareCodeServer needs boraDirs: { modelsDir, stateDir } (see userBoraDirs)");
  }
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
  if (linkCheckout) {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    const link = path.join(dirs.ext, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
    rmSync(link, { force: true });
    symlinkSync(repoRoot, link);
  }
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
  const env = {
    ...parentEnv,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    BORA_MODELS_DIR: boraDirs.modelsDir,
    BORA_STATE_DIR: boraDirs.stateDir,
  };
  return {
    args,
    env,
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`,
    dirs: { userData: dirs.udd, extensions: dirs.ext },
  };
}

/**
 * How `npm start` runs code-server: a VS Code profile of its own under `base` (isolated XDG dirs),
 * with the agent host keeping models and state where the user's `bora` CLI does, computed from the
 * user's environment `env` before the isolation. `base` defaults to the checkout's .cache/start.
 */
export function startLaunch({ port, folder, env = process.env, base = path.join(repoRoot, ".cache/start") }) {
  return prepareCodeServer({ base, port, folder, env, boraDirs: userBoraDirs(env) });
}
