import assert from "node:assert/strict";
import {
  LOCAL_HOST,
  agentHostTarget,
  checkAgentHostUrl,
  failureNotice,
  failureOfStatus,
  hostLabel,
  reasonOfError,
} from "../../../client/src/agentHostTarget.js";

describe("agent host target", () => {
  describe("bora.agentHost.url", () => {
    it("means the bundled host when empty or unset", () => {
      for (const value of [undefined, null, "", "   "])
        assert.deepEqual(agentHostTarget(value), { target: LOCAL_HOST });
    });
    it("reads a ws:// or wss:// URL and labels it host:port", () => {
      assert.deepEqual(agentHostTarget(" ws://127.0.0.1:7007/lsp "), {
        target: { kind: "remote", url: "ws://127.0.0.1:7007/lsp", label: "127.0.0.1:7007" },
      });
      assert.deepEqual(agentHostTarget("wss://bora.example.com/lsp"), {
        target: { kind: "remote", url: "wss://bora.example.com/lsp", label: "bora.example.com:443" },
      });
      assert.deepEqual(agentHostTarget("ws://[::1]:7007/lsp"), {
        target: { kind: "remote", url: "ws://[::1]:7007/lsp", label: "[::1]:7007" },
      });
    });
    it("refuses other schemes, saying which to use", () => {
      assert.match(checkAgentHostUrl("http://h:1/lsp") ?? "", /use ws:\/\/ instead of http:/);
      assert.match(checkAgentHostUrl("https://h/lsp") ?? "", /use wss:\/\/ instead of https:/);
      assert.match(checkAgentHostUrl("ftp://h/") ?? "", /ftp:\/\/ is not ws:\/\/ or wss:\/\//);
      assert.match(checkAgentHostUrl("127.0.0.1:7007") ?? "", /not ws:\/\/|not a URL/);
      assert.match(checkAgentHostUrl("not a url") ?? "", /is not a URL/);
      assert.deepEqual(agentHostTarget("http://h:1"), {
        error: "bora.agentHost.url: use ws:// instead of http:// (the host speaks WebSocket)",
      });
      assert.match((agentHostTarget(42) as { error: string }).error, /must be a string/);
    });
    it("refuses a token or user in the URL (it would sit in settings in clear)", () => {
      assert.match(checkAgentHostUrl("ws://me:tok@h:1/lsp") ?? "", /no user or token in the URL/);
    });
    it("accepts a good URL", () => {
      assert.equal(checkAgentHostUrl("ws://localhost:7007/lsp"), undefined);
    });
  });

  describe("failures", () => {
    const url = "ws://h:1/lsp";
    const titles = (actions: { title: string }[]): string[] => actions.map((action) => action.title);

    it("reads 401 as a refused token, 409 as another editor, others as refused", () => {
      assert.deepEqual(failureOfStatus(401, ""), { kind: "unauthorized" });
      assert.deepEqual(failureOfStatus(409, "x"), { kind: "busy" });
      assert.deepEqual(failureOfStatus(404, " No WebSocket here \n"), {
        kind: "refused",
        status: 404,
        reason: "No WebSocket here",
      });
    });

    it("says an unreachable host could not be reached, with the reason, and offers Retry first", () => {
      const notice = failureNotice(url, { kind: "unreachable", reason: "ECONNREFUSED" });
      assert.equal(notice.message, "Could not reach the Bora agent host at ws://h:1/lsp: ECONNREFUSED");
      assert.deepEqual(titles(notice.actions), ["Retry", "Connect to Remote Agent Host…"]);
      assert.equal(notice.actions[0]?.command, "bora.restartHost");
    });

    it("says a refused token is the token, and offers to set it first", () => {
      const notice = failureNotice(url, { kind: "unauthorized" });
      assert.equal(
        notice.message,
        "The Bora agent host at ws://h:1/lsp refused the token: set it with Bora: Connect to Remote Agent Host…",
      );
      assert.deepEqual(titles(notice.actions), ["Connect to Remote Agent Host…", "Retry"]);
      assert.equal(notice.actions[0]?.command, "bora.connectRemoteHost");
    });

    it("says another editor is connected", () => {
      const notice = failureNotice(url, { kind: "busy" });
      assert.match(notice.message, /another editor is connected/);
      assert.deepEqual(titles(notice.actions), ["Retry", "Use Local Agent Host"]);
    });

    it("words a dropped connection for a remote host, with Retry", () => {
      const notice = failureNotice(url, { kind: "lost" });
      assert.equal(notice.message, "Bora lost the connection to the agent host at ws://h:1/lsp.");
      assert.deepEqual(titles(notice.actions), ["Retry", "Open Logs"]);
    });

    it("names other refusals with their status and the path to check", () => {
      assert.match(
        failureNotice(url, { kind: "refused", status: 404, reason: "nope" }).message,
        /HTTP 404: nope.*\/lsp/,
      );
    });

    it("gives a socket error's code and message", () => {
      const error = Object.assign(new Error("connect failed"), { code: "ECONNREFUSED" });
      assert.equal(reasonOfError(error), "ECONNREFUSED (connect failed)");
      assert.equal(
        reasonOfError(Object.assign(new Error("connect ECONNREFUSED 1.2.3.4:1"), { code: "ECONNREFUSED" })),
        "connect ECONNREFUSED 1.2.3.4:1",
      );
      assert.equal(reasonOfError(new Error("Opening handshake has timed out")), "Opening handshake has timed out");
    });
  });

  it("labels a remote host for the status bar and sidebar, and the bundled one not at all", () => {
    assert.equal(hostLabel({ kind: "remote", url: "ws://h:1/lsp", label: "h:1" }), "remote h:1");
    assert.equal(hostLabel(LOCAL_HOST), undefined);
  });
});
