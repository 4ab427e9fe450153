import assert from "node:assert/strict";
import {
  EngineError,
  ModelStoreError,
  ModelUriError,
  RemoteEngineError,
  type EngineChoice,
  type ModelReferenceKind,
  type RemoteFailure,
} from "@bora/inference";
import { ModelNotHereError } from "../../../../server/src/engines/openEngine.js";
import {
  problemFor,
  shellWord,
  type CodedProblem,
  type FrontEnd,
  type UnavailableEngine,
} from "../../../../server/src/engines/problems.js";

type Unavailable = Extract<EngineChoice, { kind: "unavailable" }>;

const unconfigured = (engine: "local" | "remote", pulled: string[] = []): UnavailableEngine => ({
  kind: "unavailable",
  reason: "unconfigured",
  engine,
  unconfigured: ["chat"],
  missing: [],
  pulled,
});

const missing = (...list: Unavailable["missing"]): UnavailableEngine => ({
  kind: "unavailable",
  reason: "missing",
  engine: "local",
  unconfigured: [],
  missing: list,
});

const notHere = (reference: string, kind: ModelReferenceKind, path?: string): ModelNotHereError =>
  new ModelNotHereError({
    found: false,
    reference,
    kind,
    downloadable: kind === "url" || kind === "huggingFace",
    name: reference,
    ...(path !== undefined ? { path } : {}),
  });

const server = "the mistral server at https://api.mistral.ai/v1";
const env = ["BORA_REMOTE_API_KEY", "MISTRAL_API_KEY"];
const remote = (reason: RemoteFailure, message: string, sent = true): RemoteEngineError =>
  new RemoteEngineError(reason, message, 401, { apiKeyFacts: { sent, env } });

/** One source of every problem kind, to check the wording rules over all of them. */
const SOURCES: [string, unknown][] = [
  ["nothing configured", unconfigured("local")],
  ["pulled but unused", unconfigured("local", ["qwen-coder"])],
  ["remote unconfigured", unconfigured("remote")],
  ["missing download", missing({ role: "chat", uri: "hf:o/r/chat.gguf", downloadable: true, kind: "huggingFace" })],
  [
    "missing path",
    missing({ role: "fim", uri: "/nowhere/fim.gguf", downloadable: false, kind: "file", path: "/nowhere/fim.gguf" }),
  ],
  ["model not here", notHere("hf:o/r/chat.gguf", "huggingFace")],
  ["key refused", remote("unauthorized", `${server} refused the API key (HTTP 401): Unauthorized.`)],
  ["no key sent", remote("unauthorized", `${server} refused the request without an API key (HTTP 401).`, false)],
  ["remote model", new RemoteEngineError("modelNotFound", `${server} does not serve the model 'x'.`, 404)],
  ["remote path", new RemoteEngineError("notFound", `${server} has no such endpoint (HTTP 404).`, 404)],
  ["unreachable", new RemoteEngineError("network", `could not reach ${server} (ECONNREFUSED).`)],
  ["rate limited", new RemoteEngineError("rateLimited", `${server} is rate limiting requests (HTTP 429).`, 429)],
  ["not a GGUF", new EngineError("notGguf", "/m/x.gguf is not a GGUF file")],
  ["out of memory", new EngineError("outOfMemory", "not enough memory for a context of 4096 tokens")],
  ["bad script", new EngineError("invalidScript", "s.json: script turns[0]: expected an object")],
  ["disposed", new EngineError("disposed", "the engine was disposed")],
  ["pull cancelled", new ModelStoreError("aborted", "the pull was cancelled")],
  ["pull interrupted", new ModelStoreError("interrupted", "the download stopped at 3.0 MiB. Run the same pull again.")],
  ["pull refused", new ModelStoreError("unauthorized", "https://x refused access (HTTP 401).")],
  ["bad reference", new ModelUriError("'hf:x' is not a Hugging Face reference")],
  ["anything else", new TypeError("x is not a function")],
];

function both(source: unknown): Record<FrontEnd, CodedProblem> {
  return { editor: problemFor(source, "editor"), cli: problemFor(source, "cli") };
}

describe("engine problems worded per front end", () => {
  it("gives the editor a button and no terminal command or environment variable for what the button fixes", () => {
    for (const [what, source] of SOURCES) {
      const { editor } = both(source);
      if (editor.fix === undefined) continue;
      assert.doesNotMatch(editor.message, /\bbora (models|run|engine)\b|--[a-z]|\$[A-Z_]{3,}/, what);
    }
  });

  it("gives the terminal commands, flags and variables, never an editor command or button", () => {
    for (const [what, source] of SOURCES) {
      const { cli } = both(source);
      assert.doesNotMatch(cli.message, /Bora: |bora\.(models|remote|local)\b/, what);
      assert.equal(cli.fix, undefined, `${what}: a terminal has no buttons`);
    }
  });

  it("keeps one code per problem, whichever front end words it", () => {
    for (const [what, source] of SOURCES) {
      const { editor, cli } = both(source);
      assert.equal(editor.code, cli.code, what);
    }
  });

  it("offers Pull Model when nothing is configured", () => {
    const { editor, cli } = both(unconfigured("local"));
    assert.deepEqual([editor.code, editor.fix, editor.target], ["modelUnconfigured", "pullModel", undefined]);
    assert.match(editor.message, /No model is configured.*Bora: Pull Model…/);
    assert.match(cli.message, /--model.*bora models pull hf:/);
  });

  it("says a pulled model is not in use, and opens the chat model setting", () => {
    const { editor, cli } = both(unconfigured("local", ["qwen-coder"]));
    assert.deepEqual([editor.code, editor.fix, editor.target], ["modelUnused", "openSettings", "bora.models.chat"]);
    assert.match(editor.message, /Model qwen-coder is pulled but not in use/);
    assert.match(cli.message, /qwen-coder is pulled but not in use: pass --model qwen-coder/);
    assert.match(problemFor(unconfigured("local", ["a", "b"]), "editor").message, /Models a, b are pulled/);
  });

  it("points an unconfigured remote engine at the model name the server lists", () => {
    const { editor, cli } = both(unconfigured("remote"));
    assert.deepEqual(
      [editor.code, editor.fix, editor.target],
      ["remoteModelUnconfigured", "openSettings", "bora.models.chat"],
    );
    assert.match(editor.message, /\/v1\/models/);
    assert.match(cli.message, /--model.*\/v1\/models/);
  });

  it("pulls a missing download with the button in the editor and with the command on the terminal", () => {
    const uri = "https://cdn.invalid/a b.gguf";
    const { editor, cli } = both(missing({ role: "chat", uri, downloadable: true, kind: "url" }));
    assert.deepEqual([editor.code, editor.fix, editor.target], ["modelMissing", "pullModel", uri]);
    assert.match(
      editor.message,
      /The chat model https:\/\/cdn\.invalid\/a b\.gguf is not downloaded yet: Bora: Pull Model…/,
    );
    assert.match(cli.message, /pull it first with 'bora models pull 'https:\/\/cdn\.invalid\/a b\.gguf''/);
    assert.equal(shellWord("hf:Qwen/Repo-GGUF/chat.gguf"), "hf:Qwen/Repo-GGUF/chat.gguf");
    assert.equal(shellWord("it's"), `'it'\\''s'`);
  });

  it("points a missing path at its role's setting", () => {
    const { editor, cli } = both(
      missing({ role: "fim", uri: "/nowhere/fim.gguf", downloadable: false, kind: "file", path: "/nowhere/fim.gguf" }),
    );
    assert.deepEqual([editor.code, editor.fix, editor.target], ["modelMissing", "openSettings", "bora.models.fim"]);
    assert.match(editor.message, /The fim model \/nowhere\/fim\.gguf .*fix bora\.models\.fim/);
    assert.match(cli.message, /not on this machine: there is no such file.*bora models list/);
  });

  it("words a store name that is not in the store as a setting to fix, never as a pull", () => {
    const facts = { role: "chat" as const, uri: "m", downloadable: false, kind: "storeName" as const, path: "/w/m" };
    const { editor, cli } = both(missing(facts));
    assert.deepEqual([editor.code, editor.fix, editor.target], ["modelMissing", "openSettings", "bora.models.chat"]);
    assert.match(editor.message, /The chat model m is not a model in the store .*fix bora\.models\.chat/);
    assert.match(
      cli.message,
      /the model 'm' is not on this machine: the model store has no model of that name and there is no file \/w\/m/,
    );
    assert.doesNotMatch(cli.message, /bora models pull m\b/);
  });

  it("offers the first pullable reference when a path and a download are both missing", () => {
    const editor = problemFor(
      missing(
        { role: "chat", uri: "/m/chat.gguf", downloadable: false, kind: "file" },
        { role: "fim", uri: "hf:o/r/fim.gguf", downloadable: true, kind: "huggingFace" },
      ),
      "editor",
    );
    assert.deepEqual([editor.fix, editor.target], ["pullModel", "hf:o/r/fim.gguf"]);
    assert.match(editor.message, /chat model \/m\/chat\.gguf.*fim model hf:o\/r\/fim\.gguf/);
  });

  it("words a model that is not here when an engine opens, as the CLI said before", () => {
    const { editor, cli } = both(notHere("hf:o/r/chat.gguf", "huggingFace"));
    assert.deepEqual([editor.code, editor.fix, editor.target], ["modelMissing", "pullModel", "hf:o/r/chat.gguf"]);
    assert.match(
      cli.message,
      /the model hf:o\/r\/chat\.gguf is not on this machine; pull it first with 'bora models pull hf:o\/r\/chat\.gguf'/,
    );
  });

  it("sends a refused key to Set Remote API Key in the editor and to the environment on the terminal", () => {
    const refused = both(remote("unauthorized", `${server} refused the API key (HTTP 401): Unauthorized.`));
    assert.deepEqual([refused.editor.code, refused.editor.fix], ["remoteUnauthorized", "setApiKey"]);
    assert.match(refused.editor.message, /refused the API key .*Set the key with Bora: Set Remote API Key…/);
    assert.match(
      refused.cli.message,
      /refused the API key .*Check the key in \$BORA_REMOTE_API_KEY or \$MISTRAL_API_KEY\./,
    );
    const none = problemFor(remote("unauthorized", `${server} refused the request without an API key.`, false), "cli");
    assert.match(none.message, /Set the key in \$BORA_REMOTE_API_KEY or \$MISTRAL_API_KEY\./);
  });

  it("maps the other remote failures to their settings or the log", () => {
    const cases: [RemoteFailure, string, string | undefined, string | undefined][] = [
      ["modelNotFound", "remoteModelNotFound", "openSettings", "bora.models.chat"],
      ["notFound", "remoteEndpointNotFound", "openSettings", "bora.remote.baseUrl"],
      ["network", "remoteUnreachable", "openSettings", "bora.remote.baseUrl"],
      ["timeout", "remoteUnreachable", "openSettings", "bora.remote.baseUrl"],
      ["rateLimited", "remoteFailed", "openLogs", undefined],
      ["serverError", "remoteFailed", "openLogs", undefined],
    ];
    for (const [reason, code, fix, target] of cases) {
      const editor = problemFor(new RemoteEngineError(reason, `${server} failed.`), "editor");
      assert.deepEqual([editor.code, editor.fix, editor.target], [code, fix, target], reason);
      assert.match(editor.message, /failed\./);
    }
    assert.match(problemFor(new RemoteEngineError("modelNotFound", "no."), "cli").message, /\(--model\)/);
    assert.match(problemFor(new RemoteEngineError("notFound", "no."), "cli").message, /\(--base-url\)/);
  });

  it("maps engine, store and reference errors to their codes, keeping their messages", () => {
    const cases: [unknown, string, string | undefined, string | undefined][] = [
      [new EngineError("notGguf", "x is not a GGUF file"), "modelUnusable", "openSettings", "bora.models.chat"],
      [new EngineError("outOfMemory", "no memory"), "engineOutOfMemory", "openSettings", "bora.local"],
      [new EngineError("invalidScript", "bad script"), "scriptInvalid", undefined, undefined],
      [new EngineError("disposed", "gone"), "engineFailed", "openLogs", undefined],
      [new ModelStoreError("aborted", "the pull was cancelled"), "pullCancelled", undefined, undefined],
      [new ModelStoreError("interrupted", "stopped at 3 MiB"), "pullFailed", "pullModel", undefined],
      [new ModelStoreError("checksum", "wrong SHA-256"), "pullFailed", undefined, undefined],
      [new ModelUriError("'hf:x' is not a reference"), "modelReferenceInvalid", "openSettings", "bora.models"],
      [new Error("boom"), "unexpected", "openLogs", undefined],
      ["a thrown string", "unexpected", "openLogs", undefined],
    ];
    for (const [source, code, fix, target] of cases) {
      const editor = problemFor(source, "editor");
      assert.deepEqual([editor.code, editor.fix, editor.target], [code, fix, target], String(source));
      assert.equal(problemFor(source, "cli").message, source instanceof Error ? source.message : String(source));
    }
  });
});
