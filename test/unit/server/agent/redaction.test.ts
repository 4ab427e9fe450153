import assert from "node:assert/strict";
import { Redactor } from "../../../../server/src/agent/redaction.js";

describe("redaction", () => {
  it("redacts values of secret-looking environment variables, not of others", () => {
    const redactor = new Redactor({
      env: { MY_API_KEY: "abcdef123456", DB_PASSWORD: "hunter2hunter2", EDITOR: "vimvimvim" },
    });
    const out = redactor.redact("key=abcdef123456 pw=hunter2hunter2 editor=vimvimvim");
    assert.equal(out, "key=[REDACTED:MY_API_KEY] pw=[REDACTED:DB_PASSWORD] editor=vimvimvim");
  });

  it("redacts tokens given to the run and well-known token shapes", () => {
    const redactor = new Redactor({ secrets: ["s3cr3t-value"] });
    const out = redactor.redact(
      "a s3cr3t-value b ghp_abcdefghijklmnopqrstuvwxyz0123 c xoxb-1234567890-abcdef d Authorization: Bearer abcdefghijklmnop1234",
    );
    assert.doesNotMatch(out, /s3cr3t-value|ghp_|xoxb-|abcdefghijklmnop1234/);
    assert.match(out, /\[REDACTED:secret\]/);
  });

  it("ignores short values that would hit ordinary words", () => {
    const redactor = new Redactor({ env: { AUTH_MODE: "on" } });
    assert.equal(redactor.redact("on and on"), "on and on");
  });

  it("redacts inside nested values", () => {
    const redactor = new Redactor({ secrets: ["tok-123456"] });
    assert.deepEqual(redactor.redactValue({ a: ["x tok-123456"], b: { c: "tok-123456" }, n: 3 }), {
      a: ["x [REDACTED:secret]"],
      b: { c: "[REDACTED:secret]" },
      n: 3,
    });
  });
});
