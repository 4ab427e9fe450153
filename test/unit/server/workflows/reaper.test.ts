import assert from "node:assert/strict";
import {
  DEFAULT_STALE_AFTER_MS,
  MIN_STALE_AFTER_MS,
  WorkerReaper,
  staleAfterMs,
  type ReaperSql,
} from "../../../../server/src/workflows/reaper.js";

/** A database that answers the stale-worker query with `dead` (once) and records every statement. */
function fakeSql(dead: string[]): ReaperSql & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    async query(text) {
      const statement = text.trim().split(/\s+/).slice(0, 2).join(" ");
      statements.push(statement);
      if (statement.startsWith("SELECT executor_id")) {
        const next = dead.shift();
        return { rows: next === undefined ? [] : [{ executor_id: next }] };
      }
      return { rows: [] };
    },
  };
}

const log = { info: () => undefined, warn: () => undefined };

describe("the dead-worker reaper", () => {
  describe("staleAfterMs", () => {
    it("is the default without BORA_WORKER_STALE_MS, and the variable's value with it", () => {
      assert.equal(staleAfterMs({}), DEFAULT_STALE_AFTER_MS);
      assert.equal(staleAfterMs({ BORA_WORKER_STALE_MS: "4000" }), 4000);
    });

    it("refuses a limit under two heartbeats, where live workers would take each other's tasks", () => {
      assert.throws(() => staleAfterMs({ BORA_WORKER_STALE_MS: String(MIN_STALE_AFTER_MS - 1) }), /at least/);
      assert.throws(() => staleAfterMs({ BORA_WORKER_STALE_MS: "soon" }), /whole number/);
    });
  });

  it("takes a dead worker's tasks over inside the transaction that locks its row, and deletes the row only after", async () => {
    const sql = fakeSql(["dead-1"]);
    const taken: string[] = [];
    const reaper = new WorkerReaper(sql, "me", { takeOver: async (id) => (taken.push(id), ["t1"]) }, log);
    await reaper.tick();
    assert.deepEqual(taken, ["dead-1"]);
    assert.deepEqual(sql.statements, [
      "INSERT INTO",
      "BEGIN",
      "SELECT executor_id",
      "DELETE FROM",
      "COMMIT",
      "BEGIN",
      "SELECT executor_id",
      "COMMIT",
    ]);
  });

  it("rolls back when the takeover fails, keeping the row for the next round (or another worker)", async () => {
    const sql = fakeSql(["dead-1"]);
    const warnings: string[] = [];
    const reaper = new WorkerReaper(
      sql,
      "me",
      {
        takeOver: async () => {
          throw new Error("database went away");
        },
      },
      { info: () => undefined, warn: (m) => warnings.push(m) },
    );
    await reaper.tick();
    assert.deepEqual(sql.statements, ["INSERT INTO", "BEGIN", "SELECT executor_id", "ROLLBACK"]);
    assert.match(warnings.join("\n"), /database went away/);
  });
});
