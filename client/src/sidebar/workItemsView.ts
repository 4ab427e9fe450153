/**
 * The Work Items tree as a pure function of what `bora/listWorkItems` answered: a group per
 * tracker (with its item count, or its problem and the button that fixes it), the items under it
 * (key and title, state and age), narrowed by the view's filter. No `vscode` import: the adapter
 * (`sidebar.ts`) turns nodes into tree items.
 */
import { MAX_WORK_ITEMS, WORK_ITEMS_PAGE, type Problem, type WorkItemGroup, type WorkItemRow } from "@bora/protocol";
import { BORA_COMMANDS } from "../commandIds.js";
import { fixAction, type Action } from "../problemActions.js";

export const SOURCE_LABELS: Record<WorkItemRow["source"], string> = {
  github: "GitHub",
  jira: "Jira",
  sentry: "Sentry",
};

export type WorkItemNode =
  | { kind: "group"; id: string; label: string; description: string; children: WorkItemNode[] }
  | { kind: "item"; id: string; row: WorkItemRow; label: string; description: string; tooltip: string }
  | { kind: "problem"; id: string; label: string; tooltip: string; action?: Action }
  | { kind: "notice"; id: string; label: string; action?: Action };

/** What the list asks each tracker for at first: a screenful or two; **Load more…** adds a page. */
export const FIRST_WORK_ITEMS = 50;

/** The `limit` a group's **Load more…** asks for: one page more, at most `MAX_WORK_ITEMS`. */
export function nextLimit(shown: number): number {
  return Math.min(MAX_WORK_ITEMS, shown + WORK_ITEMS_PAGE);
}

/** How long ago, in the tree's few characters: "now", "5m", "3h", "2d", "4w", "1y". */
export function ageOf(updatedAt: string | undefined, now: number): string {
  if (updatedAt === undefined) return "";
  const then = Date.parse(updatedAt);
  if (Number.isNaN(then)) return "";
  const minutes = Math.max(0, Math.floor((now - then) / 60_000));
  if (minutes < 1) return "now";
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 14) return `${days}d`;
  if (days < 365) return `${Math.floor(days / 7)}w`;
  return `${Math.floor(days / 365)}y`;
}

/** Whether the filter's words all appear in the item's key, title or status (any case). */
export function matchesFilter(row: WorkItemRow, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const text = `${row.key} ${row.title} ${row.status} ${row.assignee ?? ""}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/** With no tracker configured, the tree offers the way to configure one. */
export const CONFIGURE_INTEGRATIONS: Action = {
  title: "Configure an integration (GitHub, Jira, Sentry)…",
  command: BORA_COMMANDS.configureIntegrations.id,
  args: [],
};

function problemNode(source: string, problem: Problem): WorkItemNode {
  const action = fixAction(problem);
  return {
    kind: "problem",
    id: `${source}:problem`,
    label: problem.message.split(/(?<=\.)\s/)[0] ?? problem.message,
    tooltip: problem.message,
    ...(action && { action }),
  };
}

export function workItemNodes(groups: readonly WorkItemGroup[], filter: string, now: number): WorkItemNode[] {
  if (groups.length === 0)
    return [{ kind: "notice", id: "none", label: "No tracker is configured.", action: CONFIGURE_INTEGRATIONS }];
  return groups.map((group): WorkItemNode => {
    const rows = group.items.filter((row) => matchesFilter(row, filter));
    const children: WorkItemNode[] = rows.map((row) => {
      const age = ageOf(row.updatedAt, now);
      return {
        kind: "item",
        id: `${row.source}:${row.key}`,
        row,
        label: row.source === "sentry" ? row.title : `${row.key}: ${row.title}`,
        description: [row.status, age].filter(Boolean).join(" · "),
        tooltip: [`${row.key}: ${row.title}`, `${row.status}${age ? `, updated ${age} ago` : ""}`, row.url].join("\n"),
      };
    });
    if (group.problem !== undefined) children.unshift(problemNode(group.source, group.problem));
    else if (rows.length === 0)
      children.push({
        kind: "notice",
        id: `${group.source}:empty`,
        label: filter.trim() !== "" ? `Nothing matches “${filter.trim()}”.` : `Nothing for: ${group.query}`,
      });
    // The tracker may hold more than it was asked for: the group's last row asks again for a page
    // more, up to the most one list holds; past that, a narrower query is the way.
    if (group.problem === undefined && group.more && group.items.length < MAX_WORK_ITEMS)
      children.push({
        kind: "notice",
        id: `${group.source}:more`,
        label: "Load more…",
        action: {
          title: `${nextLimit(group.items.length) - group.items.length} more`,
          command: BORA_COMMANDS.loadMoreWorkItems.id,
          args: [group.source],
        },
      });
    else if (group.problem === undefined && group.more)
      children.push({
        kind: "notice",
        id: `${group.source}:most`,
        label: `Showing the first ${MAX_WORK_ITEMS}: narrow the query (bora.${group.source}.query) for the rest.`,
      });
    const count =
      group.problem !== undefined
        ? "cannot list"
        : `${rows.length}${group.more ? "+" : ""}${filter.trim() ? " matching" : ""}`;
    return {
      kind: "group",
      id: group.source,
      label: SOURCE_LABELS[group.source],
      description: count,
      children,
    };
  });
}
