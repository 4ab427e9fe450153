/**
 * `bora serve --websocket HOST:PORT`: the agent host as a service an editor on another machine
 * (or in another container) connects to. One LSP session per WebSocket connection, one at a time;
 * the process outlives its clients. The token check and the one-editor rule are answered with an
 * HTTP status before the upgrade, so a refused client never gets a session, and says why.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { MAX_WEBSOCKET_MESSAGE_BYTES, WebSocketMessageReader, WebSocketMessageWriter } from "@bora/protocol";
import { WebSocketServer, type WebSocket } from "ws";
import type { Logger } from "../host/logger.js";
import type { BindAddress } from "./bindAddress.js";
import type { TransportStreams } from "./transport.js";

/** The one path the host answers upgrades on: room for a reverse proxy to route other paths elsewhere. */
export const WEBSOCKET_PATH = "/lsp";

/**
 * How often the host pings the client. A peer whose network vanished (laptop closed, VPN
 * dropped) sends no close frame; without a ping its session would hold the one slot for good.
 */
const PING_INTERVAL_MS = 30_000;

/** How long Ctrl-C waits for the live session to put its engines and workflows away before leaving anyway. */
const SESSION_CLOSE_GRACE_MS = 10_000;

/** Reads the token file: trimmed, not empty, and not readable by every user of the machine. */
export async function readTokenFile(file: string): Promise<string> {
  const info = await stat(file);
  // Mode bits mean nothing on Windows; elsewhere a world-readable token is anyone's token.
  if (process.platform !== "win32" && (info.mode & 0o004) !== 0)
    throw new Error(`the token file ${file} is readable by every user; chmod 600 it`);
  const token = (await readFile(file, "utf8")).trim();
  if (token === "") throw new Error(`the token file ${file} is empty`);
  return token;
}

/** Whether the upgrade request carries `Authorization: Bearer <token>`, compared in constant time. */
export function bearerMatches(expected: string, authorization: string | undefined): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  // Hashing first makes both sides the same length, so the comparison time says nothing about the token.
  const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(expected), digest(given ?? "")) && given !== undefined;
}

export interface WebSocketHostOptions {
  bind: BindAddress;
  /** Undefined: no token is asked for (loopback only; the caller enforces that). */
  token: string | undefined;
  /** The process's own log: stderr, whatever a session does with its own. */
  log: Logger;
  /** Runs one LSP session on `streams`; resolves once the session has ended and released what it held. */
  runSession(streams: TransportStreams, peer: string): Promise<void>;
}

export class WebSocketHost {
  private readonly server: http.Server;
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES });
  /** The live session's socket and its end; the slot is taken from the accepted upgrade until the session has released everything. */
  private live: { socket: WebSocket; ended: Promise<void> } | undefined;

  constructor(private readonly options: WebSocketHostOptions) {
    this.server = http.createServer((_request, response) => {
      response.writeHead(426, { "Content-Type": "text/plain", Upgrade: "websocket" });
      response.end(`This is a Bora agent host: editors connect with a WebSocket to ${WEBSOCKET_PATH}.\n`);
    });
    this.server.on("upgrade", (request, socket, head) => this.upgrade(request, socket, head));
  }

  /** Starts listening; resolves with the port actually bound (the one the system picked for port 0). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.bind.port, this.options.bind.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting, closes the live session's socket and waits (a while) for the session to release what it holds. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const live = this.live;
    if (live !== undefined) {
      live.socket.close(1001, "the agent host is shutting down");
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, SESSION_CLOSE_GRACE_MS)));
      await Promise.race([live.ended, grace]);
      clearTimeout(timer);
    }
    this.server.closeAllConnections();
    await closed;
  }

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const { log, token } = this.options;
    const peer = `${request.socket.remoteAddress ?? "?"}:${request.socket.remotePort ?? "?"}`;
    const path = new URL(request.url ?? "/", "http://host").pathname;
    if (path !== WEBSOCKET_PATH) {
      refuse(socket, 404, `No WebSocket here: editors connect to ${WEBSOCKET_PATH}.`);
      return;
    }
    if (token !== undefined && !bearerMatches(token, request.headers.authorization)) {
      // The header is never logged: a near miss is still most of a token.
      const why = request.headers.authorization === undefined ? "no token" : "a wrong token";
      log.warn(`refused a connection from ${peer}: ${why}`);
      refuse(socket, 401, "The Bora agent host refused the token.");
      return;
    }
    if (this.live !== undefined) {
      log.warn(`refused a connection from ${peer}: another editor is connected`);
      refuse(socket, 409, "Another editor is connected to this Bora agent host; it serves one at a time.");
      return;
    }
    // Taken now, before the upgrade completes, so two upgrades at once cannot both get the slot.
    const slot: { socket?: WebSocket; ended?: Promise<void> } = {};
    this.live = slot as { socket: WebSocket; ended: Promise<void> };
    this.sockets.handleUpgrade(request, socket, head, (ws) => {
      slot.socket = ws;
      log.info(`session started for ${peer}`);
      const alive = keepAlive(ws);
      const streams: TransportStreams = {
        reader: new WebSocketMessageReader(ws, (reason) => log.warn(`LSP input from ${peer}: ${reason}`)),
        writer: new WebSocketMessageWriter(ws),
        close: () => ws.close(1000),
      };
      slot.ended = this.options
        .runSession(streams, peer)
        .catch((error: unknown) => log.error(`the session for ${peer} failed`, error))
        .finally(() => {
          clearInterval(alive);
          ws.terminate();
          if (this.live === slot) this.live = undefined;
          log.info(`session ended for ${peer}; waiting for the next editor`);
        });
    });
    // `ws` completes a valid upgrade synchronously; one it refused (a malformed handshake, a socket
    // already gone) never calls back, and must not keep the slot.
    if (slot.socket === undefined && this.live === slot) this.live = undefined;
  }
}

/** Pings the client; a client that did not answer the previous ping is gone, and its socket is ended. */
function keepAlive(ws: WebSocket): NodeJS.Timeout {
  let answered = true;
  ws.on("pong", () => (answered = true));
  const timer = setInterval(() => {
    if (!answered) {
      ws.terminate();
      return;
    }
    answered = false;
    ws.ping();
  }, PING_INTERVAL_MS);
  timer.unref();
  return timer;
}

/** Answers an upgrade request with a plain HTTP status and ends the connection. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ""}\r\n` +
      "Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
