/**
 * A `MessageReader` over a byte stream that logs and skips malformed input instead of going deaf
 * (see `FrameParser`). Used for the stdio and socket transports.
 */
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from "vscode-languageserver/node";
import { FrameParser } from "./frameParser.js";

function looksLikeJsonRpc(value: unknown): value is Message {
  return typeof value === "object" && value !== null && (value as { jsonrpc?: unknown }).jsonrpc === "2.0";
}

export class ResilientMessageReader extends AbstractMessageReader {
  private readonly parser = new FrameParser();

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly onSkipped: (reason: string) => void,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      for (const frame of this.parser.push(bytes)) {
        if (frame.kind === "error") {
          this.onSkipped(frame.reason);
        } else if (looksLikeJsonRpc(frame.message)) {
          callback(frame.message);
        } else {
          this.onSkipped("skipped a JSON body that is not a JSON-RPC 2.0 message");
        }
      }
    };
    const onError = (error: Error): void => this.fireError(error);
    const onClose = (): void => this.fireClose();
    this.input.on("data", onData);
    this.input.on("error", onError);
    this.input.on("end", onClose);
    this.input.on("close", onClose);
    return {
      dispose: () => {
        this.input.off("data", onData);
        this.input.off("error", onError);
        this.input.off("end", onClose);
        this.input.off("close", onClose);
      },
    };
  }
}
