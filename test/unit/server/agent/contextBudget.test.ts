import assert from "node:assert/strict";
import type { ChatMessage } from "@bora/inference";
import { ContextBudget, SUMMARY_HEADER } from "../../../../server/src/agent/contextBudget.js";

/** One token per 4 characters: a stand-in tokenizer, monotone in length like a real one. */
const count = (text: string): Promise<number> => Promise.resolve(Math.ceil(text.length / 4));

function conversation(turns: number, resultChars: number): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: "system", content: "SYSTEM RULES: keep prices in cents" },
    { role: "user", content: "TASK: fix the failing cart test" },
  ];
  for (let i = 1; i <= turns; i++) {
    messages.push({
      role: "assistant",
      content: `step ${i}`,
      toolCalls: [{ id: `c${i}`, name: "read_file", arguments: { path: `f${i}.js` } }],
    });
    messages.push({
      role: "tool",
      toolCallId: `c${i}`,
      name: "read_file",
      content: `f${i}.js lines 1-9\n${"x".repeat(resultChars)}`,
    });
  }
  return messages;
}

describe("context budget", () => {
  it("leaves a prompt that fits alone", async () => {
    const input = conversation(2, 100);
    const result = await new ContextBudget(count, { maxPromptTokens: 10000 }).fit(input, 2);
    assert.equal(result.fits, true);
    assert.deepEqual(result.messages, input);
  });

  it("truncates old tool output first, keeping the recent turns whole", async () => {
    const input = conversation(6, 4000);
    const budget = new ContextBudget(count, { maxPromptTokens: 4000, keepRecentTurns: 2 });
    const result = await budget.fit(input, 2);
    assert.equal(result.fits, true);
    assert.ok(result.truncatedResults > 0);
    assert.equal(result.summarizedTurns, 0);
    assert.ok(result.promptTokens <= 4000);
    const tools = result.messages.filter((m) => m.role === "tool");
    assert.match(tools[0]!.content, /truncated by Bora/);
    assert.equal(tools.at(-1)!.content, input.at(-1)!.content);
    assert.equal(tools.at(-2)!.content, input.at(-3)!.content);
  });

  it("compacts old turns into a summary when truncation is not enough, and never touches the task or rules", async () => {
    const input = conversation(40, 400);
    const result = await new ContextBudget(count, { maxPromptTokens: 1200, keepRecentTurns: 2 }).fit(input, 2);
    assert.equal(result.fits, true);
    assert.ok(result.summarizedTurns > 0);
    assert.deepEqual(result.messages[0], input[0]);
    assert.deepEqual(result.messages[1], input[1]);
    assert.ok(result.messages[2]!.content.startsWith(SUMMARY_HEADER));
    // The newest folded turn is in the summary; the oldest lines gave way to a count, so the summary stays bounded.
    assert.match(
      result.messages[2]!.content,
      new RegExp(`you called read_file\\(\\{"path":"f${result.summarizedTurns}\\.js"\\}\\)`),
    );
    assert.match(result.messages[2]!.content, /older steps omitted/);
    // The latest turn is still there in full, with its tool call and result paired.
    assert.deepEqual(result.messages.slice(-2), input.slice(-2));
    // Every tool result still follows an assistant message that made the call.
    for (let i = 0; i < result.messages.length; i++) {
      const m = result.messages[i]!;
      if (m.role === "tool") {
        const caller = result.messages
          .slice(0, i)
          .reverse()
          .find((x) => x.role === "assistant");
        assert.ok(caller?.role === "assistant" && caller.toolCalls?.some((c) => c.id === m.toolCallId));
      }
    }
  });

  it("says when even the fixed part does not fit", async () => {
    const input = conversation(1, 10);
    input[1] = { role: "user", content: "T".repeat(10000) };
    const result = await new ContextBudget(count, { maxPromptTokens: 500 }).fit(input, 2);
    assert.equal(result.fits, false);
    assert.equal(result.messages[1]!.content, input[1].content);
  });
});
