import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { WebSocketMessageReader, WebSocketMessageWriter, type MessageSocket } from "@bora/protocol";
import type { Message } from "vscode-languageserver-protocol";

/** A socket that records what is sent and lets the test deliver frames. */
class FakeSocket extends EventEmitter implements MessageSocket {
  readonly sent: string[] = [];
  failWith: Error | undefined;

  send(data: string, callback?: (error?: Error) => void): void {
    this.sent.push(data);
    callback?.(this.failWith);
  }
}

describe("JSON-RPC over WebSocket frames", () => {
  it("reads one message per text frame, from a Buffer or fragments", () => {
    const socket = new FakeSocket();
    const skipped: string[] = [];
    const got: Message[] = [];
    new WebSocketMessageReader(socket, (reason) => skipped.push(reason)).listen((message) => got.push(message));
    const message = { jsonrpc: "2.0", id: 1, method: "initialize", params: {} };
    socket.emit("message", Buffer.from(JSON.stringify(message)), false);
    const text = JSON.stringify({ jsonrpc: "2.0", method: "exit" });
    socket.emit("message", [Buffer.from(text.slice(0, 5)), Buffer.from(text.slice(5))], false);
    assert.deepEqual(got, [message, { jsonrpc: "2.0", method: "exit" }]);
    assert.deepEqual(skipped, []);
  });

  it("skips binary frames, non-JSON and non-JSON-RPC frames, and keeps reading", () => {
    const socket = new FakeSocket();
    const skipped: string[] = [];
    const got: Message[] = [];
    new WebSocketMessageReader(socket, (reason) => skipped.push(reason)).listen((message) => got.push(message));
    socket.emit("message", Buffer.from("{}"), true);
    socket.emit("message", Buffer.from("not json"), false);
    socket.emit("message", Buffer.from('{"id":1}'), false);
    socket.emit("message", Buffer.from('{"jsonrpc":"2.0","method":"ok"}'), false);
    assert.equal(skipped.length, 3);
    assert.match(skipped[0] ?? "", /binary/);
    assert.match(skipped[1] ?? "", /not JSON/);
    assert.match(skipped[2] ?? "", /not a JSON-RPC/);
    assert.deepEqual(got, [{ jsonrpc: "2.0", method: "ok" }]);
  });

  it("fires close when the socket closes, and stops listening once disposed", () => {
    const socket = new FakeSocket();
    const reader = new WebSocketMessageReader(socket);
    let closed = 0;
    reader.onClose(() => (closed += 1));
    const got: Message[] = [];
    const listening = reader.listen((message) => got.push(message));
    socket.emit("close");
    assert.equal(closed, 1);
    listening.dispose();
    socket.emit("message", Buffer.from('{"jsonrpc":"2.0","method":"late"}'), false);
    assert.deepEqual(got, []);
  });

  it("writes each message as one JSON text frame, and reports a failed send", async () => {
    const socket = new FakeSocket();
    const writer = new WebSocketMessageWriter(socket);
    await writer.write({ jsonrpc: "2.0", method: "a" } as Message);
    assert.deepEqual(socket.sent, ['{"jsonrpc":"2.0","method":"a"}']);
    socket.failWith = new Error("closed");
    const errors: unknown[] = [];
    writer.onError((error) => errors.push(error));
    await assert.rejects(writer.write({ jsonrpc: "2.0", method: "b" } as Message), /closed/);
    assert.equal(errors.length, 1);
  });
});
