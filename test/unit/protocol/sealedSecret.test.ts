import assert from "node:assert/strict";
import { SecretOpener, sealSecret, type SealedSecret } from "@bora/protocol";

describe("sealed secrets", () => {
  const secret = "sk-proj-" + "x".repeat(300);

  it("opens what was sealed to its key, under the same name, however long", () => {
    const opener = new SecretOpener();
    const sealed = sealSecret(opener.publicKey, "remote.apiKey", secret);
    assert.equal(opener.open("remote.apiKey", sealed), secret);
    assert.doesNotMatch(JSON.stringify(sealed), /sk-proj|xxxx/);
  });

  it("seals the same value differently every time", () => {
    const opener = new SecretOpener();
    const a = sealSecret(opener.publicKey, "remote.apiKey", secret);
    const b = sealSecret(opener.publicKey, "remote.apiKey", secret);
    assert.notEqual(a.data, b.data);
    assert.notEqual(a.key, b.key);
  });

  it("refuses a value sealed to another key, under another name, or altered", () => {
    const opener = new SecretOpener();
    const sealed = sealSecret(opener.publicKey, "remote.apiKey", secret);
    assert.throws(() => new SecretOpener().open("remote.apiKey", sealed));
    assert.throws(() => opener.open("github.token", sealed));
    const flipped = Buffer.from(sealed.data, "base64");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    const altered: SealedSecret = { ...sealed, data: flipped.toString("base64") };
    assert.throws(() => opener.open("remote.apiKey", altered));
  });
});
