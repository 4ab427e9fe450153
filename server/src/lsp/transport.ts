/**
 * The transports the host speaks LSP over: stdio (editors spawn it), node-ipc (VS Code's forked
 * Node module), and a socket or pipe the client listens on (the LSP convention: the client owns
 * the port and the host connects to it).
 */
import * as net from "node:net";
import {
  IPCMessageReader,
  IPCMessageWriter,
  StreamMessageWriter,
  type MessageReader,
  type MessageWriter,
} from "vscode-languageserver/node";
import { ResilientMessageReader } from "./resilientReader.js";

export type Transport =
  | { kind: "stdio" }
  | { kind: "node-ipc" }
  | { kind: "socket"; port: number; host?: string }
  | { kind: "pipe"; name: string };

export interface TransportStreams {
  reader: MessageReader;
  writer: MessageWriter;
  /** Closes whatever the transport opened (a socket); stdio and ipc belong to the process. */
  close(): void;
}

export function describeTransport(transport: Transport): string {
  switch (transport.kind) {
    case "stdio":
      return "stdio";
    case "node-ipc":
      return "node-ipc";
    case "socket":
      return `socket ${transport.host ?? "127.0.0.1"}:${transport.port}`;
    case "pipe":
      return `pipe ${transport.name}`;
  }
}

/** Opens the transport. For a socket or pipe this resolves once connected. */
export async function openTransport(
  transport: Transport,
  onSkipped: (reason: string) => void,
): Promise<TransportStreams> {
  switch (transport.kind) {
    case "stdio":
      return {
        reader: new ResilientMessageReader(process.stdin, onSkipped),
        writer: new StreamMessageWriter(process.stdout),
        close: () => undefined,
      };
    case "node-ipc":
      if (typeof process.send !== "function") {
        throw new Error("--node-ipc needs a parent that started this process with an IPC channel (child_process.fork)");
      }
      return { reader: new IPCMessageReader(process), writer: new IPCMessageWriter(process), close: () => undefined };
    case "socket":
    case "pipe": {
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const s =
          transport.kind === "socket"
            ? net.connect(transport.port, transport.host ?? "127.0.0.1")
            : net.connect(transport.name);
        s.once("connect", () => resolve(s));
        s.once("error", reject);
      });
      return {
        reader: new ResilientMessageReader(socket, onSkipped),
        writer: new StreamMessageWriter(socket),
        close: () => socket.destroy(),
      };
    }
  }
}
