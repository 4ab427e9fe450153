/** Temporary git repositories and a tool context for the agent runtime's integration tests. */
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, realpath, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ScriptedEngine, type ChatRequest, type StreamEvent } from "@bora/inference";
import { headlessQuestions, type Questions } from "../../../server/src/agent/questions.js";
import {
  DEFAULT_TOOL_LIMITS,
  type CommandRecord,
  type ToolContext,
  type ToolLimits,
} from "../../../server/src/agent/tools/types.js";
import { createCommandRunner, type CommandRunner } from "../../../server/src/workspace/sandbox.js";
import { Spawner } from "../../../server/src/workspace/spawner.js";
import { REPO_ROOT } from "../../support/hostProcess.js";

export const FIXTURE_REPO = path.join(REPO_ROOT, "test/fixtures/agentRepo");
export const FIXTURE_SCRIPTS = path.join(REPO_ROOT, "test/fixtures/agentScripts");

export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync(
    "git",
    ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "core.hooksPath=/dev/null", ...args],
    {
      cwd: dir,
      encoding: "utf8",
    },
  );
}

/** A fresh directory under the system temp dir (a real path); removed by `dispose`. */
export async function tempDir(prefix: string): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), prefix)));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** A git repository holding a copy of the fixture project, with one commit. */
export async function fixtureRepo(): Promise<{ dir: string; dispose(): Promise<void> }> {
  const temp = await tempDir("bora-agent-repo-");
  await cp(FIXTURE_REPO, temp.dir, { recursive: true });
  gitIn(temp.dir, "init", "-q", "-b", "main");
  gitIn(temp.dir, "add", "-A");
  gitIn(temp.dir, "commit", "-q", "-m", "fixture");
  return temp;
}

export interface TestContext extends ToolContext {
  writes: string[];
  commandsRun: CommandRecord[];
  checkpoints: number;
}

export function toolContext(
  root: string,
  options: { runner?: CommandRunner; questions?: Questions; limits?: Partial<ToolLimits>; spawner?: Spawner } = {},
): TestContext {
  const spawner = options.spawner ?? new Spawner();
  const context: TestContext = {
    root,
    runId: "test-run",
    signal: new AbortController().signal,
    questions: options.questions ?? headlessQuestions,
    limits: { ...DEFAULT_TOOL_LIMITS, ...options.limits },
    commands: () => (options.runner ? Promise.resolve(options.runner) : createCommandRunner({ root, spawner })),
    spawner,
    beforeWrite: () => {
      context.checkpoints++;
      return Promise.resolve();
    },
    remainingMs: () => 60000,
    noteWrite: (p) => context.writes.push(p),
    noteCommand: (r) => context.commandsRun.push(r),
    writes: [],
    commandsRun: [],
    checkpoints: 0,
  };
  return context;
}

/**
 * A scripted engine that, like a real one, stops a reply at the request's `maxTokens` and says so
 * (`finishReason: "length"`): text past the limit is dropped, and so are the calls after it.
 */
export class TokenLimitedEngine extends ScriptedEngine {
  override chat(request: ChatRequest): AsyncIterable<StreamEvent> {
    const stream = super.chat(request);
    const count = (text: string): Promise<number> => this.countTokens(text);
    const limit = request.maxTokens ?? Number.POSITIVE_INFINITY;
    return (async function* () {
      let used = 0;
      let cut = false;
      for await (const event of stream) {
        if (event.type === "done") {
          yield cut ? { ...event, finishReason: "length", usage: { ...event.usage, completionTokens: used } } : event;
        } else if (!cut && event.type === "text" && used + (await count(event.text)) > limit) {
          cut = true;
        } else if (!cut) {
          if (event.type === "text") used += await count(event.text);
          yield event;
        }
      }
    })();
  }
}
