/**
 * The common part of the service fakes: a `node:http` server on 127.0.0.1:0 with a router built
 * from path templates, a log of every request it saw (so tests can check what a client sent), and
 * failure knobs (status, headers, body, delay, dropped connection) that the next matching requests get.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRequest {
  method: string;
  /** The path without the query. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** The raw body text. */
  text: string;
  params: Record<string, string>;
}

export interface FakeResponse {
  status: number;
  /** JSON-encoded unless it is a string (then sent as text/plain). */
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface Fault {
  /** Which requests get it. Defaults to every request. */
  method?: string;
  path?: RegExp;
  /** How many matching requests get it. Defaults to 1. */
  times?: number;
  /** Answer with this status instead of the route's. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (or before dropping the connection). Defaults to 0. */
  delayMs?: number;
  /** Destroy the socket without an answer, as a reset connection looks to a client. */
  resetConnection?: boolean;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  handler: RouteHandler;
}

export function templateToPattern(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{(.+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(m[1] as string);
      // `{ref}` in check-runs may hold slashes (`heads/main`); other parameters never do.
      return m[1] === "ref" ? "(.+?)" : "([^/]+)";
    })
    .join("");
  return { pattern: new RegExp(`^${source}$`), names };
}

export abstract class HttpFake {
  private server: http.Server | undefined;
  private readonly routes: Route[] = [];
  private readonly faults: Fault[] = [];
  readonly requests: FakeRequest[] = [];
  url = "";

  protected route(method: string, template: string, handler: RouteHandler): void {
    const { pattern, names } = templateToPattern(template);
    this.routes.push({ method, template, pattern, names, handler });
  }

  /** Makes the next matching request(s) fail the given way. */
  fail(fault: Fault): this {
    this.faults.push({ times: 1, ...fault });
    return this;
  }

  /** Requests to paths that match, for assertions. */
  requestsTo(method: string, path: RegExp): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Hook for a fake to check a response before it is sent (schema gates). */
  protected check(_route: { method: string; template: string } | undefined, response: FakeResponse): FakeResponse {
    return response;
  }

  /** Hook for auth: return a response to refuse the request. */
  protected authenticate(_request: FakeRequest): FakeResponse | undefined {
    return undefined;
  }

  protected notFound(_request: FakeRequest): FakeResponse {
    return { status: 404, body: { message: "Not Found" } };
  }

  private takeFault(request: FakeRequest): Fault | undefined {
    const index = this.faults.findIndex(
      (f) =>
        (f.method === undefined || f.method === request.method) && (f.path === undefined || f.path.test(request.path)),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index] as Fault;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const request: FakeRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      text: Buffer.concat(chunks).toString("utf8"),
      params: {},
    };
    this.requests.push(request);
    const fault = this.takeFault(request);
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.resetConnection) {
      req.socket.destroy();
      return;
    }
    let response: FakeResponse;
    const matched: Route | undefined = this.routes.find(
      (r) => r.method === request.method && r.pattern.test(request.path),
    );
    try {
      const refused = this.authenticate(request);
      if (refused) response = refused;
      // A fault with a status answers instead of the route: the service did nothing.
      else if (fault?.status !== undefined) response = { status: fault.status };
      else {
        const m = matched?.pattern.exec(request.path);
        if (matched && m)
          request.params = Object.fromEntries(matched.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? "")]));
        response = matched ? await matched.handler(request) : this.notFound(request);
      }
      if (fault?.status !== undefined)
        response = { status: fault.status, body: fault.body ?? response.body, headers: fault.headers ?? {} };
      else if (fault?.headers) response = { ...response, headers: { ...response.headers, ...fault.headers } };
      response = this.check(matched, response);
    } catch (error) {
      response = { status: 500, body: `fake crashed: ${error instanceof Error ? error.stack : String(error)}` };
    }
    const headers: Record<string, string> = { ...response.headers };
    let payload = "";
    if (response.body !== undefined) {
      if (typeof response.body === "string") {
        payload = response.body;
        headers["content-type"] ??= "text/plain; charset=utf-8";
      } else {
        payload = JSON.stringify(response.body);
        headers["content-type"] ??= "application/json; charset=utf-8";
      }
    }
    res.writeHead(response.status, headers);
    res.end(payload);
  }
}

/** The parsed JSON body of a request, or form fields for `application/x-www-form-urlencoded`. */
export function bodyOf(request: FakeRequest): Record<string, unknown> {
  if (request.text === "") return {};
  if (String(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded"))
    return Object.fromEntries(new URLSearchParams(request.text));
  return JSON.parse(request.text) as Record<string, unknown>;
}

/** Items of page `page` (1-based) of `items`, `perPage` a page. */
export function pageOf<T>(items: T[], page: number, perPage: number): T[] {
  return items.slice((page - 1) * perPage, page * perPage);
}
