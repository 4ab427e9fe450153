import assert from "node:assert/strict";
import { HOST_VERSION } from "../../../../server/src/version.js";
import {
  WORKFLOW_APP_VERSION,
  WORKFLOW_SCHEMA,
  executorIdFor,
  newExecutorId,
} from "../../../../server/src/workflows/workflowIdentity.js";

describe("workflow identity", () => {
  it("makes an executor id of the host name and a random suffix, cleaned for storage and logs", () => {
    assert.equal(newExecutorId("build-07.example.com", "a1b2c3"), "build-07.example.com-a1b2c3");
    assert.equal(newExecutorId("Dev Laptop (Ana)", "a1b2c3"), "dev-laptop-ana-a1b2c3");
    assert.equal(newExecutorId("", "a1b2c3"), "host-a1b2c3");
    assert.equal(newExecutorId("x".repeat(100), "a1b2c3"), `${"x".repeat(40)}-a1b2c3`);
    assert.match(newExecutorId("h"), /^h-[0-9a-f]{6}$/);
    assert.notEqual(newExecutorId("h"), newExecutorId("h"), "two hosts of one name still differ");
  });

  it("takes BORA_EXECUTOR_ID over the kept id", async () => {
    // The folder does not exist: an override never touches it.
    assert.equal(await executorIdFor("/nonexistent/bora-state", { BORA_EXECUTOR_ID: " worker-3 " }), "worker-3");
  });

  it("names the application version after the host and the workflow schema", () => {
    assert.equal(WORKFLOW_APP_VERSION, `${HOST_VERSION}+workflows.${WORKFLOW_SCHEMA}`);
  });
});
