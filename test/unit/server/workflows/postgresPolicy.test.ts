import assert from "node:assert/strict";
import {
  parsePostmasterPid,
  redactDatabaseUrl,
  socketDirectoryFor,
} from "../../../../server/src/workflows/postgresPolicy.js";

describe("the workflow database's pure decisions", () => {
  describe("parsePostmasterPid", () => {
    it("reads a running server's file: pid, data directory, port and status", () => {
      const text = [
        "4242",
        "/home/u/.local/state/bora/postgres",
        "1796581970",
        "38259",
        "/home/u/.local/state/bora/postgres",
        "127.0.0.1",
        "  1234567     98304",
        "ready   ",
        "",
      ].join("\n");
      assert.deepEqual(parsePostmasterPid(text), {
        pid: 4242,
        dataDir: "/home/u/.local/state/bora/postgres",
        port: 38259,
        status: "ready",
      });
    });

    it("gives an empty status while the server is still writing the file", () => {
      assert.equal(parsePostmasterPid("4242\n/data\n1796581970\n5432\n")?.status, "");
    });

    it("refuses what is not a postmaster.pid", () => {
      for (const text of ["", "\n", "garbage\n/data\n", "-3\n/data\n", "12\n", "0\n/data\n"])
        assert.equal(parsePostmasterPid(text), undefined, JSON.stringify(text));
    });
  });

  describe("socketDirectoryFor", () => {
    it("puts the socket in the data directory", () => {
      assert.equal(
        socketDirectoryFor("/home/u/.local/state/bora/postgres", 54321),
        "/home/u/.local/state/bora/postgres",
      );
    });

    it("gives no socket at all when its path would be too long for the operating system", () => {
      const deep = `/home/u/${"very-long-folder-name/".repeat(5)}postgres`;
      assert.ok(`${deep}/.s.PGSQL.54321`.length > 103);
      assert.equal(socketDirectoryFor(deep, 54321), "");
    });
  });

  describe("redactDatabaseUrl", () => {
    it("hides the password, in the user part and in the query", () => {
      assert.equal(
        redactDatabaseUrl("postgresql://team:s3cret@db.internal:5432/bora?sslmode=require&password=p2"),
        "postgresql://team:***@db.internal:5432/bora?sslmode=require&password=***",
      );
    });

    it("leaves a URL without a password as it is", () => {
      assert.equal(redactDatabaseUrl("postgresql://team@127.0.0.1:5432/bora"), "postgresql://team@127.0.0.1:5432/bora");
    });

    it("never echoes text that is not a URL (it could be a password pasted in the wrong field)", () => {
      assert.equal(redactDatabaseUrl("hunter2"), "(an unparsable database URL)");
    });
  });
});
