import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { executorIdFor } from "../../../server/src/workflows/workflowIdentity.js";

describe("executorIdFor", () => {
  let stateDir: string;
  beforeEach(() => (stateDir = path.join(mkdtempSync(path.join(os.tmpdir(), "bora-exec-")), "state")));
  afterEach(() => rmSync(path.dirname(stateDir), { recursive: true, force: true }));

  it("makes the id once, keeps it in <stateDir>/executor-id, and gives it back on every later call", async () => {
    const first = await executorIdFor(stateDir, {});
    assert.match(first, new RegExp(`-[0-9a-f]{6}$`));
    assert.equal(readFileSync(path.join(stateDir, "executor-id"), "utf8").trim(), first);
    assert.equal(await executorIdFor(stateDir, {}), first, "a restarted host keeps its id");
  });

  it("gives hosts that start together on one state folder the same id", async () => {
    const ids = await Promise.all([executorIdFor(stateDir, {}), executorIdFor(stateDir, {})]);
    assert.equal(ids[0], ids[1]);
  });
});
