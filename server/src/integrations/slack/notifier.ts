/**
 * Posting Bora's notices to Slack, by incoming webhook (one URL per channel, no scopes: the default)
 * or by bot token and `chat.postMessage` (choice of channel, thread replies). Both go through the
 * shared HTTP policy; the libraries' own retries are off so that there is one retry policy.
 */
import { IncomingWebhook } from "@slack/webhook";
import { WebClient, type Logger as SlackLogger, LogLevel } from "@slack/web-api";
import { IntegrationError } from "../../http/errors.js";
import type { HttpPolicy } from "../../http/policy.js";
import { findIntegrationError } from "../../http/unwrap.js";
import { writeMarker } from "../markers.js";
import { buildNotice, type Notice } from "./messages.js";

export interface PostedNotice {
  /** The message timestamp (bot token only): the id for thread replies and updates. */
  ts?: string;
  channel?: string;
}

/**
 * What `postOnce` promises across a crash. `exactlyOnce` (bot token): the marker is looked up in the
 * channel's history before posting. `atLeastOnce` (incoming webhook): a webhook can only post, so a
 * step that crashes after Slack accepted the message posts it again when it re-runs.
 */
export type SlackDelivery = "exactlyOnce" | "atLeastOnce";

export interface SlackNotifier {
  readonly delivery: SlackDelivery;
  post(notice: Notice, options?: { threadTs?: string }): Promise<PostedNotice>;
  /**
   * Posts the notice of step `step` of task `taskId`, once if `delivery` is `exactlyOnce`. `oldest`
   * (Unix seconds, e.g. when the task started) bounds the history searched. `created` is false when
   * the message was found already posted.
   */
  postOnce(
    notice: Notice,
    marker: { taskId: string; step: string; oldest?: number },
  ): Promise<PostedNotice & { created: boolean }>;
}

/** The metadata event type that carries a write-back marker on Bora's messages. */
export const SLACK_MARKER_EVENT = "bora_write_back";

/** Messages a history page asks for: Slack recommends no more than 200. */
const HISTORY_PAGE = 200;
/**
 * How far back the look-up goes without an `oldest`: a re-run follows its crash within minutes, so
 * the marker is among the newest messages; a bound keeps a busy channel from costing hundreds of
 * calls (conversations.history is a tier-3 method, about 50 calls a minute).
 */
const MAX_HISTORY_MESSAGES = 1000;

/** A channel id as conversations.history takes it (public C…, private G…, direct D…). */
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/** What to do about each Slack error code, in the words a user needs. */
const PLATFORM_HINTS: Record<string, string> = {
  not_in_channel: "the Bora app is not in the channel: invite it there (/invite @your-app)",
  channel_not_found: "the channel does not exist or the app cannot see it: check BORA_SLACK_CHANNEL",
  is_archived: "the channel is archived: choose another BORA_SLACK_CHANNEL",
  invalid_auth: "the bot token is invalid: check SLACK_BOT_TOKEN",
  not_authed: "no bot token was sent: set SLACK_BOT_TOKEN",
  token_revoked: "the bot token was revoked: reinstall the app and set SLACK_BOT_TOKEN",
  missing_scope:
    "the bot token lacks a scope: chat:write to post, channels:history (groups:history for a private channel) to find earlier notices; add it and reinstall the app",
  msg_too_long: "the message is too long",
  msg_blocks_too_long: "the message blocks are too long",
  invalid_blocks: "Slack rejected the message blocks",
  no_text: "the message had no text",
};

const WEBHOOK_HINTS: Record<string, string> = {
  invalid_payload: "Slack rejected the message payload",
  no_service: "the webhook was removed: create a new one and set SLACK_WEBHOOK_URL",
  no_team: "the webhook's workspace is gone: set a new SLACK_WEBHOOK_URL",
  channel_not_found: "the webhook's channel was deleted: set a new SLACK_WEBHOOK_URL",
  channel_is_archived: "the webhook's channel is archived: set a new SLACK_WEBHOOK_URL",
  action_prohibited: "a workspace admin blocks this webhook",
  user_not_found: "the webhook's user was removed",
};

const quietLogger: SlackLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

export class WebhookNotifier implements SlackNotifier {
  readonly delivery: SlackDelivery = "atLeastOnce";
  private readonly webhook: IncomingWebhook;

  /** @param url the incoming-webhook URL: a secret, since it alone authorises posting. */
  constructor(url: string, policy: HttpPolicy) {
    this.webhook = new IncomingWebhook(url, {
      fetch: policy.fetchFor("slack"),
      retryConfig: { retries: 0 },
      timeout: policy.timeoutMs,
    });
  }

  /** A webhook has nothing to look up: this posts every time it is called (see `delivery`). */
  async postOnce(notice: Notice): Promise<PostedNotice & { created: boolean }> {
    return { ...(await this.post(notice)), created: true };
  }

  async post(notice: Notice): Promise<PostedNotice> {
    try {
      await this.webhook.send(buildNotice(notice));
      return {};
    } catch (error) {
      const inner = findIntegrationError(error);
      if (inner) throw inner;
      const e = error as { code?: string; statusCode?: number; body?: string };
      if (e.code === "slack_webhook_http_error") {
        const code = (e.body ?? "").trim();
        const status = e.statusCode ?? 0;
        const hint = WEBHOOK_HINTS[code] ?? `Slack answered ${status} ${code}`;
        const kind =
          status === 404 || status === 410
            ? status === 404
              ? "notFound"
              : "gone"
            : status === 403
              ? "forbidden"
              : status >= 500
                ? "unavailable"
                : "invalid";
        throw new IntegrationError("slack", kind, `Slack webhook failed (${status} ${code}): ${hint}.`, { status });
      }
      throw new IntegrationError("slack", "network", `Slack webhook request failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

export interface ChatNotifierOptions {
  /** The Web API root, ending in `/api/`. Defaults to `https://slack.com/api/`. */
  slackApiUrl?: string;
}

export class ChatNotifier implements SlackNotifier {
  readonly delivery: SlackDelivery = "exactlyOnce";
  private readonly client: WebClient;

  /** @param channel a channel id (`C0123…`) or name (`#builds`); `postOnce` needs the id. */
  constructor(
    token: string,
    readonly channel: string,
    policy: HttpPolicy,
    options: ChatNotifierOptions = {},
  ) {
    this.client = new WebClient(token, {
      slackApiUrl: options.slackApiUrl ?? "https://slack.com/api/",
      fetch: policy.fetchFor("slack"),
      // The shared policy retries and waits; Slack's default is ten retries over about thirty minutes.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: policy.timeoutMs,
      logger: quietLogger,
    });
  }

  async post(notice: Notice, options: { threadTs?: string; marker?: string } = {}): Promise<PostedNotice> {
    const message = buildNotice(notice);
    try {
      const result = await this.client.chat.postMessage({
        channel: this.channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
        ...(options.marker
          ? { metadata: { event_type: SLACK_MARKER_EVENT, event_payload: { marker: options.marker } } }
          : {}),
      });
      return { ...(result.ts ? { ts: result.ts } : {}), ...(result.channel ? { channel: result.channel } : {}) };
    } catch (error) {
      throw this.mapError(error, "chat.postMessage");
    }
  }

  /**
   * Posts exactly once for (`taskId`, `step`). The marker travels in the message's `metadata`, which
   * Slack keeps out of the rendered message and returns from conversations.history with
   * `include_all_metadata`; the channel's recent history is searched for it before posting.
   */
  async postOnce(
    notice: Notice,
    marker: { taskId: string; step: string; oldest?: number },
  ): Promise<PostedNotice & { created: boolean }> {
    const text = writeMarker(marker.taskId, marker.step);
    if (!CHANNEL_ID.test(this.channel))
      throw new IntegrationError(
        "slack",
        "invalid",
        `Slack notices sent exactly once need the channel id, not '${this.channel}': conversations.history takes ids only. ` +
          "Set BORA_SLACK_CHANNEL to the id (C0123…, shown under the channel's details in Slack).",
      );
    const found = await this.findMarked(text, marker.oldest);
    if (found) return { ts: found, channel: this.channel, created: false };
    return { ...(await this.post(notice, { marker: text })), created: true };
  }

  /**
   * Checks what exactly-once notices need: the token may read the channel's history (one message).
   * Answers the channel as the user should recognise it.
   */
  async check(): Promise<string> {
    try {
      await this.client.conversations.history({ channel: this.channel, limit: 1 });
    } catch (error) {
      throw this.mapError(error, "conversations.history");
    }
    return this.channel;
  }

  /** The ts of the newest message in the channel whose metadata carries `marker`, if any. */
  private async findMarked(marker: string, oldest: number | undefined): Promise<string | undefined> {
    let cursor: string | undefined;
    let seen = 0;
    do {
      let page;
      try {
        page = await this.client.conversations.history({
          channel: this.channel,
          limit: HISTORY_PAGE,
          include_all_metadata: true,
          ...(oldest !== undefined ? { oldest: String(oldest) } : {}),
          ...(cursor ? { cursor } : {}),
        });
      } catch (error) {
        throw this.mapError(error, "conversations.history");
      }
      for (const m of page.messages ?? []) {
        const meta = m.metadata as { event_type?: string; event_payload?: { marker?: unknown } } | undefined;
        if (meta?.event_type === SLACK_MARKER_EVENT && meta.event_payload?.marker === marker && m.ts) return m.ts;
      }
      seen += page.messages?.length ?? 0;
      cursor = page.has_more ? page.response_metadata?.next_cursor || undefined : undefined;
    } while (cursor && seen < MAX_HISTORY_MESSAGES);
    return undefined;
  }

  private mapError(error: unknown, method: string): IntegrationError {
    const inner = findIntegrationError(error);
    if (inner) return inner;
    const e = error as { code?: string; data?: { error?: string }; retryAfter?: number; statusCode?: number };
    if (e.code === "slack_webapi_platform_error") {
      // Slack answers HTTP 200 with {ok: false, error}: an error all the same.
      const code = e.data?.error ?? "unknown_error";
      const kind = ["invalid_auth", "not_authed", "token_revoked"].includes(code)
        ? "auth"
        : code === "missing_scope"
          ? "forbidden"
          : code === "channel_not_found"
            ? "notFound"
            : "invalid";
      return new IntegrationError(
        "slack",
        kind,
        `Slack ${method} in ${this.channel} failed (${code}): ${PLATFORM_HINTS[code] ?? `see https://api.slack.com/methods/${method}#errors`}.`,
      );
    }
    if (e.code === "slack_webapi_rate_limited_error")
      return new IntegrationError(
        "slack",
        "rateLimited",
        `Slack rate limit reached; retry in ${e.retryAfter ?? "?"} s.`,
        {
          status: 429,
        },
      );
    if (e.code === "slack_webapi_http_error")
      return new IntegrationError(
        "slack",
        (e.statusCode ?? 500) >= 500 ? "unavailable" : "invalid",
        `Slack answered HTTP ${e.statusCode ?? "?"} to ${method}.`,
        { ...(e.statusCode ? { status: e.statusCode } : {}) },
      );
    return new IntegrationError("slack", "network", `Slack request failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
