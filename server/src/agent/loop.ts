/**
 * The agent loop: system prompt and rules, the task, then model ↔ tools until the model answers
 * without calling a tool, or a budget (turns, tokens, wall time) ends the run. Each run has an id,
 * a transcript (redacted), a checkpoint taken before its first write, and a result that says how it
 * ended and what it did.
 */
import { randomBytes } from "node:crypto";
import { isEngineError, type ChatMessage, type Engine, type ToolCall } from "@bora/inference";
import { CheckpointStore, type ChangedFile, type Checkpoint } from "../workspace/checkpoints.js";
import { realRoot } from "../workspace/confinement.js";
import { createCommandRunner, type CommandRunner, type RunnerChoice } from "../workspace/sandbox.js";
import type { Spawner } from "../workspace/spawner.js";
import { resolveStateDir } from "../workspace/stateDir.js";
import { decide, DEFAULT_POLICY, freezePolicy, type ApprovalPolicy } from "./approvals.js";
import { ContextBudget } from "./contextBudget.js";
import type { AgentEvent, EditorHost } from "./editorHost.js";
import { systemPrompt } from "./prompts.js";
import { Redactor } from "./redaction.js";
import { loadRules } from "./rules.js";
import {
  createToolSet,
  DEFAULT_TOOL_LIMITS,
  ToolError,
  type CommandRecord,
  type ToolLimits,
  type ToolSet,
} from "./tools/index.js";
import { Transcript, type TranscriptEntry } from "./transcript.js";

export type RunStatus =
  | "completed"
  | "max_turns"
  | "max_tokens"
  | "timeout"
  | "aborted"
  | "context_exhausted"
  | "script_ended"
  | "engine_error";

export interface Budgets {
  /** Model turns before the run stops. Defaults to 40. */
  maxTurns?: number;
  /** Prompt plus completion tokens over the whole run. Defaults to 2,000,000. */
  maxTokens?: number;
  /** Wall-clock milliseconds for the whole run, tools included. Defaults to 30 minutes. */
  maxWallMs?: number;
  /** Tokens the model may write per turn (also reserved out of the context window). Defaults to 2048. */
  maxTokensPerTurn?: number;
}

export interface AgentRunOptions {
  engine: Engine;
  host: EditorHost;
  /** The run's root: workspace folder or task worktree. Every tool is confined to it. */
  root: string;
  task: string;
  /** Names the checkpoint ref and the transcript. Defaults to a timestamp plus random suffix. */
  runId?: string;
  budgets?: Budgets;
  /** Approval policy per tool. Defaults to `DEFAULT_POLICY` (commands ask). */
  policy?: ApprovalPolicy;
  /** Treats `ask` as approved without asking (`bora run --yes`); `never` still blocks. Defaults to false. */
  autoApprove?: boolean;
  /** Starts every child process of the run (commands, git, search): its owner's, so that a shutdown ends them. */
  spawner: Spawner;
  /** Sandbox settings for `run_command`. Defaults to bubblewrap, no network, the default env allow-list. */
  sandbox?: Omit<RunnerChoice, "root" | "spawner">;
  /** A ready command runner (tests); overrides `sandbox`. */
  commandRunner?: CommandRunner;
  /** Environment whose secret-looking values are redacted. Defaults to `process.env`. */
  secretEnv?: NodeJS.ProcessEnv;
  /** Further secret values to redact (tokens the editor passed for this run). Defaults to none. */
  secrets?: readonly string[];
  /** JSONL file for the transcript. Defaults to memory only. */
  transcriptFile?: string;
  toolLimits?: Partial<ToolLimits>;
  tools?: ToolSet;
  /** Takes a checkpoint before the first write. Defaults to true. */
  checkpoints?: boolean;
  /** The state folder, where shadow repositories for non-git roots live. Defaults to `resolveStateDir(process.env)`. */
  stateDir?: string;
  signal?: AbortSignal;
}

export interface AgentRunResult {
  runId: string;
  status: RunStatus;
  ok: boolean;
  /** Why the run ended, in a sentence. */
  reason: string;
  /** The model's final answer (its last text). */
  answer: string;
  turns: number;
  usage: { promptTokens: number; completionTokens: number };
  elapsedMs: number;
  checkpoint?: Checkpoint;
  filesChanged: ChangedFile[];
  commands: CommandRecord[];
  transcript: TranscriptEntry[];
  /** A plain-text summary for people (the CLI prints it). */
  summary: string;
}

/** Longest tool result that goes back to the model in one message. */
const MAX_TOOL_RESULT_CHARS = 60000;

function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
}

function renderResult(result: { ok: true; content: string } | { ok: false; code: string; message: string }): string {
  const text = result.ok ? result.content : `ERROR ${result.code}: ${result.message}`;
  return text.length > MAX_TOOL_RESULT_CHARS
    ? `${text.slice(0, MAX_TOOL_RESULT_CHARS)}\n[... result cut at ${MAX_TOOL_RESULT_CHARS} characters]`
    : text;
}

export function formatSummary(result: Omit<AgentRunResult, "summary" | "transcript">): string {
  const lines = [
    `Status: ${result.status}: ${result.reason}`,
    `Turns: ${result.turns}, tokens: ${result.usage.promptTokens} prompt + ${result.usage.completionTokens} completion, time: ${(result.elapsedMs / 1000).toFixed(1)} s`,
  ];
  const mark = { added: "A", modified: "M", deleted: "D" } as const;
  lines.push(
    result.filesChanged.length === 0
      ? "Changed files: none"
      : `Changed files (${result.filesChanged.length}):\n${result.filesChanged.map((f) => `  ${mark[f.status]} ${f.path}`).join("\n")}`,
  );
  if (result.commands.length > 0) {
    lines.push(
      `Commands (${result.commands.length}):\n${result.commands
        .map(
          (c) => `  ${c.command} → ${c.timedOut ? "timed out" : c.exitCode === null ? "killed" : `exit ${c.exitCode}`}`,
        )
        .join("\n")}`,
    );
  }
  if (result.checkpoint)
    lines.push(`Checkpoint: ${result.checkpoint.ref} (undo with: bora run --rollback ${result.runId})`);
  if (result.answer.trim()) lines.push("", result.answer.trim());
  return lines.join("\n");
}

export async function runAgent(options: AgentRunOptions): Promise<AgentRunResult> {
  const started = performance.now();
  const runId = options.runId ?? newRunId();
  // Fails early on a run id that cannot name a ref, before anything is done.
  CheckpointStore.refFor(runId);
  const root = await realRoot(options.root);
  const budgets = {
    maxTurns: options.budgets?.maxTurns ?? 40,
    maxTokens: options.budgets?.maxTokens ?? 2_000_000,
    maxWallMs: options.budgets?.maxWallMs ?? 30 * 60 * 1000,
    maxTokensPerTurn: options.budgets?.maxTokensPerTurn ?? 2048,
  };
  // The policy is fixed here, from the caller's options only; nothing later in the run can widen it.
  const policy = freezePolicy({ ...DEFAULT_POLICY, ...options.policy });
  const redactor = new Redactor({ env: options.secretEnv ?? process.env, secrets: options.secrets });
  const transcript = new Transcript(redactor, options.transcriptFile);
  const tools = options.tools ?? createToolSet();
  const limits: ToolLimits = { ...DEFAULT_TOOL_LIMITS, ...options.toolLimits };
  const emit = (event: AgentEvent): void => {
    try {
      options.host.progress(redactor.redactValue(event));
    } catch {
      // A broken progress display must not end the run.
    }
  };

  const rules = await loadRules(root);
  let messages: ChatMessage[] = [
    { role: "system", content: redactor.redact(systemPrompt(rules)) },
    { role: "user", content: redactor.redact(options.task) },
  ];
  /** The system prompt (with the rules) and the task: never truncated or compacted. */
  const FIXED = 2;
  // The window holds the tool definitions (the engine renders them into the prompt), the
  // conversation and the reply; the reply gets at most a quarter of it.
  const contextSize = options.engine.info.contextSize;
  const toolsTokens = await options.engine.countTokens(JSON.stringify(tools.definitions));
  const replyReserve = Math.min(budgets.maxTokensPerTurn, Math.floor(contextSize / 4));
  const budget = new ContextBudget((text) => options.engine.countTokens(text), {
    maxPromptTokens: Math.max(1, contextSize - replyReserve - toolsTokens),
  });

  // One controller for every way a run can stop early: the caller's signal and the wall-time budget.
  const controller = new AbortController();
  let stopCause: "timeout" | "aborted" | undefined;
  const wallTimer = setTimeout(() => {
    stopCause ??= "timeout";
    controller.abort();
  }, budgets.maxWallMs);
  const onCallerAbort = (): void => {
    stopCause ??= "aborted";
    controller.abort();
  };
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  const deadline = Date.now() + budgets.maxWallMs;

  let runnerPromise: Promise<CommandRunner> | undefined;
  const commands = (): Promise<CommandRunner> =>
    (runnerPromise ??= options.commandRunner
      ? Promise.resolve(options.commandRunner)
      : createCommandRunner({ ...options.sandbox, root, spawner: options.spawner }));

  let store: CheckpointStore | undefined;
  let checkpoint: Checkpoint | undefined;
  let checkpointing: Promise<void> | undefined;
  const beforeWrite = (): Promise<void> => {
    if (options.checkpoints === false) return Promise.resolve();
    return (checkpointing ??= (async () => {
      store = await CheckpointStore.open(root, {
        spawner: options.spawner,
        stateDir: options.stateDir ?? resolveStateDir(process.env, process.cwd()),
      });
      checkpoint = await store.create(runId);
      transcript.record({ type: "checkpoint", ref: checkpoint.ref, commit: checkpoint.commit });
      emit({ kind: "checkpoint", ref: checkpoint.ref });
    })());
  };
  const written = new Set<string>();
  const commandLog: CommandRecord[] = [];

  const usage = { promptTokens: 0, completionTokens: 0 };
  let turns = 0;
  let answer = "";
  let status: RunStatus = "completed";
  let reason = "the model gave its final answer";

  const stopped = (): boolean => {
    if (!controller.signal.aborted) return false;
    status = stopCause === "aborted" ? "aborted" : "timeout";
    reason =
      status === "aborted"
        ? "the run was cancelled"
        : `the wall-time budget of ${Math.round(budgets.maxWallMs / 1000)} s ran out`;
    return true;
  };

  try {
    transcript.record({
      type: "run",
      runId,
      root,
      task: options.task,
      engine: `${options.engine.info.kind}:${options.engine.info.model}`,
    });
    emit({ kind: "runStarted", runId, root, task: options.task });
    for (;;) {
      if (stopped()) break;
      if (turns >= budgets.maxTurns) {
        status = "max_turns";
        reason = `the turn budget of ${budgets.maxTurns} turns ran out before the model finished`;
        break;
      }
      const spent = usage.promptTokens + usage.completionTokens;
      if (spent >= budgets.maxTokens) {
        status = "max_tokens";
        reason = `the token budget of ${budgets.maxTokens} tokens ran out (${spent} used)`;
        break;
      }
      const fitted = await budget.fit(messages, FIXED);
      if (fitted.truncatedResults > 0 || fitted.summarizedTurns > 0) {
        messages = fitted.messages;
        transcript.record({
          type: "compaction",
          turn: turns + 1,
          truncatedResults: fitted.truncatedResults,
          summarizedTurns: fitted.summarizedTurns,
          promptTokens: fitted.promptTokens,
        });
        emit({ kind: "compacted", truncatedResults: fitted.truncatedResults, summarizedTurns: fitted.summarizedTurns });
      }
      if (!fitted.fits) {
        status = "context_exhausted";
        reason = `the task, rules, tool definitions (${toolsTokens} tokens) and latest turns no longer fit the ${contextSize}-token context window; use a model with a larger context`;
        break;
      }
      turns++;
      emit({ kind: "turnStarted", turn: turns, promptTokens: fitted.promptTokens + toolsTokens });
      const turnStarted = performance.now();
      let text = "";
      const calls: ToolCall[] = [];
      const callErrors: { id: string; name: string; message: string }[] = [];
      let finishReason = "stop";
      let turnUsage = { promptTokens: 0, completionTokens: 0 };
      try {
        const stream = options.engine.chat({
          // A copy: the engine must not see messages added after this call.
          messages: [...messages],
          tools: tools.definitions,
          signal: controller.signal,
          priority: "background",
          maxTokens: Math.max(
            1,
            Math.min(
              budgets.maxTokensPerTurn,
              contextSize - toolsTokens - fitted.promptTokens,
              budgets.maxTokens - spent,
            ),
          ),
          deadlineMs: Math.max(1, deadline - Date.now()),
        });
        for await (const event of stream) {
          if (event.type === "text") {
            text += event.text;
            emit({ kind: "text", turn: turns, text: event.text });
          } else if (event.type === "toolCall") calls.push(event.call);
          else if (event.type === "toolCallError") callErrors.push(event);
          else if (event.type === "done") {
            finishReason = event.finishReason;
            turnUsage = { promptTokens: event.usage.promptTokens, completionTokens: event.usage.completionTokens };
          }
        }
      } catch (error) {
        if (isEngineError(error, "scriptExhausted")) {
          turns--;
          status = "script_ended";
          reason = `the script ended after ${turns} turn(s) without a final answer`;
          break;
        }
        if (controller.signal.aborted || isEngineError(error, "aborted") || isEngineError(error, "deadline")) {
          stopCause ??= "timeout";
          stopped();
          break;
        }
        status = "engine_error";
        reason = `the engine failed: ${error instanceof Error ? error.message : String(error)}`;
        break;
      }
      usage.promptTokens += turnUsage.promptTokens;
      usage.completionTokens += turnUsage.completionTokens;
      transcript.record({
        type: "turn",
        turn: turns,
        promptTokens: fitted.promptTokens + toolsTokens,
        promptMessages: messages.length,
        output: text,
        toolCalls: calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
        finishReason,
        usage: turnUsage,
        ms: Math.round(performance.now() - turnStarted),
      });
      if (finishReason === "aborted" && stopped()) break;
      if (text.trim()) answer = text;
      const allCalls = [...calls, ...callErrors.map((e) => ({ id: e.id, name: e.name, arguments: {} }))];
      messages.push({
        role: "assistant",
        content: redactor.redact(text),
        ...(allCalls.length > 0 && { toolCalls: redactor.redactValue(allCalls) }),
      });
      if (allCalls.length === 0) break;

      for (const call of calls) {
        const toolStarted = performance.now();
        const tool = tools.get(call.name);
        const subject = tool?.subject(call.arguments) ?? { summary: call.name };
        emit({ kind: "toolCall", turn: turns, name: call.name, summary: subject.summary });
        let result: { ok: true; content: string } | { ok: false; code: string; message: string };
        let approval: string | undefined;
        const invalid = tools.validate(call.name, call.arguments);
        if (invalid !== undefined || tool === undefined) {
          result = {
            ok: false,
            code: tool === undefined ? "unknown_tool" : "invalid_arguments",
            message: invalid ?? "unknown tool",
          };
        } else {
          const verdict = decide(policy, { tool: call.name, command: subject.command, paths: subject.paths });
          approval = verdict.reason;
          let allowed = verdict.decision === "always";
          if (verdict.decision === "ask") {
            allowed =
              options.autoApprove === true ||
              (await options.host.requestApproval(
                { tool: call.name, summary: redactor.redact(subject.summary), reason: verdict.reason },
                controller.signal,
              ));
            approval = `${verdict.reason} → ${allowed ? "approved" : "declined"}${options.autoApprove ? " (--yes)" : ""}`;
          }
          if (!allowed) {
            result = {
              ok: false,
              code: "denied",
              message:
                verdict.decision === "never"
                  ? `the approval policy forbids this call (${verdict.reason}); do not retry it`
                  : "the user did not approve this call; do not retry it unchanged",
            };
          } else {
            try {
              const content = await tool.run(call.arguments, {
                root,
                signal: controller.signal,
                host: options.host,
                limits,
                commands,
                spawner: options.spawner,
                beforeWrite,
                remainingMs: () => Math.max(0, deadline - Date.now()),
                noteWrite: (p) => written.add(p),
                noteCommand: (record) => commandLog.push(redactor.redactValue(record)),
              });
              result = { ok: true, content };
            } catch (error) {
              result =
                error instanceof ToolError
                  ? { ok: false, code: error.code, message: error.message }
                  : { ok: false, code: "io_error", message: error instanceof Error ? error.message : String(error) };
            }
          }
        }
        const rendered = redactor.redact(renderResult(result));
        const ms = Math.round(performance.now() - toolStarted);
        messages.push({ role: "tool", toolCallId: call.id, name: call.name, content: rendered });
        transcript.record({
          type: "tool",
          turn: turns,
          id: call.id,
          name: call.name,
          ok: result.ok,
          result: rendered,
          ms,
          ...(approval && { approval }),
        });
        emit({
          kind: "toolResult",
          turn: turns,
          name: call.name,
          ok: result.ok,
          summary: rendered.split("\n")[0] ?? "",
          ms,
        });
        if (controller.signal.aborted) break;
      }
      for (const failed of callErrors) {
        const content = `ERROR invalid_arguments: ${failed.message}`;
        messages.push({ role: "tool", toolCallId: failed.id, name: failed.name, content: redactor.redact(content) });
        transcript.record({
          type: "tool",
          turn: turns,
          id: failed.id,
          name: failed.name,
          ok: false,
          result: redactor.redact(content),
          ms: 0,
        });
      }
    }
  } finally {
    clearTimeout(wallTimer);
    options.signal?.removeEventListener("abort", onCallerAbort);
  }

  await checkpointing?.catch(() => undefined);
  let filesChanged: ChangedFile[] = [...written].sort().map((p) => ({ status: "modified", path: p }));
  if (store && checkpoint) {
    // The checkpoint diff also catches files that commands changed.
    filesChanged = await store.changedSince(checkpoint).catch(() => filesChanged);
  }
  const ok = status === "completed";
  transcript.record({ type: "end", status, reason, answer });
  emit({ kind: "runFinished", status, reason });
  const base = {
    runId,
    status,
    ok,
    reason,
    answer: redactor.redact(answer),
    turns,
    usage,
    elapsedMs: Math.round(performance.now() - started),
    checkpoint,
    filesChanged,
    commands: commandLog,
  };
  return { ...base, transcript: transcript.entries, summary: redactor.redact(formatSummary(base)) };
}

/** Puts a run's root back to its checkpoint; returns what was undone. */
export async function rollbackRun(
  root: string,
  runId: string,
  options: { spawner: Spawner; stateDir: string },
): Promise<ChangedFile[]> {
  const real = await realRoot(root);
  const store = await CheckpointStore.open(real, options);
  const checkpoint = await store.find(runId);
  if (checkpoint === undefined) {
    throw new Error(`no checkpoint for run ${runId} in ${real} (looked for ${CheckpointStore.refFor(runId)})`);
  }
  return store.restore(checkpoint);
}
