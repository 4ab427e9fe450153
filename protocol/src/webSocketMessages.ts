/**
 * JSON-RPC over a WebSocket: one message per text frame, no `Content-Length` headers (the frame
 * is the envelope). The host (`bora serve --websocket`) and the extension (`bora.agentHost.url`)
 * both use these. They take a minimal socket shape, the part of the `ws` package's `WebSocket`
 * they need, so `protocol/` itself does not depend on `ws`.
 */
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  type DataCallback,
  type Disposable,
  type Message,
} from "vscode-languageserver-protocol";

/** The part of a `ws` WebSocket the reader and writer use. */
export interface MessageSocket {
  send(data: string, callback?: (error?: Error) => void): void;
  on(event: "message", listener: (data: unknown, isBinary: boolean) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "message", listener: (data: unknown, isBinary: boolean) => void): unknown;
  off(event: "close", listener: () => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * Largest text frame accepted, in bytes. A whole file's contents travel in one `didOpen`, so the
 * limit is generous; it only stops a broken or hostile peer from making the other side buffer
 * without end (the `ws` package enforces it as `maxPayload`).
 */
export const MAX_WEBSOCKET_MESSAGE_BYTES = 64 * 1024 * 1024;

function looksLikeJsonRpc(value: unknown): value is Message {
  return typeof value === "object" && value !== null && (value as { jsonrpc?: unknown }).jsonrpc === "2.0";
}

/** The text of a frame as `ws` delivers it: a Buffer, an ArrayBuffer or Buffer fragments. */
function frameText(data: unknown): string | undefined {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (Array.isArray(data)) return data.map((part) => frameText(part) ?? "").join("");
  if (data instanceof Uint8Array) return new TextDecoder().decode(data);
  return undefined;
}

export class WebSocketMessageReader extends AbstractMessageReader {
  constructor(
    private readonly socket: MessageSocket,
    /** Told about a frame that is skipped (not JSON, not JSON-RPC, binary); the connection stays. */
    private readonly onSkipped: (reason: string) => void = () => undefined,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const onMessage = (data: unknown, isBinary: boolean): void => {
      const text = isBinary ? undefined : frameText(data);
      if (text === undefined) {
        this.onSkipped("skipped a binary WebSocket frame: JSON-RPC travels in text frames");
        return;
      }
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        this.onSkipped("skipped a WebSocket frame that is not JSON");
        return;
      }
      if (looksLikeJsonRpc(message)) callback(message);
      else this.onSkipped("skipped a JSON frame that is not a JSON-RPC 2.0 message");
    };
    const onError = (error: Error): void => this.fireError(error);
    const onClose = (): void => this.fireClose();
    this.socket.on("message", onMessage);
    this.socket.on("error", onError);
    this.socket.on("close", onClose);
    return {
      dispose: () => {
        this.socket.off("message", onMessage);
        this.socket.off("error", onError);
        this.socket.off("close", onClose);
      },
    };
  }
}

export class WebSocketMessageWriter extends AbstractMessageWriter {
  private errors = 0;

  constructor(private readonly socket: MessageSocket) {
    super();
  }

  write(message: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(JSON.stringify(message), (error) => {
        if (error === undefined || error === null) {
          this.errors = 0;
          resolve();
          return;
        }
        this.errors += 1;
        this.fireError(error, message, this.errors);
        reject(error);
      });
    });
  }

  end(): void {
    // The socket's owner closes it; a writer has nothing of its own to end.
  }
}
