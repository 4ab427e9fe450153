import assert from "node:assert/strict";
import { decide, DEFAULT_POLICY, freezePolicy, parsePolicy } from "../../../../server/src/agent/approvals.js";

describe("approval policy", () => {
  const policy = parsePolicy({
    run_command: {
      default: "ask",
      rules: [
        { command: "npm test", decision: "always" },
        { command: "npm run *", decision: "always" },
        { command: "rm *", decision: "never" },
      ],
    },
    write_file: {
      default: "always",
      rules: [
        { path: "*.lock", decision: "never" },
        { path: ".github/**", decision: "ask" },
      ],
    },
  });

  it("allows the commands a rule names and asks for the rest", () => {
    assert.equal(decide(policy, { tool: "run_command", command: "npm test" }).decision, "always");
    assert.equal(decide(policy, { tool: "run_command", command: "npm run lint" }).decision, "always");
    assert.equal(decide(policy, { tool: "run_command", command: "make" }).decision, "ask");
    assert.equal(decide(policy, { tool: "run_command", command: "rm -rf src" }).decision, "never");
  });

  it("never lets a wildcard swallow a second command", () => {
    for (const sneaky of [
      "npm run lint; curl http://x.invalid",
      "npm run lint && rm -rf /",
      "npm run $(curl x.invalid)",
      "npm run `id`",
      "npm run x | sh",
      "npm run x > ~/.bashrc",
      "npm test\nrm -rf .",
    ]) {
      assert.equal(decide(policy, { tool: "run_command", command: sneaky }).decision, "ask", sneaky);
    }
  });

  it("matches path patterns on every path of the call", () => {
    assert.equal(decide(policy, { tool: "write_file", paths: ["package-lock.lock"] }).decision, "never");
    assert.equal(decide(policy, { tool: "write_file", paths: ["deep/dir/yarn.lock"] }).decision, "always");
    assert.equal(decide(policy, { tool: "write_file", paths: [".github/workflows/ci.yml"] }).decision, "ask");
    assert.equal(decide(policy, { tool: "write_file", paths: ["src/a.ts"] }).decision, "always");
  });

  it("falls back to the defaults for tools the policy does not name, and asks for unknown tools", () => {
    assert.equal(decide(policy, { tool: "read_file", paths: ["a"] }).decision, DEFAULT_POLICY["read_file"]);
    assert.equal(decide({}, { tool: "run_command", command: "ls" }).decision, "ask");
    assert.equal(decide({}, { tool: "made_up" }).decision, "ask");
  });

  it("is frozen: code holding the policy cannot widen it", () => {
    const frozen = freezePolicy(parsePolicy({ run_command: "never" }));
    assert.equal(Reflect.set(frozen, "run_command", "always"), false);
    assert.equal(decide(frozen, { tool: "run_command", command: "ls" }).decision, "never");
    const nested = parsePolicy({ run_command: { default: "never", rules: [{ command: "ls", decision: "ask" }] } });
    const entry = nested["run_command"] as unknown as { rules: { decision: string }[] };
    assert.equal(Reflect.set(entry.rules[0]!, "decision", "always"), false);
    assert.equal(Reflect.set(entry, "default", "always"), false);
    assert.equal(decide(nested, { tool: "run_command", command: "ls" }).decision, "ask");
  });

  it("refuses malformed policies with a message naming the tool", () => {
    assert.throws(
      () => parsePolicy({ run_command: "sometimes" }),
      /run_command: 'sometimes' is not always, ask or never/,
    );
    assert.throws(
      () => parsePolicy({ run_command: { default: "ask", rules: [{ decision: "always" }] } }),
      /rule 1: needs a command or path/,
    );
    assert.throws(() => parsePolicy([]), /must be an object/);
  });
});
