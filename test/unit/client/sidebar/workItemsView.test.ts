import assert from "node:assert/strict";
import type { WorkItemGroup, WorkItemRow } from "@bora/protocol";
import {
  ageOf,
  CONFIGURE_INTEGRATIONS,
  matchesFilter,
  workItemNodes,
} from "../../../../client/src/sidebar/workItemsView.js";

const NOW = Date.parse("2026-12-06T12:00:00Z");

function row(over: Partial<WorkItemRow> = {}): WorkItemRow {
  return {
    source: "github",
    key: "acme/shop#12",
    title: "Discount applied twice",
    status: "open",
    url: "https://github.example/acme/shop/issues/12",
    updatedAt: "2026-12-04T12:00:00Z",
    ...over,
  };
}

describe("the Work Items tree (pure view)", () => {
  it("says how old an item is in a few characters", () => {
    assert.equal(ageOf("2026-12-06T11:59:30Z", NOW), "now");
    assert.equal(ageOf("2026-12-06T11:15:00Z", NOW), "45m");
    assert.equal(ageOf("2026-12-06T07:00:00Z", NOW), "5h");
    assert.equal(ageOf("2026-12-03T12:00:00Z", NOW), "3d");
    assert.equal(ageOf("2026-10-01T12:00:00Z", NOW), "9w");
    assert.equal(ageOf("2024-11-01T12:00:00Z", NOW), "2y");
    assert.equal(ageOf(undefined, NOW), "");
    assert.equal(ageOf("not a date", NOW), "");
  });

  it("groups items per tracker with their count, key and title, state and age", () => {
    const groups: WorkItemGroup[] = [
      { source: "github", query: "is:open", items: [row()] },
      {
        source: "sentry",
        query: "is:unresolved",
        items: [row({ source: "sentry", key: "4000001", title: "SHOP-1: TypeError", status: "unresolved" })],
      },
    ];
    const nodes = workItemNodes(groups, "", NOW);
    assert.deepEqual(
      nodes.map((n) => [n.kind, n.label, n.kind === "group" ? n.description : ""]),
      [
        ["group", "GitHub", "1"],
        ["group", "Sentry", "1"],
      ],
    );
    const [item] = nodes[0]!.kind === "group" ? nodes[0]!.children : [];
    assert.equal(item?.kind, "item");
    assert.equal(item?.label, "acme/shop#12: Discount applied twice");
    assert.equal(item?.kind === "item" ? item.description : "", "open · 2d");
    const [error] = nodes[1]!.kind === "group" ? nodes[1]!.children : [];
    assert.equal(error?.label, "SHOP-1: TypeError", "a Sentry error shows its short id and title, not its numeric key");
  });

  it("filters by every word of the filter in the key, title, state or assignee", () => {
    assert.ok(matchesFilter(row(), "discount TWICE"));
    assert.ok(matchesFilter(row({ assignee: "octo" }), "octo"));
    assert.ok(!matchesFilter(row(), "discount refund"));
    const nodes = workItemNodes(
      [{ source: "github", query: "q", items: [row(), row({ key: "acme/shop#13", title: "Refund" })] }],
      "refund",
      NOW,
    );
    const group = nodes[0]!;
    assert.equal(group.kind === "group" ? group.description : "", "1 matching");
    assert.deepEqual(group.kind === "group" ? group.children.map((c) => c.label) : [], ["acme/shop#13: Refund"]);
    const none = workItemNodes([{ source: "github", query: "q", items: [row()] }], "zzz", NOW)[0]!;
    assert.deepEqual(none.kind === "group" ? none.children.map((c) => c.label) : [], ["Nothing matches “zzz”."]);
  });

  it("shows a tracker's problem first, with the button that fixes it, and offers configuration when none is set up", () => {
    const nodes = workItemNodes(
      [
        {
          source: "github",
          query: "is:open",
          items: [],
          problem: {
            code: "github.auth",
            message: "GitHub rejected the token (401 Bad credentials). Set GITHUB_TOKEN to a valid token.",
            fix: "configureIntegration",
            target: "bora.github",
          },
        },
      ],
      "",
      NOW,
    );
    const group = nodes[0]!;
    assert.equal(group.kind === "group" ? group.description : "", "cannot list");
    const problem = group.kind === "group" ? group.children[0] : undefined;
    assert.equal(problem?.kind, "problem");
    assert.equal(problem?.label, "GitHub rejected the token (401 Bad credentials).");
    assert.equal(
      problem?.kind === "problem" ? problem.action?.args[0] : undefined,
      "github",
      "the guided set-up opens at GitHub's flow",
    );
    assert.deepEqual(workItemNodes([], "", NOW), [
      { kind: "notice", id: "none", label: "No tracker is configured.", action: CONFIGURE_INTEGRATIONS },
    ]);
  });
});
