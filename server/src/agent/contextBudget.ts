/**
 * Keeps the conversation inside the model's context window. The system prompt (with the workspace
 * rules) and the task are never touched. When the prompt grows too large, old tool output is cut to
 * its head and tail first (it is the bulk and the least needed later); if that is not enough, the
 * oldest turns are folded into one summary message (compaction), oldest first, always keeping the
 * most recent turns whole. The summary is built from the turns themselves, not by the model, so it
 * costs nothing and cannot fail.
 */
import type { ChatMessage } from "@bora/inference";

export interface ContextBudgetOptions {
  /** Tokens the prompt may use: the context window minus room for the reply. */
  maxPromptTokens: number;
  /** Turns at the end that are never truncated or compacted. Defaults to 2. */
  keepRecentTurns?: number;
  /** Characters an old tool result keeps when truncated (head and tail). Defaults to 800. */
  truncatedResultChars?: number;
}

export interface FitResult {
  messages: ChatMessage[];
  promptTokens: number;
  truncatedResults: number;
  summarizedTurns: number;
  /** False when even the fixed part plus the recent turns do not fit. */
  fits: boolean;
}

/** Marks the summary message so a later compaction extends it instead of summarizing a summary. */
export const SUMMARY_HEADER = "[Bora: earlier turns were compacted to fit the context window. What happened in them:]";
const TRUNCATED_MARK = "[... truncated by Bora to save context";

type Counter = (text: string) => Promise<number>;

function messageText(message: ChatMessage): string {
  if (message.role === "assistant" && message.toolCalls?.length) {
    return `${message.content}\n${message.toolCalls.map((c) => `${c.name}(${JSON.stringify(c.arguments)})`).join("\n")}`;
  }
  return message.content;
}

/** Cuts text to its head and tail around a marker that says how much went missing. */
export function headTail(text: string, keepChars: number): string {
  if (text.length <= keepChars || text.includes(TRUNCATED_MARK)) return text;
  const head = text.slice(0, Math.ceil(keepChars / 2));
  const tail = text.slice(text.length - Math.floor(keepChars / 2));
  const dropped = text.length - head.length - tail.length;
  return `${head}\n${TRUNCATED_MARK}: ${dropped} characters omitted; repeat the tool call to see them again ...]\n${tail}`;
}

/** Index ranges of turns: an assistant message and the tool results that follow it. */
function turnRanges(messages: ChatMessage[], from: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let i = from; i < messages.length; i++) {
    if (messages[i]!.role === "assistant") ranges.push([i, i + 1]);
    else if (ranges.length > 0) ranges[ranges.length - 1]![1] = i + 1;
  }
  return ranges;
}

function summarizeTurn(messages: ChatMessage[]): string {
  const lines: string[] = [];
  for (const message of messages) {
    if (message.role === "assistant") {
      const said = message.content.trim().replace(/\s+/g, " ");
      if (said) lines.push(`- you said: ${said.slice(0, 200)}${said.length > 200 ? "…" : ""}`);
      for (const call of message.toolCalls ?? []) {
        const args = JSON.stringify(call.arguments);
        lines.push(`- you called ${call.name}(${args.length > 160 ? `${args.slice(0, 160)}…` : args})`);
      }
    } else if (message.role === "tool") {
      const first = message.content.split("\n").slice(0, 2).join(" | ").trim();
      lines.push(`  → ${first.slice(0, 160)}${first.length > 160 ? "…" : ""}`);
    } else if (message.role === "user" && !message.content.startsWith(SUMMARY_HEADER)) {
      lines.push(`- the user said: ${message.content.slice(0, 200)}`);
    }
  }
  return lines.join("\n");
}

export class ContextBudget {
  private readonly counts = new WeakMap<ChatMessage, number>();

  constructor(
    private readonly count: Counter,
    private readonly options: ContextBudgetOptions,
  ) {}

  /** Tokens of the whole prompt; each message counts a few tokens of chat-template overhead too. */
  async measure(messages: ChatMessage[]): Promise<number> {
    let total = 0;
    for (const message of messages) {
      let n = this.counts.get(message);
      if (n === undefined) {
        n = (await this.count(messageText(message))) + 4;
        this.counts.set(message, n);
      }
      total += n;
    }
    return total;
  }

  /** The summary may use a quarter of the budget; past that its oldest lines go, replaced by a count. */
  private async capSummary(summary: string, maxTokens: number): Promise<string> {
    if ((await this.count(summary)) <= maxTokens) return summary;
    const lines = summary.split("\n").slice(1);
    let omitted = 0;
    const marker = /^- \((\d+) older steps omitted\)$/.exec(lines[0] ?? "");
    if (marker) {
      omitted = Number(marker[1]);
      lines.shift();
    }
    let text = summary;
    while (lines.length > 1) {
      lines.shift();
      omitted++;
      text = `${SUMMARY_HEADER}\n- (${omitted} older steps omitted)\n${lines.join("\n")}`;
      if ((await this.count(text)) <= maxTokens) break;
    }
    return text;
  }

  /**
   * Returns messages that fit. `fixed` is how many leading messages are never changed (system
   * prompt and task).
   */
  async fit(input: ChatMessage[], fixed: number): Promise<FitResult> {
    const keep = this.options.keepRecentTurns ?? 2;
    const keepChars = this.options.truncatedResultChars ?? 800;
    const max = this.options.maxPromptTokens;
    let messages = [...input];
    let tokens = await this.measure(messages);
    let truncatedResults = 0;
    let summarizedTurns = 0;
    if (tokens <= max) return { messages, promptTokens: tokens, truncatedResults, summarizedTurns, fits: true };

    // 1. Truncate tool results of old turns, oldest first.
    const ranges = turnRanges(messages, fixed);
    const old = ranges.slice(0, Math.max(0, ranges.length - keep));
    outer: for (const [start, end] of old) {
      for (let i = start; i < end; i++) {
        const message = messages[i]!;
        if (message.role !== "tool") continue;
        const cut = headTail(message.content, keepChars);
        if (cut === message.content) continue;
        messages[i] = { ...message, content: cut };
        truncatedResults++;
        tokens = await this.measure(messages);
        if (tokens <= max) break outer;
      }
    }
    if (tokens <= max) return { messages, promptTokens: tokens, truncatedResults, summarizedTurns, fits: true };

    // 2. Fold the oldest turns into the summary message, one at a time.
    let summary =
      messages[fixed]?.role === "user" && messages[fixed].content.startsWith(SUMMARY_HEADER)
        ? messages[fixed].content
        : undefined;
    let bodyStart = summary === undefined ? fixed : fixed + 1;
    while (tokens > max) {
      const remaining = turnRanges(messages, bodyStart);
      if (remaining.length <= keep) break;
      const [start, end] = remaining[0]!;
      // Anything between the summary and the first turn (e.g. a user reply) goes with that turn.
      const folded = messages.slice(bodyStart, end);
      void start;
      summary = await this.capSummary(`${summary ?? SUMMARY_HEADER}\n${summarizeTurn(folded)}`, Math.floor(max / 4));
      const summaryMessage: ChatMessage = { role: "user", content: summary };
      messages = [...messages.slice(0, fixed), summaryMessage, ...messages.slice(end)];
      bodyStart = fixed + 1;
      summarizedTurns++;
      tokens = await this.measure(messages);
    }
    if (tokens <= max) return { messages, promptTokens: tokens, truncatedResults, summarizedTurns, fits: true };

    // 3. Last resort: cut the recent tool results too.
    for (let i = bodyStart; i < messages.length && tokens > max; i++) {
      const message = messages[i]!;
      if (message.role !== "tool") continue;
      const cut = headTail(message.content, keepChars);
      if (cut === message.content) continue;
      messages[i] = { ...message, content: cut };
      truncatedResults++;
      tokens = await this.measure(messages);
    }
    return { messages, promptTokens: tokens, truncatedResults, summarizedTurns, fits: tokens <= max };
  }
}
