import assert from "node:assert/strict";
import type { ErrorEvent } from "@sentry/node";
import { createCrashReporter, scrubEvent, scrubText } from "../../../../server/src/integrations/crashReporter.js";

describe("crash-report scrubbing", () => {
  it("removes tokens, paths, URLs and e-mail addresses from messages", () => {
    const text = scrubText(
      "ENOENT /home/ana/acme-secret/config.json via https://jira.acme.internal/x for ana@acme.invalid with ghp_abcdefghijklmnopqrstuvwxyz0123 and xoxb-1234-5678-abcdefgh and Bearer abc.def.ghi and C:\\Users\\ana\\x.ts",
    );
    assert.equal(text, "ENOENT [path] via [url] for [email] with [secret] and [secret] and [secret] and [path]");
  });

  it("removes configured secrets verbatim", () => {
    assert.equal(scrubText("token=my-custom-secret failed", ["my-custom-secret"]), "token=[secret] failed");
  });

  it("strips source context, local paths, variables, host name and contexts from an event", () => {
    const event = {
      type: undefined,
      server_name: "anas-laptop",
      contexts: { os: { name: "Linux" } },
      modules: { left: "1.0.0" },
      user: { ip_address: "10.0.0.1" },
      exception: {
        values: [
          {
            type: "Error",
            value: "failed on /home/ana/p/a.ts",
            stacktrace: {
              frames: [
                {
                  filename: "/home/ana/p/a.ts",
                  abs_path: "/home/ana/p/a.ts",
                  function: "userFn",
                  lineno: 1,
                  pre_context: ["x"],
                  context_line: "secret code",
                  post_context: ["y"],
                  vars: { a: 1 },
                  in_app: true,
                },
                {
                  filename: "/opt/bora/server/dist/bora.mjs",
                  abs_path: "/opt/bora/server/dist/bora.mjs",
                  function: "ours",
                  lineno: 2,
                  module: "bora",
                  in_app: true,
                },
              ],
            },
          },
        ],
      },
    } as unknown as ErrorEvent;
    const out = scrubEvent(event, { ownRoots: ["/opt/bora/server"] });
    assert.equal(out.server_name, "redacted");
    assert.equal(out.contexts, undefined);
    assert.equal(out.modules, undefined);
    assert.equal(out.user, undefined);
    const [user, ours] = out.exception?.values?.[0]?.stacktrace?.frames ?? [];
    assert.deepEqual(user, { filename: "<redacted>", function: "userFn", lineno: 1, in_app: false });
    assert.deepEqual(ours, { filename: "bora/dist/bora.mjs", function: "ours", lineno: 2, in_app: true });
    assert.equal(out.exception?.values?.[0]?.value, "failed on [path]");
  });

  it("is off without a DSN and then loads nothing", async () => {
    const fetch = () => Promise.reject(new Error("a disabled reporter sends nothing"));
    const reporter = await createCrashReporter({ release: "x", ownRoots: [], dsn: "  ", fetch });
    assert.equal(reporter.enabled, false);
    reporter.capture(new Error("ignored"));
  });
});
