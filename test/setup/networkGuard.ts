/**
 * The network guard every test run loads: any attempt to reach an address that is not loopback
 * fails, and is also recorded so that a test whose code swallowed the error still fails.
 *
 * Two mechanisms, because Node has two HTTP stacks:
 * - global `fetch` (Octokit, @slack/web-api, openai) goes through undici's global dispatcher, which
 *   a MockAgent with net connect disabled except for loopback replaces;
 * - `http`/`net` clients (jira-client, the Sentry transport, git over http) resolve names through
 *   `dns.lookup`, wrapped here, and connect through `net.Socket#connect`, wrapped for IP literals.
 */
import dns from "node:dns";
import net from "node:net";
import { MockAgent, setGlobalDispatcher } from "undici";

export interface Violation {
  target: string;
  via: "fetch" | "dns" | "connect";
}

const violations: Violation[] = [];

/** True for names and addresses that stay on this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (net.isIPv4(h)) return h.startsWith("127.");
  if (net.isIPv6(h)) return h === "::1" || h === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(h);
  return false;
}

export function takeViolations(): Violation[] {
  return violations.splice(0);
}

function record(violation: Violation): Error {
  violations.push(violation);
  const error = new Error(
    `network guard: blocked a connection to ${violation.target} (${violation.via}); tests may only reach loopback`,
  );
  (error as NodeJS.ErrnoException).code = "ETRIPWIRE";
  // Child processes (the host under test) have no mocha hook: stderr is where their harness looks.
  process.stderr.write(`${error.message}\n`);
  return error;
}

let installed = false;

export function installNetworkGuard(): void {
  if (installed) return;
  installed = true;

  const agent = new MockAgent();
  agent.disableNetConnect();
  agent.enableNetConnect((hostWithPort: string) => {
    const host = hostWithPort.replace(/:\d+$/, "");
    if (isLoopbackHost(host)) return true;
    record({ target: hostWithPort, via: "fetch" });
    return false;
  });
  setGlobalDispatcher(agent);

  const originalLookup = dns.lookup.bind(dns);
  const guardedLookup = ((hostname: string, ...rest: unknown[]) => {
    const callback = rest[rest.length - 1] as (err: Error | null, ...values: unknown[]) => void;
    if (!isLoopbackHost(hostname)) {
      const error = record({ target: hostname, via: "dns" });
      process.nextTick(() => callback(error));
      return;
    }
    return (originalLookup as (...args: unknown[]) => void)(hostname, ...rest);
  }) as typeof dns.lookup;
  dns.lookup = guardedLookup;
  const originalPromiseLookup = dns.promises.lookup.bind(dns.promises);
  dns.promises.lookup = ((hostname: string, ...rest: unknown[]) => {
    if (!isLoopbackHost(hostname)) return Promise.reject(record({ target: hostname, via: "dns" }));
    return (originalPromiseLookup as (...args: unknown[]) => Promise<unknown>)(hostname, ...rest);
  }) as typeof dns.promises.lookup;

  // IP literals skip dns.lookup, so check them where the socket connects.
  const originalConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const [first, second] = args;
    let host: string | undefined;
    if (typeof first === "object" && first !== null && !Array.isArray(first)) {
      const options = first as { host?: string; path?: string };
      if (options.path === undefined) host = options.host ?? "localhost";
    } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
      host = typeof second === "string" ? second : "localhost";
    }
    if (host !== undefined && net.isIP(host.replace(/^\[|\]$/g, "")) !== 0 && !isLoopbackHost(host)) {
      const error = record({ target: host, via: "connect" });
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
}

installNetworkGuard();

/** Mocha root hook: a test that tried to leave loopback fails, even if its code caught the error. */
export const mochaHooks = {
  afterEach(): void {
    const seen = takeViolations();
    if (seen.length > 0) {
      throw new Error(
        `this test tried to reach non-loopback addresses: ${seen.map((v) => `${v.target} via ${v.via}`).join(", ")}`,
      );
    }
  },
};
