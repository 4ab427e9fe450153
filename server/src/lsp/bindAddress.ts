/**
 * Pure decisions of `bora serve --websocket HOST:PORT`: parsing the address and whether it is
 * loopback. A host reachable from other machines must demand a token; one bound to loopback is
 * reachable by local users only, so a token there is advised, not required.
 */
import { isIP } from "node:net";

export interface BindAddress {
  /** As given, without the brackets of an IPv6 literal (`::1`, `127.0.0.1`, `localhost`). */
  host: string;
  /** 0 asks the system for a free port; the host prints the one it got. */
  port: number;
}

/** Parses `HOST:PORT`, `[IPV6]:PORT`; throws a message fit for the user. */
export function parseBindAddress(text: string): BindAddress {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (match === null) throw new Error(`--websocket needs HOST:PORT (e.g. 127.0.0.1:7007 or [::1]:7007), got ${text}`);
  const [, host = "", portText = ""] = match;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--websocket needs a port from 0 to 65535, got ${portText}`);
  if (text.startsWith("[") && isIP(host) !== 6) throw new Error(`--websocket: ${host} is not an IPv6 address`);
  return { host, port };
}

/**
 * Whether only this machine can reach `host`. `0.0.0.0` and `::` mean every interface, so they
 * are not loopback; a host name other than `localhost` may resolve anywhere, so it counts as not.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) {
    if (name === "::1" || name === "0:0:0:0:0:0:0:1") return true;
    // An IPv4-mapped loopback address (::ffff:127.0.0.1).
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name);
    return mapped?.[1] !== undefined && mapped[1].startsWith("127.");
  }
  return false;
}

/** The URL a client uses to reach a host bound to `address` on `port`. */
export function webSocketUrl(host: string, port: number, path: string): string {
  return `ws://${isIP(host) === 6 ? `[${host}]` : host}:${port}${path}`;
}
