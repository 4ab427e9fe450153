import assert from "node:assert/strict";
import {
  MAX_CONTEXT_CHARS,
  MAX_CONTEXT_TURNS,
  MAX_STORED_CONVERSATIONS,
  MAX_STORED_TURNS,
  instructionWithHistory,
  readHistory,
  startNewConversation,
  turnStatusOf,
  type Turn,
  MAX_PAST_LABEL_CHARS,
  pastChoices,
  reopenConversation,
  type ChatHistory,
} from "../../../../client/src/chat/conversation.js";

const turn = (i: number, answer = `answer ${i}`, status: Turn["status"] = "done"): Turn => ({
  id: `t${i}`,
  question: `question ${i}`,
  context: [],
  answer,
  status,
});

describe("chat conversation", () => {
  it("asks the bare question when nothing was answered before", () => {
    assert.equal(instructionWithHistory([], "What is x?"), "What is x?");
    assert.equal(instructionWithHistory([turn(1, "", "done"), turn(2, "a", "failed")], "Q"), "Q");
  });
  it("puts the earlier answered turns before the question, in order", () => {
    const text = instructionWithHistory([turn(1), turn(2, "x", "cancelled"), turn(3)], "And y?");
    assert.match(text, /^Earlier in this conversation:/);
    assert.ok(text.indexOf("question 1") < text.indexOf("question 3"));
    assert.ok(!text.includes("question 2"), "a cancelled turn is no context");
    assert.ok(text.endsWith("Now the user asks:\nAnd y?"));
  });
  it("keeps only the last turns, and stays within the character bound", () => {
    const many = Array.from({ length: 20 }, (_, i) => turn(i));
    const text = instructionWithHistory(many, "Q");
    assert.equal((text.match(/^User: /gm) ?? []).length, MAX_CONTEXT_TURNS);
    assert.ok(text.includes("question 19") && !text.includes("question 13"));
    const long = Array.from({ length: 6 }, (_, i) => turn(i, "y".repeat(5000)));
    const bounded = instructionWithHistory(long, "Q");
    assert.ok(bounded.length < MAX_CONTEXT_CHARS + 200, `${bounded.length} characters`);
    assert.ok(bounded.includes("question 5"), "the newest turn is the one kept");
  });
  it("maps task statuses to turn statuses", () => {
    assert.equal(turnStatusOf("completed"), "done");
    assert.equal(turnStatusOf("waiting"), "running");
    assert.equal(turnStatusOf("cancelled"), "cancelled");
  });
  it("moves the current conversation into the past on New Chat, within the bounds", () => {
    let history = readHistory(undefined, "c0");
    history = startNewConversation(history, "c1");
    assert.equal(history.past.length, 0, "an empty conversation is not kept");
    for (let i = 0; i < MAX_STORED_CONVERSATIONS + 5; i++) {
      history = { ...history, current: { ...history.current, turns: [turn(i)] } };
      history = startNewConversation(history, `n${i}`);
    }
    assert.equal(history.past.length, MAX_STORED_CONVERSATIONS);
    assert.equal(history.past[0]!.turns[0]!.question, `question ${MAX_STORED_CONVERSATIONS + 4}`);
  });
  it("reads a stored history, dropping what is malformed and bounding the turns", () => {
    const stored = {
      current: {
        id: "c",
        turns: [...Array.from({ length: MAX_STORED_TURNS + 10 }, (_, i) => turn(i)), { id: 5 }, "junk"],
      },
      past: [{ id: "p", turns: [{ ...turn(1), status: "running", taskId: "old" }] }, { nope: true }],
    };
    const history = readHistory(JSON.parse(JSON.stringify(stored)), "fresh");
    assert.equal(history.current.turns.length, MAX_STORED_TURNS);
    assert.equal(history.past.length, 1);
    assert.equal(history.past[0]!.turns[0]!.status, "cancelled", "a turn stored while running is over");
    assert.equal(readHistory("garbage", "fresh").current.id, "fresh");
  });
});

describe("past conversations", () => {
  const turn = (question: string): Turn => ({ id: question, question, context: [], answer: "a", status: "done" });
  const history: ChatHistory = {
    current: { id: "now", turns: [turn("current question")] },
    past: [
      { id: "p1", turns: [turn("what does cartTotal do?"), turn("and lineTotal?")] },
      { id: "p2", turns: [turn(`long ${"x".repeat(200)}`)] },
    ],
  };

  it("lists each by its first question, with how many questions it has", () => {
    const choices = pastChoices(history);
    assert.deepEqual(choices[0], {
      id: "p1",
      label: "what does cartTotal do?",
      detail: "2 questions, last: and lineTotal?",
    });
    assert.equal(choices[1]!.label.length, MAX_PAST_LABEL_CHARS);
    assert.equal(choices[1]!.detail, "1 question");
  });

  it("reopens one as the current conversation and keeps the current one first in the past", () => {
    const reopened = reopenConversation(history, "p1");
    assert.equal(reopened.current.id, "p1");
    assert.deepEqual(
      reopened.past.map((c) => c.id),
      ["now", "p2"],
    );
    assert.equal(reopenConversation(history, "nope"), history, "an unknown id changes nothing");
  });
});
