/**
 * A Slack fake: the Web API's `chat.postMessage` (form or JSON body, Bearer token, HTTP 200 with
 * `{ok:false, error}` for platform errors, 429 with Retry-After) and incoming webhooks
 * (`application/json` only, `ok` as text, plain-text errors with 400/403/404/410). It checks the
 * payload rules Slack enforces (text with blocks, ≤ 50 blocks, section text ≤ 3,000 characters)
 * and keeps every message it accepted, so tests can read what Bora posted.
 */
import type { ChatPostMessageResponse, KnownBlock } from "@slack/web-api";
import { HttpFake, bodyOf, type FakeRequest, type FakeResponse } from "./httpFake.js";

export interface PostedMessage {
  via: "api" | "webhook";
  channel: string;
  text: string;
  blocks: KnownBlock[];
  ts: string;
  threadTs?: string;
}

interface Channel {
  id: string;
  name: string;
  member: boolean;
  archived: boolean;
}

function platformError(error: string): FakeResponse {
  return { status: 200, body: { ok: false, error } satisfies ChatPostMessageResponse };
}

/** Slack's own payload rules; the first one broken, or undefined. */
function payloadProblem(text: unknown, blocks: unknown): string | undefined {
  if (blocks === undefined) return typeof text === "string" && text.trim() !== "" ? undefined : "no_text";
  if (!Array.isArray(blocks)) return "invalid_blocks";
  if (blocks.length > 50) return "invalid_blocks";
  for (const b of blocks as { type?: string; text?: { text?: string }; elements?: unknown[] }[]) {
    if (typeof b.type !== "string") return "invalid_blocks";
    if (b.type === "section" && (b.text?.text ?? "").length > 3000) return "invalid_blocks";
    if (b.type === "actions" && (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25))
      return "invalid_blocks";
  }
  if (JSON.stringify(blocks).length > 13_000) return "msg_blocks_too_long";
  if (typeof text !== "string" || text.trim() === "") return "no_text";
  return undefined;
}

export class SlackFake extends HttpFake {
  readonly messages: PostedMessage[] = [];
  private readonly channels = new Map<string, Channel>();
  private readonly webhooks = new Map<
    string,
    { channel: string; state: "ok" | "no_service" | "channel_is_archived" }
  >();
  private seq = 1_700_000_000;

  constructor(private readonly botToken: string) {
    super();
    this.defineRoutes();
  }

  addChannel(name: string, options: { member?: boolean; archived?: boolean } = {}): string {
    const id = `C${String(this.channels.size + 1).padStart(8, "0")}`;
    this.channels.set(id, { id, name, member: options.member ?? true, archived: options.archived ?? false });
    return id;
  }

  /** Registers a webhook; returns its URL on this fake (`/services/T…/B…/<secret>`). */
  addWebhook(channelName: string, secret: string, state: "ok" | "no_service" | "channel_is_archived" = "ok"): string {
    const path = `/services/T0001/B0001/${secret}`;
    this.webhooks.set(path, { channel: channelName, state });
    return `${this.url}${path}`;
  }

  /** The next `times` API calls get a 429 with Retry-After, as Slack's tier limits send. */
  rateLimit(retryAfterSeconds: number, times = 1): this {
    return this.fail({
      times,
      path: /^\/api\//,
      status: 429,
      headers: { "retry-after": String(retryAfterSeconds) },
      body: { ok: false, error: "ratelimited" },
    });
  }

  private channelOf(ref: string): Channel | undefined {
    return this.channels.get(ref) ?? [...this.channels.values()].find((c) => `#${c.name}` === ref || c.name === ref);
  }

  private nextTs(): string {
    return `${this.seq++}.000100`;
  }

  private defineRoutes(): void {
    this.route("POST", "/api/chat.postMessage", (req: FakeRequest) => {
      const auth = String(req.headers.authorization ?? "");
      const form = bodyOf(req) as {
        channel?: string;
        text?: string;
        blocks?: string | KnownBlock[];
        thread_ts?: string;
        token?: string;
      };
      if (auth === "" && !form.token) return platformError("not_authed");
      if (auth !== `Bearer ${this.botToken}`) return platformError("invalid_auth");
      const channel = this.channelOf(form.channel ?? "");
      if (!channel) return platformError("channel_not_found");
      if (channel.archived) return platformError("is_archived");
      if (!channel.member) return platformError("not_in_channel");
      let blocks: unknown = form.blocks;
      if (typeof blocks === "string") {
        try {
          blocks = JSON.parse(blocks);
        } catch {
          return platformError("invalid_blocks");
        }
      }
      const problem = payloadProblem(form.text, blocks);
      if (problem) return platformError(problem);
      const ts = this.nextTs();
      this.messages.push({
        via: "api",
        channel: channel.id,
        text: form.text ?? "",
        blocks: (blocks ?? []) as KnownBlock[],
        ts,
        ...(form.thread_ts ? { threadTs: form.thread_ts } : {}),
      });
      const body = {
        ok: true,
        channel: channel.id,
        ts,
        message: { type: "message", text: form.text ?? "", ts },
      } satisfies ChatPostMessageResponse;
      return { status: 200, body };
    });

    this.route("POST", "/services/{team}/{bot}/{secret}", (req: FakeRequest) => {
      const hook = this.webhooks.get(req.path);
      if (!hook) return { status: 403, body: "invalid_token", headers: { "content-type": "text/html" } };
      if (hook.state === "no_service")
        return { status: 404, body: "no_service", headers: { "content-type": "text/html" } };
      if (hook.state === "channel_is_archived")
        return { status: 410, body: "channel_is_archived", headers: { "content-type": "text/html" } };
      if (!String(req.headers["content-type"] ?? "").startsWith("application/json"))
        return { status: 400, body: "invalid_payload", headers: { "content-type": "text/html" } };
      let payload: { text?: unknown; blocks?: unknown };
      try {
        payload = JSON.parse(req.text) as typeof payload;
      } catch {
        return { status: 400, body: "invalid_payload", headers: { "content-type": "text/html" } };
      }
      const problem = payloadProblem(payload.text, payload.blocks);
      if (problem) return { status: 400, body: problem, headers: { "content-type": "text/html" } };
      this.messages.push({
        via: "webhook",
        channel: hook.channel,
        text: String(payload.text),
        blocks: (payload.blocks ?? []) as KnownBlock[],
        ts: this.nextTs(),
      });
      return { status: 200, body: "ok", headers: { "content-type": "text/html" } };
    });
  }
}
