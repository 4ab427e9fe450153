import assert from "node:assert/strict";
import type { WorkItem, WorkItemQuery, WorkItemSource } from "../../../../server/src/integrations/workItem.js";
import { listWorkItemGroups } from "../../../../server/src/workItems/workItemList.js";

/** A tracker holding `count` items that answers at most `limit` of them, as the real clients do. */
function tracker(name: "jira" | "sentry", count: number): WorkItemSource & { asked: WorkItemQuery[] } {
  const asked: WorkItemQuery[] = [];
  const items: WorkItem[] = Array.from({ length: count }, (_, i) => ({
    source: name,
    key: `${name}-${i}`,
    url: `https://tracker.example/${i}`,
    title: `item ${i}`,
    body: "",
    status: "open",
    labels: [],
    comments: [],
    links: [],
    stackTraces: [],
  }));
  return {
    name,
    asked,
    list: (query = {}) => {
      asked.push(query);
      return Promise.resolve(items.slice(0, query.limit ?? 50));
    },
    get: () => Promise.reject(new Error("not here")),
    comment: () => Promise.reject(new Error("not here")),
  };
}

describe("the Work Items list per tracker (listWorkItemGroups)", () => {
  it("says a tracker may have more when it returned as many as asked, and not when it returned fewer", async () => {
    const jira = tracker("jira", 130);
    const first = await listWorkItemGroups({ jira }, { limit: 100 });
    assert.deepEqual(
      first.map((g) => [g.items.length, g.more]),
      [[100, true]],
    );
    const all = await listWorkItemGroups({ jira }, { source: "jira", limit: 200 });
    assert.deepEqual(
      all.map((g) => [g.items.length, g.more]),
      [[130, undefined]],
    );
    assert.deepEqual(
      jira.asked.map((q) => q.limit),
      [100, 200],
    );
  });

  it("lists a half-configured tracker as its group's problem without asking it, and the others as usual", async () => {
    const jira = tracker("jira", 2);
    const problem = { code: "sentry.config", message: "SENTRY_ORG is missing", fix: "configureIntegration" } as const;
    const groups = await listWorkItemGroups({ jira }, { limit: 50, configProblems: { sentry: problem } });
    assert.deepEqual(
      groups.map((g) => [g.source, g.items.length, g.problem?.code]),
      [
        ["jira", 2, undefined],
        ["sentry", 0, "sentry.config"],
      ],
    );
    const only = await listWorkItemGroups({ jira }, { source: "jira", limit: 50, configProblems: { sentry: problem } });
    assert.deepEqual(
      only.map((g) => g.source),
      ["jira"],
      "a source asked for alone leaves the others out",
    );
  });
});
