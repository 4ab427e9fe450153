/**
 * A loopback stand-in for OpenAI-compatible servers (vLLM, llama.cpp, Ollama, Mistral), driven by
 * a queue of replies per test: JSON answers with any status and headers, SSE streams (optionally
 * cut off, stalled or slowed), or a connection that never answers. It records every request, and
 * notices when a client closes a stream before the end.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export type Reply =
  | { kind: "json"; status?: number; headers?: Record<string, string>; body: unknown }
  | {
      kind: "sse";
      /** Each item is written as one `data:` event (objects as JSON); raw strings starting with ':' or 'event:' go as they are. */
      events: (unknown | { raw: string })[];
      /** Milliseconds between events. Defaults to 0. */
      delayMs?: number;
      /** Destroy the socket after this many events, without [DONE]. */
      dropAfter?: number;
      /** Stop writing (but keep the socket open) after this many events. */
      stallAfter?: number;
      /** Leave out the closing `data: [DONE]`. Defaults to false. */
      noDone?: boolean;
    }
  /** Accept the request and never answer. */
  | { kind: "hang" };

export interface FakeOpenAiServer {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replies to hand out, in order; when empty, `fallback` answers. */
  queue: Reply[];
  fallback: Reply;
  /** Resolves when a client has closed a stream before its end (the fake was still writing). */
  clientClosedEarly: Promise<void>;
  close(): Promise<void>;
}

export function chunk(delta: Record<string, unknown>, finish: string | null = null): unknown {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 1,
    model: "fake",
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

export function usageChunk(prompt: number, completion: number): unknown {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 1,
    model: "fake",
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

export async function startFakeOpenAiServer(): Promise<FakeOpenAiServer> {
  let markClosed!: () => void;
  const clientClosedEarly = new Promise<void>((resolve) => (markClosed = resolve));
  const state = {
    requests: [] as RecordedRequest[],
    queue: [] as Reply[],
    fallback: { kind: "json", status: 500, body: { error: { message: "no reply queued" } } } as Reply,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        // Keep raw text.
      }
      state.requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      const reply = state.queue.shift() ?? state.fallback;
      void answer(reply, res);
    });
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function answer(reply: Reply, res: http.ServerResponse): Promise<void> {
    if (reply.kind === "hang") return;
    if (reply.kind === "json") {
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
      res.end(typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    let finished = false;
    res.on("close", () => {
      if (!finished) markClosed();
    });
    for (let i = 0; i < reply.events.length; i++) {
      if (reply.dropAfter === i) {
        // Let what was written reach the client first: destroy() discards unflushed data.
        await new Promise((r) => setTimeout(r, 50));
        res.socket?.destroy();
        return;
      }
      if (reply.stallAfter === i) return;
      if (res.destroyed) return;
      const event = reply.events[i];
      const raw = (event as { raw?: unknown }).raw;
      res.write(typeof raw === "string" ? `${raw}\n\n` : `data: ${JSON.stringify(event)}\n\n`);
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    }
    if (res.destroyed) return;
    finished = true;
    res.end(reply.noDone ? "" : "data: [DONE]\n\n");
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    get queue() {
      return state.queue;
    },
    get fallback() {
      return state.fallback;
    },
    set fallback(reply: Reply) {
      state.fallback = reply;
    },
    clientClosedEarly,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  } as FakeOpenAiServer;
}
