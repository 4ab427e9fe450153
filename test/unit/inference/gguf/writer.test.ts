import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  GGUF_MAGIC,
  gguf,
  layoutGguf,
  readGgufHeader,
  writeGguf,
  type GgufMetadata,
  type GgufTensorSource,
} from "@bora/inference";

/** A tensor whose bytes are `fill(i)` for byte i, delivered in chunks of `chunk` bytes through one reused buffer. */
function patterned(
  name: string,
  type: GgufTensorSource["type"],
  dims: number[],
  bytes: number,
  chunk = 7,
): GgufTensorSource & { expected: Uint8Array } {
  const expected = Uint8Array.from({ length: bytes }, (_, i) => (i * 31 + name.length) & 0xff);
  return {
    name,
    type,
    dims,
    expected,
    *data() {
      const reused = new Uint8Array(chunk);
      for (let at = 0; at < bytes; at += chunk) {
        const n = Math.min(chunk, bytes - at);
        reused.set(expected.subarray(at, at + n));
        yield reused.subarray(0, n);
      }
    },
  };
}

const everyType: GgufMetadata = new Map([
  ["general.architecture", gguf.string("llama")],
  ["test.u8", gguf.u8(255)],
  ["test.i8", gguf.i8(-128)],
  ["test.u16", gguf.u16(65535)],
  ["test.i16", gguf.i16(-32768)],
  ["test.u32", gguf.u32(4294967295)],
  ["test.i32", gguf.i32(-2147483648)],
  ["test.f32", gguf.f32(0.5)],
  ["test.f64", gguf.f64(Math.PI)],
  ["test.bool", gguf.bool(true)],
  ["test.string", gguf.string("héllo 😀 ünïcode ✓")],
  ["test.u64", gguf.u64(2n ** 64n - 1n)],
  ["test.i64", gguf.i64(-(2n ** 63n))],
  ["test.strings", gguf.array("string", ["", "a", "<0x0A>", "▁the"])],
  ["test.f32s", gguf.array("f32", [1, -2.5, 0])],
  ["test.i32s", gguf.array("i32", [-1, 0, 7])],
  ["test.u64s", gguf.array("u64", [0n, 2n ** 40n])],
  ["test.bools", gguf.array("bool", [true, false])],
  ["test.empty", gguf.array("u8", [])],
]);

describe("GGUF writer and reader", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), "bora-gguf-"))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("round-trips metadata of every value type, in order", async () => {
    const file = path.join(dir, "meta.gguf");
    await writeGguf(file, everyType, []);
    const header = await readGgufHeader(file);
    assert.equal(header.version, 3);
    assert.equal(header.architecture, "llama");
    assert.deepEqual([...header.metadata.keys()], [...everyType.keys()]);
    assert.deepEqual(header.metadata, everyType);
  });

  it("places F32, F16, Q8_0 and Q4_0 tensors at aligned offsets with their bytes intact", async () => {
    const file = path.join(dir, "tensors.gguf");
    const tensors = [
      patterned("a.f32", "F32", [3, 2], 3 * 2 * 4),
      patterned("b.f16", "F16", [5], 10),
      patterned("c.q8_0", "Q8_0", [64, 3], 2 * 3 * 34, 1000),
      patterned("d.q4_0", "Q4_0", [32, 2, 2], 4 * 18, 1),
    ];
    await writeGguf(file, new Map([["general.architecture", gguf.string("llama")]]), tensors);
    const header = await readGgufHeader(file);
    assert.equal(header.dataOffset % 32, 0);
    const bytes = await readFile(file);
    assert.equal(bytes.readUInt32LE(0), GGUF_MAGIC);
    assert.deepEqual(
      header.tensors.map((t) => [t.name, t.type, t.dims, t.byteSize]),
      tensors.map((t) => [t.name, t.type, t.dims, t.expected.length]),
    );
    for (const [i, info] of header.tensors.entries()) {
      assert.equal(info.offset % 32, 0, `${info.name} is aligned`);
      const start = header.dataOffset + info.offset;
      assert.deepEqual(new Uint8Array(bytes.subarray(start, start + info.byteSize!)), tensors[i]!.expected);
    }
    assert.equal(
      bytes.length,
      layoutGguf(new Map([["general.architecture", gguf.string("llama")]]), tensors).totalBytes,
    );
  });

  it("reads a header larger than its first read of the file (5 MB of vocabulary)", async () => {
    const file = path.join(dir, "vocab.gguf");
    const tokens = Array.from({ length: 50_000 }, (_, i) => `${i}`.padEnd(80 + (i % 40), "x"));
    const metadata: GgufMetadata = new Map([
      ["general.architecture", gguf.string("llama")],
      ["tokenizer.ggml.tokens", gguf.array("string", tokens)],
      [
        "tokenizer.ggml.scores",
        gguf.array(
          "f32",
          tokens.map((_, i) => -i),
        ),
      ],
    ]);
    await writeGguf(file, metadata, [patterned("after", "F32", [2], 8)]);
    const header = await readGgufHeader(file);
    assert.ok(header.dataOffset > 4 << 20, `header of ${header.dataOffset} bytes`);
    const back = header.metadata.get("tokenizer.ggml.tokens")?.value as string[];
    assert.equal(back.length, tokens.length);
    assert.equal(back.join("\n"), tokens.join("\n"));
    assert.deepEqual(
      header.tensors.map((t) => t.name),
      ["after"],
    );
  });

  it("honours general.alignment", async () => {
    const file = path.join(dir, "aligned.gguf");
    const metadata: GgufMetadata = new Map([
      ["general.architecture", gguf.string("llama")],
      ["general.alignment", gguf.u32(64)],
    ]);
    await writeGguf(file, metadata, [patterned("x", "F32", [3], 12), patterned("y", "F32", [1], 4)]);
    const header = await readGgufHeader(file);
    assert.equal(header.alignment, 64);
    assert.equal(header.dataOffset % 64, 0);
    assert.deepEqual(
      header.tensors.map((t) => t.offset),
      [0, 64],
    );
  });

  it("streams through a bounded buffer: a tensor far larger than the buffer is written in flushes", async () => {
    const file = path.join(dir, "big.gguf");
    const flushes: number[] = [];
    const tensor = patterned("big", "F32", [1024, 256], 1024 * 256 * 4, 4096);
    await writeGguf(file, new Map([["general.architecture", gguf.string("llama")]]), [tensor], {
      bufferBytes: 64 * 1024,
      onProgress: (p) => flushes.push(p.bytesWritten),
    });
    // 1 MiB through a 64 KiB buffer: at least 16 flushes, each at most one buffer beyond the last.
    assert.ok(flushes.length >= 16, `${flushes.length} flushes`);
    flushes.forEach((at, i) => assert.ok(at - (flushes[i - 1] ?? 0) <= 64 * 1024));
    const header = await readGgufHeader(file);
    const handle = await open(file);
    const back = Buffer.alloc(tensor.expected.length);
    await handle.read(back, 0, back.length, header.dataOffset);
    await handle.close();
    assert.deepEqual(new Uint8Array(back), tensor.expected);
  });

  it("refuses a source that gives the wrong number of bytes, and leaves no file", async () => {
    const file = path.join(dir, "short.gguf");
    const metadata: GgufMetadata = new Map([["general.architecture", gguf.string("llama")]]);
    await assert.rejects(
      writeGguf(file, metadata, [{ ...patterned("w", "F32", [4], 12), dims: [4] }]),
      /'w' \(F32 4\) needs 16 bytes, its source gave 12/,
    );
    assert.equal(existsSync(file), false);
    await assert.rejects(writeGguf(file, metadata, [{ ...patterned("w", "F32", [4], 20) }]), /gave more/);
    assert.equal(existsSync(file), false);
  });

  it("refuses shapes ggml cannot store and values that do not fit their type", async () => {
    const metadata: GgufMetadata = new Map([["general.architecture", gguf.string("llama")]]);
    assert.throws(() => layoutGguf(metadata, [patterned("q", "Q4_0", [48], 27)]), /divisible by 32, got 48/);
    assert.throws(() => layoutGguf(metadata, [patterned("z", "F32", [0], 0)]), /positive integers/);
    assert.throws(() => layoutGguf(new Map([["n", gguf.u8(256)]]), []), /'n': 256 is not a valid u8/);
    assert.throws(() => layoutGguf(new Map([["n", gguf.u32(1.5)]]), []), /'n': 1.5 is not a valid u32/);
    assert.throws(
      () => layoutGguf(metadata, [patterned("t", "F32", [1], 4), patterned("t", "F32", [1], 4)]),
      /listed twice/,
    );
  });

  it("stops on abort and removes the partial file", async () => {
    const file = path.join(dir, "aborted.gguf");
    const controller = new AbortController();
    const source: GgufTensorSource = {
      name: "slow",
      type: "F32",
      dims: [1024],
      *data() {
        yield new Uint8Array(1024);
        controller.abort(new Error("stop here"));
        yield new Uint8Array(3072);
      },
    };
    await assert.rejects(
      writeGguf(file, new Map([["general.architecture", gguf.string("llama")]]), [source], {
        signal: controller.signal,
      }),
      /stop here/,
    );
    assert.equal(existsSync(file), false);
  });
});
