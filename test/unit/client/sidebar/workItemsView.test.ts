import assert from "node:assert/strict";
import { MAX_WORK_ITEMS, type WorkItemGroup, type WorkItemRow } from "@bora/protocol";
import { BORA_COMMANDS } from "../../../../client/src/commandIds.js";
import {
  ageOf,
  CONFIGURE_INTEGRATIONS,
  matchesFilter,
  nextLimit,
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

  it("ends a group whose tracker has more with Load more…, which asks that source for a page more, up to the most", () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => row({ key: `acme/shop#${i + 1}` }));
    const [more] = workItemNodes(
      [
        { source: "github", query: "q", items: rows(50), more: true },
        { source: "jira", query: "q", items: [row({ source: "jira", key: "SHOP-1" })] },
      ],
      "",
      NOW,
    );
    assert.ok(more?.kind === "group");
    assert.equal(more.description, "50+");
    const last = more.children.at(-1);
    assert.ok(last?.kind === "notice");
    assert.equal(last.label, "Load more…");
    assert.deepEqual(last.action, {
      title: "100 more",
      command: BORA_COMMANDS.loadMoreWorkItems.id,
      args: ["github"],
    });
    assert.equal(nextLimit(50), 150);
    assert.equal(nextLimit(450), MAX_WORK_ITEMS);

    const [without] = workItemNodes([{ source: "jira", query: "q", items: rows(3) }], "", NOW);
    assert.ok(without?.kind === "group");
    assert.ok(
      without.children.every((c) => c.kind === "item"),
      "a tracker with no more has no Load more…",
    );

    const [most] = workItemNodes([{ source: "github", query: "q", items: rows(MAX_WORK_ITEMS), more: true }], "", NOW);
    assert.ok(most?.kind === "group");
    const end = most.children.at(-1);
    assert.ok(end?.kind === "notice" && end.action === undefined && /narrow the query/.test(end.label));

    const [filtered] = workItemNodes([{ source: "github", query: "q", items: rows(5), more: true }], "nomatch", NOW);
    assert.ok(filtered?.kind === "group");
    assert.deepEqual(
      filtered.children.map((c) => c.label),
      ["Nothing matches “nomatch”.", "Load more…"],
      "the filter narrows what is loaded; more can still be loaded",
    );
  });
});
