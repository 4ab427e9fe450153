import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { EngineError, gguf, readGgufHeader, writeGguf, type EngineErrorCode, type GgufMetadata } from "@bora/inference";

function rejectsWith(code: EngineErrorCode, message: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  };
}

describe("GGUF header validation", () => {
  let dir: string;
  let good: string;
  const metadata: GgufMetadata = new Map([
    ["general.architecture", gguf.string("llama")],
    ["tokenizer.ggml.tokens", gguf.array("string", ["a", "b", "c"])],
  ]);
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "bora-gguf-errors-"));
    good = path.join(dir, "good.gguf");
    await writeGguf(good, metadata, [
      { name: "w", type: "F32", dims: [64, 4], data: () => [new Uint8Array(64 * 4 * 4)] },
      { name: "v", type: "Q8_0", dims: [32, 2], data: () => [new Uint8Array(2 * 34)] },
    ]);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  async function copyOfGood(name: string, edit: (bytes: Buffer) => Buffer): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, edit(await readFile(good)));
    return file;
  }

  it("accepts the intact file", async () => {
    const header = await readGgufHeader(good);
    assert.deepEqual(
      header.tensors.map((t) => t.name),
      ["w", "v"],
    );
  });

  it("calls a text file, an empty file and a folder notGguf, and says what a GGUF is", async () => {
    const text = path.join(dir, "model.gguf.txt");
    await writeFile(text, "<!DOCTYPE html><html>Sign in to download</html>");
    await assert.rejects(readGgufHeader(text), rejectsWith("notGguf", /is not a GGUF model file.*download a \.gguf/s));
    const empty = path.join(dir, "empty.gguf");
    await writeFile(empty, "");
    await assert.rejects(readGgufHeader(empty), rejectsWith("notGguf", /not a GGUF model file/));
    await assert.rejects(readGgufHeader(dir), rejectsWith("notGguf", /is a folder/));
  });

  it("names an unsupported GGUF version and a big-endian file", async () => {
    const v1 = await copyOfGood("v1.gguf", (b) => (b.writeUInt32LE(1, 4), b));
    await assert.rejects(readGgufHeader(v1), rejectsWith("notGguf", /GGUF version 1; Bora reads versions 2 and 3/));
    const bigEndian = await copyOfGood("be.gguf", (b) => (b.writeUInt32BE(3, 4), b));
    await assert.rejects(readGgufHeader(bigEndian), rejectsWith("notGguf", /big-endian/));
  });

  it("calls a file cut anywhere truncatedModel and says to download it again", async () => {
    const header = await readGgufHeader(good);
    const last = header.tensors.at(-1)!;
    const dataEnd = header.dataOffset + last.offset + last.byteSize!;
    // Cuts inside the counts, inside the metadata strings, inside the tensor infos and inside the data
    // (the last byte of the last tensor; what follows it is only alignment padding).
    for (const at of [6, 30, 60, 120, header.dataOffset + 10, dataEnd - 1]) {
      const file = path.join(dir, `cut-${at}.gguf`);
      await writeFile(file, await readFile(good));
      await truncate(file, at);
      await assert.rejects(
        readGgufHeader(file),
        rejectsWith("truncatedModel", /incomplete .*interrupted\. Delete it and download it again/),
        `cut at ${at}`,
      );
    }
  });

  it("calls a header with impossible values damaged (truncatedModel) without allocating for them", async () => {
    // The first key's length field, set to 2^50: far past the end of the file.
    const hugeKey = await copyOfGood("huge-key.gguf", (b) => (b.writeBigUInt64LE(2n ** 50n, 24), b));
    await assert.rejects(readGgufHeader(hugeKey), rejectsWith("truncatedModel", /past the end of the file/));
    const hugeCount = await copyOfGood("huge-count.gguf", (b) => (b.writeBigUInt64LE(2n ** 40n, 16), b));
    await assert.rejects(readGgufHeader(hugeCount), rejectsWith("truncatedModel", /damaged GGUF header/));
  });

  it("refuses an architecture llama.cpp cannot run, and a file without one", async () => {
    const other = path.join(dir, "other.gguf");
    await writeGguf(other, new Map([["general.architecture", gguf.string("frobnicator")]]), []);
    await assert.rejects(
      readGgufHeader(other),
      rejectsWith("unsupportedArchitecture", /'frobnicator' model, which the bundled llama\.cpp cannot run/),
    );
    const none = path.join(dir, "none.gguf");
    await writeGguf(none, new Map([["general.name", gguf.string("x")]]), []);
    await assert.rejects(readGgufHeader(none), rejectsWith("unsupportedArchitecture", /no 'general.architecture'/));
    // A caller can narrow the list, e.g. to what its engine has been tested with.
    await assert.rejects(
      readGgufHeader(good, { architectures: ["qwen2"] }),
      rejectsWith("unsupportedArchitecture", /'llama' model/),
    );
  });

  it("calls a missing file modelNotFound", async () => {
    await assert.rejects(
      readGgufHeader(path.join(dir, "nope.gguf")),
      rejectsWith("modelNotFound", /no model file at .*nope\.gguf/),
    );
  });
});
