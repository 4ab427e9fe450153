/**
 * The Block Kit messages Bora posts: task done, pull request opened, approval needed, failed. Each
 * carries `text` as the notification fallback, escapes user-derived text for mrkdwn, and keeps
 * every section well under Slack's limits (3,000 characters a section, 50 blocks).
 */
import type { KnownBlock } from "@slack/web-api";

export type NoticeKind = "taskDone" | "prOpened" | "needsApproval" | "failed";

export interface Notice {
  kind: NoticeKind;
  /** What the task was about, one line ("Fix crash on save"). */
  title: string;
  /** The work item, when the task came from one. */
  item?: { key: string; url: string };
  /** The pull request, once there is one. */
  pullRequest?: { url: string; number?: number };
  /** A short summary of what happened (Markdown-free text). Defaults to none. */
  summary?: string;
  /** For `failed`: what went wrong. */
  error?: string;
  /** For `needsApproval`: what needs approving ("run `npm publish`"). */
  approval?: string;
  /** A link that opens the task in the editor or a dashboard. Defaults to none. */
  taskUrl?: string;
}

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Section text limit is 3,000; a notice stays far below so messages never hit msg_blocks_too_long. */
const MAX_SECTION = 1500;

/** Escapes the three characters mrkdwn treats as markup. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function clip(text: string, max = MAX_SECTION): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A mrkdwn link; the URL must not contain `|` or `>`, which end Slack's link syntax. */
function link(url: string, label: string): string {
  return `<${url.replace(/[|>]/g, encodeURIComponent)}|${escapeMrkdwn(label)}>`;
}

const HEADLINE: Record<NoticeKind, { emoji: string; verb: string }> = {
  taskDone: { emoji: ":white_check_mark:", verb: "Task done" },
  prOpened: { emoji: ":rocket:", verb: "Pull request opened" },
  needsApproval: { emoji: ":raised_hand:", verb: "Needs approval" },
  failed: { emoji: ":x:", verb: "Task failed" },
};

export function buildNotice(notice: Notice): SlackMessage {
  const head = HEADLINE[notice.kind];
  const title = clip(notice.title, 200);
  const blocks: KnownBlock[] = [
    { type: "section", text: { type: "mrkdwn", text: `${head.emoji} *${head.verb}:* ${escapeMrkdwn(title)}` } },
  ];
  const details: string[] = [];
  if (notice.summary) details.push(escapeMrkdwn(clip(notice.summary)));
  if (notice.kind === "failed" && notice.error) details.push(`*Error:* ${escapeMrkdwn(clip(notice.error, 800))}`);
  if (notice.kind === "needsApproval" && notice.approval)
    details.push(`*Waiting for:* ${escapeMrkdwn(clip(notice.approval, 800))}`);
  if (details.length > 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: details.join("\n\n") } });
  const context: string[] = [];
  if (notice.item) context.push(link(notice.item.url, notice.item.key));
  if (notice.pullRequest)
    context.push(
      link(notice.pullRequest.url, notice.pullRequest.number ? `PR #${notice.pullRequest.number}` : "Pull request"),
    );
  if (context.length > 0) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: context.join("  ·  ") }] });
  const buttons: KnownBlock = { type: "actions", elements: [] };
  if (notice.pullRequest)
    buttons.elements.push({
      type: "button",
      text: { type: "plain_text", text: "Open pull request" },
      url: notice.pullRequest.url,
      action_id: "bora_open_pr",
    });
  if (notice.taskUrl)
    buttons.elements.push({
      type: "button",
      text: { type: "plain_text", text: notice.kind === "needsApproval" ? "Review and approve" : "Open task" },
      url: notice.taskUrl,
      action_id: "bora_open_task",
      ...(notice.kind === "needsApproval" ? { style: "primary" as const } : {}),
    });
  if (buttons.elements.length > 0) blocks.push(buttons);
  const fallback = [
    `${head.verb}: ${title}`,
    notice.pullRequest?.url,
    notice.kind === "failed" ? notice.error : undefined,
  ]
    .filter(Boolean)
    .join(" — ");
  return { text: clip(fallback, 300), blocks };
}
