/**
 * One tool call as a step: validate the arguments, ask the approval policy (and the user when it
 * says ask), run the tool, and turn whatever happened into the result the model reads. Nothing here
 * throws for a tool's failure: every failure is a result with a stable error code. The output is
 * plain JSON; `applyCall` folds it into the state.
 */
import type { Checkpoint } from "../workspace/checkpoints.js";
import { decide, type ApprovalPolicy, type Verdict } from "./approvals.js";
import type { ApprovalAnswer, ApprovalRequest } from "./questions.js";
import type { RunDeps } from "./runDeps.js";
import type { PendingCall, RunEnd, RunState } from "./runState.js";
import { ToolError, type CommandRecord, type Tool, type ToolOutput, type ToolSet } from "./tools/index.js";

/** Longest tool result that goes back to the model in one message. */
const MAX_TOOL_RESULT_CHARS = 60000;

export interface CallOutput {
  turn: number;
  /** The call's id, as the model gave it. */
  id: string;
  name: string;
  ok: boolean;
  /** The result as the model reads it: rendered, cut to size, redacted. */
  content: string;
  /** How the approval policy decided, when the call got that far. */
  approval?: string;
  ms: number;
  /** Files this call changed, relative to the root. */
  writes: string[];
  /** Commands this call ran (redacted). */
  commands: CommandRecord[];
  /** The run's checkpoint after this call, when it has one (taken before the run's first write). */
  checkpoint?: Checkpoint;
}

function renderResult(result: ToolOutput): string {
  const text = result.ok ? result.content : `ERROR ${result.code}: ${result.message}`;
  return text.length > MAX_TOOL_RESULT_CHARS
    ? `${text.slice(0, MAX_TOOL_RESULT_CHARS)}\n[... result cut at ${MAX_TOOL_RESULT_CHARS} characters]`
    : text;
}

export async function executeCall(input: PendingCall, deps: RunDeps): Promise<CallOutput> {
  const { call, turn } = input;
  const started = performance.now();
  const writes: string[] = [];
  const commands: CommandRecord[] = [];
  let outcome: { result: ToolOutput; approval?: string };
  if (input.error !== undefined) {
    // The engine could not use this call; it never reaches the policy or the tool.
    outcome = { result: { ok: false, code: "invalid_arguments", message: input.error } };
  } else {
    const tool = deps.tools.get(call.name);
    const subject = tool?.subject(call.arguments) ?? { summary: call.name };
    deps.recorder.emit({ kind: "toolCall", turn, name: call.name, summary: subject.summary });
    const invalid = deps.tools.validate(call.name, call.arguments);
    outcome =
      invalid !== undefined || tool === undefined
        ? {
            result: {
              ok: false,
              code: tool === undefined ? "unknown_tool" : "invalid_arguments",
              message: invalid ?? "unknown tool",
            },
          }
        : await approveAndRun(tool, input, subject, deps, {
            noteWrite: (p) => writes.push(p),
            noteCommand: (record) => commands.push(deps.recorder.redactValue(record)),
          });
  }
  const content = deps.recorder.redact(renderResult(outcome.result));
  const ms = Math.round(performance.now() - started);
  deps.recorder.record({
    type: "tool",
    turn,
    id: call.id,
    name: call.name,
    ok: outcome.result.ok,
    result: content,
    ms,
    ...(outcome.approval && { approval: outcome.approval }),
  });
  if (input.error === undefined) {
    deps.recorder.emit({
      kind: "toolResult",
      turn,
      name: call.name,
      ok: outcome.result.ok,
      summary: content.split("\n")[0] ?? "",
      ms,
    });
  }
  const checkpoint = deps.checkpoint.current;
  return {
    turn,
    id: call.id,
    name: call.name,
    ok: outcome.result.ok,
    content,
    ...(outcome.approval && { approval: outcome.approval }),
    ms,
    writes,
    commands,
    ...(checkpoint && { checkpoint: { ref: checkpoint.ref, commit: checkpoint.commit } }),
  };
}

/** How the policy decides on a call to `tool` with these arguments, and what the call would do. */
function verdictFor(tool: Tool, call: PendingCall["call"], policy: ApprovalPolicy) {
  const subject = tool.subject(call.arguments);
  const verdict: Verdict = decide(policy, { tool: call.name, command: subject.command, paths: subject.paths });
  return { subject, verdict };
}

/**
 * The approval `executeCall` would ask for this call, or undefined when it would ask nobody (the
 * policy allows or forbids it, or the call never reaches the policy). A durable workflow asks
 * before the step runs, since a wait that outlives the process cannot happen inside a step; the
 * summary is not redacted here.
 */
export function approvalNeeded(
  input: PendingCall,
  tools: ToolSet,
  policy: ApprovalPolicy,
): ApprovalRequest | undefined {
  if (input.error !== undefined) return undefined;
  const tool = tools.get(input.call.name);
  if (tool === undefined || tools.validate(input.call.name, input.call.arguments) !== undefined) return undefined;
  const { subject, verdict } = verdictFor(tool, input.call, policy);
  return verdict.decision === "ask"
    ? { tool: input.call.name, summary: subject.summary, reason: verdict.reason }
    : undefined;
}

async function approveAndRun(
  tool: Tool,
  { call }: PendingCall,
  subject: ReturnType<Tool["subject"]>,
  deps: RunDeps,
  notes: { noteWrite(path: string): void; noteCommand(record: CommandRecord): void },
): Promise<{ result: ToolOutput; approval: string }> {
  const { verdict } = verdictFor(tool, call, deps.policy);
  let approval = verdict.reason;
  let allowed = verdict.decision === "always";
  let note = "";
  if (verdict.decision === "ask") {
    const answer: ApprovalAnswer =
      deps.autoApprove ||
      (await deps.questions.requestApproval(
        deps.runId,
        { tool: call.name, summary: deps.recorder.redact(subject.summary), reason: verdict.reason },
        deps.stop.signal,
      ));
    allowed = typeof answer === "boolean" ? answer : answer.approved;
    note = typeof answer === "boolean" ? "" : ` (${answer.note})`;
    approval = `${verdict.reason} → ${allowed ? "approved" : "declined"}${deps.autoApprove ? " (--yes)" : note}`;
  }
  if (!allowed) {
    const message =
      verdict.decision === "never"
        ? `the approval policy forbids this call (${verdict.reason}); do not retry it`
        : note !== ""
          ? `this call was not approved${note}; do not retry it unchanged`
          : "the user did not approve this call; do not retry it unchanged";
    return { result: { ok: false, code: "denied", message }, approval };
  }
  try {
    const content = await tool.run(call.arguments, {
      root: deps.root,
      runId: deps.runId,
      signal: deps.stop.signal,
      questions: deps.questions,
      limits: deps.limits,
      commands: deps.commands,
      spawner: deps.spawner,
      beforeWrite: async (file) => {
        if (file !== undefined) await deps.writeGuard?.(file);
        await deps.checkpoint.beforeWrite();
      },
      remainingMs: () => deps.stop.remainingMs(),
      ...notes,
    });
    return { result: { ok: true, content }, approval };
  } catch (error) {
    const result: ToolOutput =
      error instanceof ToolError
        ? { ok: false, code: error.code, message: error.message }
        : { ok: false, code: "io_error", message: error instanceof Error ? error.message : String(error) };
    return { result, approval };
  }
}

/** The state after a call; `end` is `RunStop.afterCall`'s verdict. */
export function applyCall(state: RunState, output: CallOutput, end: RunEnd | undefined): RunState {
  const filesWritten = [...state.filesWritten];
  const done = state.pending.findIndex((p) => p.call.id === output.id);
  for (const file of output.writes) if (!filesWritten.includes(file)) filesWritten.push(file);
  return {
    ...state,
    messages: [...state.messages, { role: "tool", toolCallId: output.id, name: output.name, content: output.content }],
    pending: state.pending.filter((_, i) => i !== done),
    filesWritten,
    commands: [...state.commands, ...output.commands],
    ...(output.checkpoint && { checkpoint: output.checkpoint }),
    ...(end && { end }),
  };
}
