/**
 * A Slack fake: the Web API's `chat.postMessage` (form or JSON body, Bearer token, HTTP 200 with
 * `{ok:false, error}` for platform errors, 429 with Retry-After) and incoming webhooks
 * (`application/json` only, `ok` as text, plain-text errors with 400/403/404/410). It checks the
 * payload rules Slack enforces (text with blocks, ≤ 50 blocks, section text ≤ 3,000 characters)
 * and keeps every message it accepted, so tests can read what Bora posted. `conversations.history`
 * serves them back newest first, with cursor pagination and the messages' `metadata` only when
 * `include_all_metadata` is set, as Slack does.
 */
import type {
  ChatPostMessageResponse,
  ConversationsHistoryResponse,
  KnownBlock,
  MessageMetadata,
} from "@slack/web-api";
import { HttpFake, bodyOf, type FakeRequest, type FakeResponse } from "./httpFake.js";

type HistoryBlocks = NonNullable<NonNullable<ConversationsHistoryResponse["messages"]>[number]["blocks"]>;

export interface PostedMessage {
  via: "api" | "webhook";
  channel: string;
  text: string;
  blocks: KnownBlock[];
  ts: string;
  threadTs?: string;
  metadata?: MessageMetadata;
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

  /** Adds a message someone else posted (for history pages); returns its ts. */
  addHistory(channelId: string, text: string, metadata?: MessageMetadata): string {
    const ts = this.nextTs();
    this.messages.push({ via: "api", channel: channelId, text, blocks: [], ts, ...(metadata ? { metadata } : {}) });
    return ts;
  }

  /** The Web API's token check: Bearer header or a `token` form field. */
  private authError(req: FakeRequest, form: { token?: unknown }): FakeResponse | undefined {
    const auth = String(req.headers.authorization ?? "");
    if (auth === "" && !form.token) return platformError("not_authed");
    if (auth !== `Bearer ${this.botToken}` && form.token !== this.botToken) return platformError("invalid_auth");
    return undefined;
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
        metadata?: string | MessageMetadata;
      };
      if (auth === "" && !form.token) return platformError("not_authed");
      if (auth !== `Bearer ${this.botToken}`) return platformError("invalid_auth");
      let metadata: unknown = form.metadata;
      if (typeof metadata === "string") {
        try {
          metadata = JSON.parse(metadata);
        } catch {
          return platformError("invalid_metadata_format");
        }
      }
      if (
        metadata !== undefined &&
        (typeof metadata !== "object" ||
          metadata === null ||
          typeof (metadata as MessageMetadata).event_type !== "string" ||
          typeof (metadata as MessageMetadata).event_payload !== "object")
      )
        return platformError("invalid_metadata_schema");
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
        ...(metadata ? { metadata: metadata as MessageMetadata } : {}),
      });
      const body = {
        ok: true,
        channel: channel.id,
        ts,
        message: { type: "message", text: form.text ?? "", ts },
      } satisfies ChatPostMessageResponse;
      return { status: 200, body };
    });

    // conversations.history: a channel id only (names are channel_not_found), newest first, thread
    // replies left out, `limit` (Slack's maximum is 999) with an opaque `next_cursor`, and `oldest`.
    const history = (req: FakeRequest): FakeResponse => {
      const form = { ...Object.fromEntries(req.query), ...bodyOf(req) } as Record<string, string | undefined>;
      const refused = this.authError(req, form);
      if (refused) return refused;
      const channel = this.channels.get(form.channel ?? "");
      if (!channel) return platformError("channel_not_found");
      if (!channel.member) return platformError("not_in_channel");
      const limit = Math.min(999, Math.max(1, Number(form.limit ?? 100) || 100));
      let offset = 0;
      if (form.cursor) {
        const decoded = /^offset:(\d+)$/.exec(Buffer.from(form.cursor, "base64").toString("utf8"));
        if (!decoded) return platformError("invalid_cursor");
        offset = Number(decoded[1]);
      }
      const oldest = Number(form.oldest ?? 0);
      const withMetadata = form.include_all_metadata === "true" || form.include_all_metadata === "1";
      const all = this.messages
        .filter((m) => m.via === "api" && m.channel === channel.id && !m.threadTs && Number(m.ts) > oldest)
        .reverse();
      const page = all.slice(offset, offset + limit);
      const hasMore = offset + limit < all.length;
      const body = {
        ok: true,
        messages: page.map((m) => ({
          type: "message",
          text: m.text,
          ts: m.ts,
          bot_id: "B00000001",
          app_id: "A00000001",
          // The generated response types describe blocks loosely and differently from KnownBlock.
          ...(m.blocks.length ? { blocks: m.blocks as unknown as HistoryBlocks } : {}),
          ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
        })),
        has_more: hasMore,
        pin_count: 0,
        response_metadata: { next_cursor: hasMore ? Buffer.from(`offset:${offset + limit}`).toString("base64") : "" },
      } satisfies ConversationsHistoryResponse;
      return { status: 200, body };
    };
    this.route("POST", "/api/conversations.history", history);
    this.route("GET", "/api/conversations.history", history);

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
