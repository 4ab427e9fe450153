import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "../../support/hostProcess.js";
import { fullRepository, simpleUser } from "../../fakes/githubData.js";
import { githubOperations, validateGitHubResponse } from "../../fakes/githubSchemas.js";
import { validateJiraResponse } from "../../fakes/jiraSchemas.js";
import { validateSentryResponse } from "../../fakes/sentrySchemas.js";

describe("the fakes' schema gates", () => {
  it("the committed GitHub subset is what the script derives from the pinned @octokit/openapi", () => {
    // Exits 1 (and this throws) when the package or the operation list changed without re-running it.
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts/extract-github-schemas.mjs"), "--check"], {
      stdio: "pipe",
    });
    assert.ok(githubOperations().includes("POST /repos/{owner}/{repo}/pulls"));
  });

  it("rejects a GitHub body that misses a field the current schema requires", () => {
    const repo = fullRepository("http://127.0.0.1:1", "http://127.0.0.1:1", {
      id: 1,
      owner: simpleUser("http://127.0.0.1:1", "http://127.0.0.1:1", "o", 2),
      name: "r",
      defaultBranch: "main",
      private: false,
      openIssues: 0,
    });
    assert.deepEqual(validateGitHubResponse("GET /repos/{owner}/{repo}", 200, repo), []);
    const { has_discussions: _gone, ...stale } = repo;
    assert.match(
      validateGitHubResponse("GET /repos/{owner}/{repo}", 200, stale).join("\n"),
      /must have required property 'has_discussions'/,
    );
    assert.match(
      validateGitHubResponse("GET /repos/{owner}/{repo}", 200, { ...repo, default_branch: 7 }).join("\n"),
      /default_branch must be string/,
    );
  });

  it("rejects a status the operation does not define, and checks error bodies", () => {
    assert.match(validateGitHubResponse("GET /repos/{owner}/{repo}", 201, {}).join(""), /lists no 201 response/);
    assert.deepEqual(
      validateGitHubResponse("GET /repos/{owner}/{repo}", 404, { message: "Not Found", documentation_url: "x" }),
      [],
    );
    assert.notDeepEqual(validateGitHubResponse("GET /repos/{owner}/{repo}", 404, { message: 404 }), []);
  });

  it("rejects Sentry bodies that break the hand-written schema", () => {
    const op = "GET /api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/";
    assert.match(validateSentryResponse(op, 200, { id: "1" }).join("\n"), /must have required property 'shortId'/);
    assert.match(validateSentryResponse(op, 404, { message: "x" }).join("\n"), /must have required property 'detail'/);
  });

  it("rejects Jira bodies that break the hand-written schema", () => {
    assert.deepEqual(validateJiraResponse("errorCollection", { errorMessages: ["x"], errors: {} }), []);
    assert.match(
      validateJiraResponse("errorCollection", { message: "x" }).join("\n"),
      /required property 'errorMessages'/,
    );
    assert.match(
      validateJiraResponse("searchJql", { issues: [], total: 3 }).join("\n"),
      /must NOT have additional properties/,
    );
    assert.match(
      validateJiraResponse("issue", {
        id: "1",
        key: "abc-1",
        self: "http://x.invalid/1",
        fields: { summary: "s", status: { id: "1", name: "n" } },
      }).join("\n"),
      /key must match pattern/,
    );
  });
});
