/**
 * One model store per user, whatever starts the agent host: `npm start` isolates code-server's XDG
 * folders, but the host it starts must find models and state where the user's `bora` CLI does.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultModelsDir } from "../../../inference/src/modelStore/storeLocation.js";
import { prepareCodeServer, startLaunch, userBoraDirs } from "../../../scripts/codeServerLaunch.mjs";

/**
 * The store the CLI (or a host) finds in `env`: `defaultModelsDir` takes the home folder from the
 * process (os.homedir() reads $HOME), so run it with `env`'s HOME in place.
 */
function cliStore(env: NodeJS.ProcessEnv): string {
  const saved = process.env["HOME"];
  const set = (home: string | undefined): void => {
    if (home === undefined) delete process.env["HOME"];
    else process.env["HOME"] = home;
  };
  set(env["HOME"]);
  try {
    return defaultModelsDir(env);
  } finally {
    set(saved);
  }
}

describe("scripts/codeServerLaunch", () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), "bora-launch-"));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const environments: [string, NodeJS.ProcessEnv][] = [
    ["only HOME", { HOME: "/home/ada" }],
    ["XDG folders", { HOME: "/home/ada", XDG_CACHE_HOME: "/xdg/cache", XDG_STATE_HOME: "/xdg/state" }],
    ["empty XDG folders", { HOME: "/home/ada", XDG_CACHE_HOME: "", XDG_STATE_HOME: "" }],
    [
      "explicit Bora folders",
      { HOME: "/home/ada", XDG_CACHE_HOME: "/xdg/cache", BORA_MODELS_DIR: "/models", BORA_STATE_DIR: "/state" },
    ],
  ];

  describe("userBoraDirs", () => {
    it("finds the model store where the CLI's store rule does, in every environment", () => {
      for (const [name, env] of environments) {
        assert.equal(userBoraDirs(env).modelsDir, cliStore(env), name);
      }
    });

    it("puts state in $BORA_STATE_DIR, else $XDG_STATE_HOME/bora, else ~/.local/state/bora", () => {
      assert.equal(userBoraDirs({ HOME: "/home/ada" }).stateDir, "/home/ada/.local/state/bora");
      assert.equal(userBoraDirs({ HOME: "/home/ada", XDG_STATE_HOME: "/xdg/state" }).stateDir, "/xdg/state/bora");
      assert.equal(
        userBoraDirs({ HOME: "/home/ada", XDG_STATE_HOME: "/xdg/state", BORA_STATE_DIR: "/s" }).stateDir,
        "/s",
      );
    });
  });

  describe("startLaunch (npm start)", () => {
    for (const [name, userEnv] of environments) {
      it(`isolates code-server's XDG folders but hands the host the user's own store and state (${name})`, () => {
        const launch = startLaunch({ port: 18090, folder: base, env: userEnv, base });
        // code-server's own folders are isolated inside the launch folder...
        assert.equal(launch.env["XDG_CACHE_HOME"], path.join(base, "xdg-cache"));
        assert.equal(launch.env["XDG_CONFIG_HOME"], path.join(base, "xdg-config"));
        // ...yet a host that inherits this environment finds the store the user's terminal finds.
        assert.equal(cliStore(launch.env), cliStore(userEnv));
        assert.equal(launch.env["BORA_STATE_DIR"], userBoraDirs(userEnv).stateDir);
      });
    }
  });

  describe("prepareCodeServer", () => {
    it("passes the Bora folders it is given, so a test run keeps a store of its own", () => {
      const boraDirs = { modelsDir: path.join(base, "models"), stateDir: path.join(base, "state") };
      const launch = prepareCodeServer({ base, port: 18090, folder: base, boraDirs, env: { HOME: "/home/ada" } });
      assert.equal(launch.env["BORA_MODELS_DIR"], boraDirs.modelsDir);
      assert.equal(launch.env["BORA_STATE_DIR"], boraDirs.stateDir);
      assert.equal(cliStore(launch.env), boraDirs.modelsDir);
    });

    it("refuses to start without Bora folders, so no caller gets a store inside code-server's cache by accident", () => {
      assert.throws(
        () => prepareCodeServer({ base, port: 18090, folder: base } as Parameters<typeof prepareCodeServer>[0]),
        /needs boraDirs/,
      );
    });
  });
});
