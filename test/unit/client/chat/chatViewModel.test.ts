import assert from "node:assert/strict";
import type { TaskUpdatedParams } from "@bora/protocol";
import { buildChatView, chipsOf, scopeOfChips } from "../../../../client/src/chat/chatViewModel.js";
import type { Turn } from "../../../../client/src/chat/conversation.js";
import { TaskStore } from "../../../../client/src/tasks/taskStore.js";

const file = { uri: "file:///w/src/sum.ts", label: "src/sum.ts" };
const selection = { start: { line: 4, character: 0 }, end: { line: 9, character: 0 } };

function update(overrides: Partial<TaskUpdatedParams>): TaskUpdatedParams {
  return {
    taskId: "k1",
    seq: 1,
    kind: "explain",
    title: "Explain",
    status: "running",
    turn: 1,
    tokens: { prompt: 0, completion: 0 },
    elapsedMs: 0,
    root: "file:///w",
    transcript: "/s/k1.jsonl",
    from: 0,
    items: [],
    ...overrides,
  };
}

const turn: Turn = {
  id: "u1",
  question: "What does sum do?",
  context: ["src/sum.ts:5-9"],
  taskId: "k1",
  answer: "",
  status: "running",
};

describe("chat view model", () => {
  it("shows the file and selection chips, without the removed ones, then the mentions", () => {
    const context = { file, selection, mentions: [{ uri: "file:///w/b.ts", label: "b.ts" }] };
    const chips = chipsOf(context, new Set());
    assert.deepEqual(
      chips.map((c) => [c.kind, c.label]),
      [
        ["file", "src/sum.ts"],
        ["selection", "src/sum.ts:5-9"],
        ["mention", "@b.ts"],
      ],
    );
    const withoutFile = chipsOf(context, new Set([chips[0]!.id]));
    assert.deepEqual(
      withoutFile.map((c) => c.kind),
      ["selection", "mention"],
    );
    const moved = chipsOf(
      { ...context, selection: { ...selection, end: { line: 12, character: 3 } } },
      new Set([chips[1]!.id]),
    );
    assert.equal(moved.find((c) => c.kind === "selection")?.label, "src/sum.ts:5-13", "a new selection comes back");
  });

  it("scopes a question by its chips", () => {
    const all = chipsOf({ file, selection, mentions: [{ uri: "file:///w/b.ts", label: "b.ts" }] }, new Set());
    assert.deepEqual(scopeOfChips(all), {
      textDocument: { uri: file.uri },
      range: selection,
      files: ["file:///w/b.ts"],
    });
    assert.deepEqual(scopeOfChips(all.filter((c) => c.kind === "file")), { textDocument: { uri: file.uri } });
    assert.deepEqual(scopeOfChips([]), {});
  });

  it("shows a running task as a live transcript, in order, with its code blocks numbered", () => {
    const tasks = new TaskStore();
    tasks.apply(
      update({
        status: "waiting",
        items: [
          { type: "text", turn: 1, text: "Reading.\n```ts\nlet a;\n```" },
          {
            type: "tool",
            id: "c1",
            turn: 1,
            name: "read_file",
            summary: "src/sum.ts",
            state: "ok",
            result: "40 lines",
            ms: 3,
          },
          { type: "approval", id: "a1", tool: "run_command", summary: "npm test", reason: "ask", state: "pending" },
          { type: "text", turn: 2, text: "```\nb\n```" },
        ],
      }),
    );
    const { state, blocks } = buildChatView({ id: "c", turns: [turn] }, (id) => tasks.get(id), [], undefined);
    const view = state.turns[0]!;
    assert.equal(state.running, true);
    assert.equal(view.status, "running");
    assert.equal(view.activity, "waiting for you");
    assert.deepEqual(
      view.items.map((i) => i.kind),
      ["text", "tool", "approval", "text"],
    );
    assert.deepEqual(blocks.get("u1"), ["let a;\n", "b\n"]);
    const last = view.items[3]!;
    assert.ok(last.kind === "text" && last.html.includes('data-block="1"'));
  });

  it("adds the final answer when no text row holds it, and says why a failed task ended", () => {
    const tasks = new TaskStore();
    tasks.apply(
      update({
        status: "failed",
        items: [{ type: "text", turn: 1, text: "thinking" }],
        outcome: {
          ok: false,
          runStatus: "timeout",
          reason: "Ran out of time.",
          answer: "Partial answer",
          summary: "",
          changes: [],
        },
      }),
    );
    const view = buildChatView({ id: "c", turns: [turn] }, (id) => tasks.get(id), [], undefined).state.turns[0]!;
    assert.equal(view.status, "failed");
    assert.deepEqual(
      view.items.map((i) => i.kind),
      ["text", "text", "notice"],
    );
    assert.ok(view.items[1]!.kind === "text" && view.items[1]!.html.includes("Partial answer"));
  });

  it("shows a stored turn's answer when its task is gone, and the review's rows", () => {
    const stored: Turn = { ...turn, answer: "**Sums** two numbers.", status: "done" };
    const { state } = buildChatView({ id: "c", turns: [stored] }, () => undefined, [], {
      taskId: "k0",
      title: "Fix",
      rows: [{ status: "modified", path: "a.js", uri: "file:///w/a.js", state: "pending" }],
    });
    assert.equal(state.running, false);
    assert.match((state.turns[0]!.items[0] as { html: string }).html, /<strong>Sums<\/strong>/);
    assert.deepEqual(state.review, {
      taskId: "k0",
      title: "Fix",
      rows: [{ path: "a.js", status: "modified", state: "pending" }],
    });
  });

  it("puts the answer buttons on the open approval only, and only when the chat may answer it", () => {
    const store = new TaskStore();
    const approval = (id: string, state: "pending" | "allowed") =>
      ({ type: "approval", id, tool: "run_command", summary: "npm test", reason: "ask", state }) as const;
    store.apply(update({ status: "waiting", items: [approval("a1", "allowed"), approval("a2", "pending")] }));
    const rows = (canAnswer?: (taskId: string) => boolean) =>
      buildChatView({ id: "c", turns: [turn] }, (id) => store.get(id), [], undefined, canAnswer).state.turns[0]!.items;
    assert.deepEqual(
      rows(() => true).map((i) => i.kind === "approval" && i.answerable),
      [undefined, { taskId: "k1" }],
    );
    assert.deepEqual(
      rows().map((i) => i.kind === "approval" && i.answerable),
      [undefined, undefined],
      "without a pending request the buttons would answer nothing",
    );
  });
});
