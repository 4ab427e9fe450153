import assert from "node:assert/strict";
import { DURABLE_TASK_STATES, TASK_STATUSES, statusOfDurableState, type TaskUpdatedParams } from "@bora/protocol";
import type { EngineSpec } from "../../../../server/src/engines/engineSpec.js";
import type { IntegrationConfig } from "../../../../server/src/integrations/config.js";
import {
  canonicalWorkItemKey,
  detectWorkItemSource,
  WorkItemRefError,
} from "../../../../server/src/integrations/workItemRefs.js";
import {
  durableStateOf,
  durableTaskUpdate,
  listedDurableTask,
  listedForegroundTask,
  nextSeq,
  statusRow,
  type DurableTaskFacts,
} from "../../../../server/src/tasks/durableTaskView.js";
import { sameModel } from "../../../../server/src/tasks/durableTasks.js";
import { DURABLE_TASK_STATES as WORKFLOW_STATES } from "../../../../server/src/workflows/durable.js";

const running: DurableTaskFacts = {
  taskId: "issue-acme-shop-12-0123456789",
  ref: "acme/shop#12",
  repo: "/work/shop",
  engineStatus: "PENDING",
  status: { state: "running", step: "checks", reason: "running npm test", turns: 2, branch: "bora/acme-shop-12-x" },
  createdAt: 1_000,
  executorId: "host-a",
};

describe("a durable task as the editor sees it", () => {
  it("speaks the protocol's states, which are the workflow's, and maps each to a common status", () => {
    assert.deepEqual([...DURABLE_TASK_STATES], [...WORKFLOW_STATES]);
    for (const state of DURABLE_TASK_STATES) assert.ok(TASK_STATUSES.includes(statusOfDurableState(state)));
    assert.equal(statusOfDurableState("done"), "completed");
    assert.equal(statusOfDurableState("checksFailing"), "completed");
    assert.equal(statusOfDurableState("needsReview"), "completed");
    assert.equal(statusOfDurableState("waiting"), "waiting");
  });

  it("takes the engine's word where the workflow could not record its end (cancelled, thrown)", () => {
    assert.equal(durableStateOf({ engineStatus: "CANCELLED", status: running.status }), "cancelled");
    assert.equal(durableStateOf({ engineStatus: "ERROR", status: running.status }), "failed");
    assert.equal(durableStateOf({ engineStatus: "ENQUEUED", status: null }), "queued");
    assert.equal(durableStateOf({ engineStatus: "PENDING", status: running.status }), "running");
    // A recorded end stays: a denied approval is cancelled, not failed, whatever the engine says.
    const denied = { state: "cancelled" as const, step: "approval", reason: "denied" };
    assert.equal(durableStateOf({ engineStatus: "SUCCESS", status: denied }), "cancelled");
    // A failed step waits for a retry: the workflow is still pending.
    const failed = { state: "failed" as const, step: "fetchItem", reason: "GitHub answered 404" };
    assert.equal(durableStateOf({ engineStatus: "PENDING", status: failed }), "failed");
  });

  it("builds a bora/taskUpdated with the durable fields, and an outcome only once it has ended", () => {
    const update = durableTaskUpdate(running, {
      seq: 7,
      rows: [statusRow("running", running.status)],
      stateDir: "/s",
      now: 4_000,
    });
    assert.equal(update.kind, "issueToPr");
    assert.equal(update.status, "running");
    assert.equal(update.state, "running");
    assert.equal(update.step, "checks");
    assert.equal(update.turn, 2);
    assert.equal(update.elapsedMs, 3_000);
    assert.equal(update.root, "file:///work/shop");
    assert.equal(update.transcript, "/s/runs/issue-acme-shop-12-0123456789.jsonl");
    assert.equal(update.branch, "bora/acme-shop-12-x");
    assert.equal(update.executor, "host-a");
    assert.deepEqual(update.items, [{ type: "notice", text: "[checks] running: running npm test" }]);
    assert.equal(update.outcome, undefined);

    const pr = { url: "http://127.0.0.1/acme/shop/pull/3", number: 3, draft: false };
    const done = durableTaskUpdate(
      {
        ...running,
        engineStatus: "SUCCESS",
        status: { state: "done", step: "done", reason: `pull request ${pr.url}`, pr },
      },
      { seq: 8, rows: [], stateDir: "/s", now: 5_000 },
    );
    assert.equal(done.status, "completed");
    assert.deepEqual(done.pr, pr);
    assert.equal(done.outcome?.ok, true);
    const draft = durableTaskUpdate(
      { ...running, status: { state: "checksFailing", step: "done", reason: "draft", pr: { ...pr, draft: true } } },
      { seq: 9, rows: [], stateDir: "/s", now: 5_000 },
    );
    assert.equal(draft.outcome?.ok, false, "a draft PR with failing checks is not a success");
  });

  it("numbers updates so they keep increasing across a host restart", () => {
    assert.equal(nextSeq(undefined, 1_700_000_000_000), 1_700_000_000_000);
    assert.equal(nextSeq(1_700_000_000_005, 1_700_000_000_000), 1_700_000_000_006, "never goes back with the clock");
    const restarted = nextSeq(undefined, 1_700_000_100_000);
    assert.ok(restarted > 1_700_000_000_006, "a new host's first update beats the old host's last");
  });

  it("lists durable and foreground tasks in one shape", () => {
    const row = listedDurableTask(running);
    assert.deepEqual(
      { kind: row.kind, status: row.status, state: row.state, executor: row.executor, createdAt: row.createdAt },
      { kind: "issueToPr", status: "running", state: "running", executor: "host-a", createdAt: 1_000 },
    );
    const foreground = {
      taskId: "20261206T161500-a1b2c3",
      kind: "free",
      title: "Fix it",
      status: "completed",
      elapsedMs: 500,
      root: "file:///w",
      outcome: { reason: "done in 2 turns" },
    } as TaskUpdatedParams;
    const listed = listedForegroundTask(foreground, 10_000);
    assert.deepEqual(listed, {
      taskId: foreground.taskId,
      kind: "free",
      title: "Fix it",
      status: "completed",
      createdAt: 9_500,
      root: "file:///w",
      reason: "done in 2 turns",
    });
    assert.equal(listed.state, undefined, "a foreground task has no durable state");
  });
});

describe("REFs: every spelling of an item names one task", () => {
  // Which trackers are configured is all that detection reads of the configuration.
  const config = { jira: {}, sentry: {} } as unknown as IntegrationConfig;
  const cases: [string, string, string][] = [
    ["acme/shop#12", "github", "acme/shop#12"],
    ["https://github.com/Acme/Shop/issues/12", "github", "acme/shop#12"],
    ["SHOP-7", "jira", "SHOP-7"],
    ["https://acme.atlassian.net/browse/SHOP-7", "jira", "SHOP-7"],
    ["https://sentry.io/organizations/acme/issues/4242/", "sentry", "4242"],
    ["4242", "sentry", "4242"],
    ["APP-1A", "sentry", "APP-1A"],
  ];
  for (const [ref, source, key] of cases) {
    it(`${ref}: ${source} ${key}`, () => {
      const found = detectWorkItemSource(ref, config);
      assert.equal(found, source);
      assert.equal(canonicalWorkItemKey(found, ref), key);
    });
  }

  it("refuses a REF no tracker takes, saying so", () => {
    assert.throws(() => detectWorkItemSource("what is this", {}), WorkItemRefError);
  });
});

describe("the model a durable task records", () => {
  it("is the host's own when only the key differs", () => {
    const host: EngineSpec = {
      kind: "remote",
      preset: "openai",
      baseUrl: "http://127.0.0.1:9/v1",
      model: "m",
      apiKey: "k",
    };
    const recorded: EngineSpec = { kind: "remote", preset: "openai", baseUrl: "http://127.0.0.1:9/v1", model: "m" };
    assert.equal(sameModel(host, recorded), true);
    assert.equal(sameModel(host, { ...recorded, model: "other" }), false);
    assert.equal(sameModel({ kind: "script", file: "/a.json" }, recorded), false);
  });
});
