import assert from "node:assert/strict";
import os from "node:os";
import { resolveStateDir } from "../../../../server/src/workspace/stateDir.js";

describe("the state folder (resolveStateDir)", () => {
  const cwd = "/work/project";

  it("is $BORA_STATE_DIR when it is set, before anything else", () => {
    const env = { BORA_STATE_DIR: "/srv/bora-state", XDG_STATE_HOME: "/x/state", HOME: "/home/u" };
    assert.equal(resolveStateDir(env, cwd), "/srv/bora-state");
  });

  it("takes a relative $BORA_STATE_DIR from the caller's working directory", () => {
    assert.equal(resolveStateDir({ BORA_STATE_DIR: "state" }, cwd), "/work/project/state");
  });

  it("else is bora under $XDG_STATE_HOME", () => {
    assert.equal(resolveStateDir({ XDG_STATE_HOME: "/x/state", HOME: "/home/u" }, cwd), "/x/state/bora");
  });

  it("else is ~/.local/state/bora, with ~ from $HOME", () => {
    assert.equal(resolveStateDir({ HOME: "/home/u" }, cwd), "/home/u/.local/state/bora");
  });

  it("treats empty variables as unset and ignores a relative $XDG_STATE_HOME, as the XDG spec asks", () => {
    assert.equal(
      resolveStateDir({ BORA_STATE_DIR: "", XDG_STATE_HOME: "", HOME: "/home/u" }, cwd),
      "/home/u/.local/state/bora",
    );
    assert.equal(
      resolveStateDir({ XDG_STATE_HOME: "relative/state", HOME: "/home/u" }, cwd),
      "/home/u/.local/state/bora",
    );
  });

  it("reads the environment it is given, not this process's", () => {
    const saved = { own: process.env["BORA_STATE_DIR"], xdg: process.env["XDG_STATE_HOME"] };
    process.env["BORA_STATE_DIR"] = "/from/process/env";
    process.env["XDG_STATE_HOME"] = "/from/process/xdg";
    try {
      assert.equal(resolveStateDir({ HOME: "/home/u" }, cwd), "/home/u/.local/state/bora");
    } finally {
      for (const [name, value] of [
        ["BORA_STATE_DIR", saved.own],
        ["XDG_STATE_HOME", saved.xdg],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("falls back to the account's home directory when the environment has no HOME", () => {
    assert.equal(resolveStateDir({}, cwd), `${os.homedir()}/.local/state/bora`);
  });
});
