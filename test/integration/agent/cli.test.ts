import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { runBuiltCli, type CliResult } from "../../support/hostProcess.js";
import { ensureTestModel } from "../../support/testModels.js";
import { chunk, startFakeOpenAiServer, usageChunk, type FakeOpenAiServer } from "../remote/fakeOpenAiServer.js";
import { FIXTURE_SCRIPTS, fixtureRepo, gitIn, tempDir } from "./helpers.js";

const bora = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  runBuiltCli(["run", ...args], { env });

describe("bora run (the built CLI, scripted models)", function () {
  this.timeout(60000);
  let repo: { dir: string; dispose(): Promise<void> };
  let state: { dir: string; dispose(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    repo = await fixtureRepo();
    state = await tempDir("bora-cli-state-");
    env = { XDG_STATE_HOME: state.dir, BORA_CLI_TEST_TOKEN: "cli-secret-value-123456" };
  });
  afterEach(async () => {
    await repo.dispose();
    await state.dispose();
  });

  it("fixes the fixture's failing test: read → edit → run tests → answer, exit 0", async () => {
    const script = path.join(FIXTURE_SCRIPTS, "fixCart.json");
    const result = await bora(
      [
        "--cwd",
        repo.dir,
        "--engine",
        `script:${script}`,
        "--yes",
        "Fix the failing test (token cli-secret-value-123456)",
      ],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Status: completed: the model gave its final answer\n/);
    assert.match(result.stdout, /Changed files \(1\):\n {2}M src\/cart\.js/);
    assert.match(result.stdout, /npm test → exit 1\n {2}npm test → exit 0/);
    assert.match(result.stdout, /npm test passes\./);
    // Progress went to stderr, not stdout.
    assert.match(result.stderr, /\[bora\] → edit_file src\/cart\.js/);
    assert.doesNotMatch(result.stdout, /\[bora\]/);
    // The fix is real: the project's own tests pass now.
    execFileSync("node", ["--test", "test/"], { cwd: repo.dir, stdio: "pipe" });
    // The transcript was written where the summary says, and carries no secrets of the environment.
    const transcriptPath = /Transcript: (.+)\n/.exec(result.stdout)?.[1];
    assert.ok(transcriptPath !== undefined && transcriptPath.startsWith(path.join(state.dir, "bora", "runs")));
    const text = await readFile(transcriptPath, "utf8");
    assert.ok(!text.includes("cli-secret-value-123456"), "the token from the environment reached the transcript");
    assert.match(text, /\[REDACTED:BORA_CLI_TEST_TOKEN\]/);
    const transcript = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string });
    assert.equal(transcript[0]?.type, "run");
    assert.equal(transcript.at(-1)?.type, "end");
    assert.equal(transcript.filter((e) => e.type === "turn").length, 6);
  });

  it("undoes a run with --rollback", async () => {
    const script = path.join(FIXTURE_SCRIPTS, "fixCart.json");
    const first = await bora(["--cwd", repo.dir, "--engine", `script:${script}`, "--yes", "--json", "Fix it"], env);
    assert.equal(first.code, 0, first.stderr);
    const { runId } = JSON.parse(first.stdout) as { runId: string };
    const undo = await bora(["--cwd", repo.dir, "--rollback", runId], env);
    assert.equal(undo.code, 0, undo.stderr);
    assert.match(undo.stdout, /restored 1 file\(s\) from run .*:\n {2}modified src\/cart\.js/);
    assert.equal(gitIn(repo.dir, "status", "--porcelain"), "");
  });

  it("declines commands without --yes when nobody can be asked, and says how to approve", async () => {
    const script = path.join(state.dir, "s.json");
    await writeFile(
      script,
      JSON.stringify({
        turns: [
          { tool_calls: [{ name: "run_command", arguments: { command: "touch made.txt" } }] },
          { content: "Could not run it." },
        ],
      }),
    );
    const result = await bora(["--cwd", repo.dir, "--engine", `script:${script}`, "Try"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /not approved: run_command touch made\.txt .*pass --yes to approve/);
    await assert.rejects(readFile(path.join(repo.dir, "made.txt")));
  });

  it("runs the commands a --policy file allows without asking, and declines the rest", async () => {
    const policy = path.join(state.dir, "policy.json");
    await writeFile(
      policy,
      JSON.stringify({ run_command: { default: "ask", rules: [{ command: "npm test", decision: "always" }] } }),
    );
    const script = path.join(state.dir, "s.json");
    const fix = JSON.parse(await readFile(path.join(FIXTURE_SCRIPTS, "fixCart.json"), "utf8")) as { turns: unknown[] };
    fix.turns.splice(1, 0, {
      tool_calls: [{ name: "run_command", arguments: { command: "npm test && touch sneaky.txt" } }],
    });
    await writeFile(script, JSON.stringify(fix));
    const result = await bora(["--cwd", repo.dir, "--engine", `script:${script}`, "--policy", policy, "Fix it"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /not approved: run_command npm test && touch sneaky\.txt/);
    assert.match(result.stdout, /Commands \(2\):\n {2}npm test → exit 1\n {2}npm test → exit 0/);
    await assert.rejects(readFile(path.join(repo.dir, "sneaky.txt")));
    const bad = path.join(state.dir, "bad-policy.json");
    await writeFile(bad, JSON.stringify({ run_command: "sometimes" }));
    const refused = await bora(["--cwd", repo.dir, "--engine", `script:${script}`, "--policy", bad, "Fix it"], env);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /--policy .*bad-policy\.json: policy for run_command: 'sometimes' is not always, ask or never/,
    );
  });

  it("exits 1 with the reason when a budget ends the run", async () => {
    const script = path.join(state.dir, "loop.json");
    await writeFile(
      script,
      JSON.stringify({
        turns: Array.from({ length: 20 }, () => ({ tool_calls: [{ name: "list_dir", arguments: { path: "." } }] })),
      }),
    );
    const result = await bora(["--cwd", repo.dir, "--engine", `script:${script}`, "--max-turns", "3", "Loop"], env);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^Status: max_turns: the turn budget of 3 turns ran out/);
    assert.match(result.stderr, /bora run: max_turns: the turn budget of 3 turns ran out/);
  });

  it("ends each turn with its tokens, time and speed; the summary adds up the prompts the turns showed", async () => {
    const script = path.join(state.dir, "look.json");
    await writeFile(
      script,
      JSON.stringify({
        turns: [
          { tool_calls: [{ name: "list_dir", arguments: { path: "." } }] },
          { tool_calls: [{ name: "read_file", arguments: { path: "src/cart.js" } }] },
          { content: "Looked around." },
        ],
      }),
    );
    const result = await bora(["--cwd", repo.dir, "--engine", `script:${script}`, "Look"], env);
    assert.equal(result.code, 0, result.stderr);
    const turnLines = [
      ...result.stderr.matchAll(
        /^\[bora\] turn (\d+): \d+ tokens in \d+\.\d s(?: \(\d+\.\d tok\/s\))?; prompt (\d+) tokens$/gm,
      ),
    ];
    assert.deepEqual(
      turnLines.map((m) => m[1]),
      ["1", "2", "3"],
      result.stderr,
    );
    const prompts = turnLines.map((m) => Number(m[2]));
    const totals = /^Tokens \(all turns\): (\d+) prompt \+ \d+ completion; last prompt: (\d+)$/m.exec(result.stdout);
    assert.ok(totals, result.stdout);
    assert.equal(Number(totals[1]), prompts[0]! + prompts[1]! + prompts[2]!);
    assert.equal(Number(totals[2]), prompts[2]);
    // The size shown when a turn starts is counted before the engine's template, and says so.
    assert.match(result.stderr, /^\[bora\] turn 1 \(prompt ≈\d+ tokens, estimated\)$/m);
  });

  it("exits 1 when a reply is cut off at the per-turn limit, and names --max-turn-tokens", async () => {
    // The generated model's words are gibberish; what matters is that 8 tokens cannot finish a reply.
    const model = await ensureTestModel("tiny");
    const result = await bora(
      ["--cwd", repo.dir, "--model", model, "--max-turn-tokens", "8", "--max-turns", "1", "Fix the failing test"],
      env,
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^Status: truncated: the model's reply was cut off at the per-turn limit of 8 tokens/);
    assert.match(result.stderr, /^\[bora\] turn 1: 8 tokens in .*, cut off at the token limit$/m);
    assert.match(result.stderr, /^bora run: truncated: .*per-turn limit of 8 tokens/m);
    assert.match(result.stderr, /^bora run: to give each reply more room, pass --max-turn-tokens N \(above 8\)$/m);
  });

  it("refuses usage mistakes with exit 2 and a hint", async () => {
    const noInstruction = await bora(["--cwd", repo.dir, "--engine", "script:x.json"], env);
    assert.equal(noInstruction.code, 2);
    assert.match(noInstruction.stderr, /give the instruction as one quoted argument/);
    const badScript = path.join(state.dir, "bad.json");
    await writeFile(badScript, JSON.stringify({ turns: [{ tool_calls: [{ arguments: {} }] }] }));
    const invalid = await bora(["--cwd", repo.dir, "--engine", `script:${badScript}`, "Go"], env);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /script turns\[0\]\.tool_calls\[0\]: expected \{name: string, arguments: object\}/);
    const noEngine = await bora(["--cwd", repo.dir, "Go"], env);
    assert.equal(noEngine.code, 2);
    assert.match(noEngine.stderr, /--model PATH\|URI or --engine script:FILE/);
    const missingModel = await bora(["--cwd", repo.dir, "--model", path.join(state.dir, "none.gguf"), "Go"], env);
    assert.equal(missingModel.code, 1);
    assert.match(missingModel.stderr, /is not on this machine/);
  });
});

describe("bora run --engine remote (the built CLI, a loopback OpenAI-compatible server)", function () {
  this.timeout(60000);
  let repo: { dir: string; dispose(): Promise<void> };
  let state: { dir: string; dispose(): Promise<void> };
  let fake: FakeOpenAiServer;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    repo = await fixtureRepo();
    state = await tempDir("bora-cli-remote-");
    fake = await startFakeOpenAiServer();
    env = { XDG_STATE_HOME: state.dir, BORA_MODELS_DIR: path.join(state.dir, "models") };
  });
  afterEach(async () => {
    await fake.close();
    await repo.dispose();
    await state.dispose();
  });

  const remote = (preset: string, model = "fake-coder"): string[] => [
    "--cwd",
    repo.dir,
    "--engine",
    "remote",
    "--preset",
    preset,
    "--base-url",
    fake.baseUrl,
    "--model",
    model,
  ];

  it("runs the task on the server's model with the API key from the environment", async () => {
    const key = "sk-cli-remote-4b1d9e27";
    fake.queue.push(
      { kind: "json", body: { object: "list", data: [{ id: "fake-coder", object: "model" }] } },
      {
        kind: "sse",
        events: [
          chunk({ role: "assistant", content: "Nothing to change: " }),
          chunk({ content: "the code is fine." }),
          chunk({}, "stop"),
          usageChunk(120, 8),
        ],
      },
    );
    const result = await bora([...remote("openai"), "--yes", "Look at the code"], { ...env, BORA_REMOTE_API_KEY: key });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Status: completed: the model gave its final answer\n/);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}`),
      ["GET /v1/models", "POST /v1/chat/completions"],
    );
    for (const request of fake.requests) assert.equal(request.headers.authorization, `Bearer ${key}`);
    const body = fake.requests[1]?.body as { model?: string; tools?: { function: { name: string } }[] };
    assert.equal(body.model, "fake-coder");
    assert.ok(
      body.tools?.some((t) => t.function.name === "read_file"),
      "the agent's tools went to the server",
    );
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(key));
  });

  it("reports a refused key with the environment variables that hold it, and exit 1", async () => {
    const key = "sk-wrong-key-8c3f0a61";
    fake.queue.push({
      kind: "json",
      status: 401,
      body: {
        error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" },
      },
    });
    const result = await bora([...remote("mistral"), "Look at the code"], { ...env, BORA_REMOTE_API_KEY: key });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^bora run: the mistral server at http:\/\/127\.0\.0\.1:\d+\/v1 refused the API key \(HTTP 401\): Incorrect API key provided\. Check the key in \$BORA_REMOTE_API_KEY or \$MISTRAL_API_KEY\.$/m,
    );
    assert.doesNotMatch(result.stderr, /Bora: Set Remote API Key|bora\.remote/, "no editor wording on a terminal");
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(key));
    assert.equal(fake.requests.length, 1, "a refused key is not retried");
  });

  it("refuses a remote engine without a model name, with exit 2, before sending anything", async () => {
    const noModel = await bora(["--cwd", repo.dir, "--engine", "remote", "--base-url", fake.baseUrl, "Go"], env);
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /--engine remote needs --model NAME/);
    assert.equal(fake.requests.length, 0);
  });
});
