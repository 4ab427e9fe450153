/** `run_command {command, timeout_s?}`: a shell command in the sandbox, at the workspace root. */
import { SandboxUnavailableError } from "../../workspace/sandbox.js";
import { ToolError, type Tool } from "./types.js";

export const runCommandTool: Tool = {
  mutates: true,
  definition: {
    name: "run_command",
    description:
      "Run a shell command (sh -c) at the workspace root, in a sandbox: only the workspace is writable, no network " +
      "unless allowed, a private /tmp and an empty HOME. Output (stdout and stderr together) is capped, keeping the start and the end.",
    parameters: {
      type: "object",
      properties: {
        command: { type: "string", minLength: 1, description: "The command line, e.g. 'npm test'." },
        timeout_s: {
          type: "integer",
          minimum: 1,
          description: "Seconds before the command is killed. Defaults to 120.",
        },
      },
      required: ["command"],
      additionalProperties: false,
    },
  },
  subject: (args) => ({ summary: String(args["command"]), command: String(args["command"]) }),
  async run(args, context) {
    let runner;
    try {
      runner = await context.commands();
    } catch (error) {
      if (error instanceof SandboxUnavailableError) throw new ToolError("sandbox_unavailable", error.message);
      throw error;
    }
    const asked = (args["timeout_s"] as number | undefined) ?? context.limits.defaultCommandTimeoutS;
    const timeoutS = Math.min(asked, context.limits.maxCommandTimeoutS);
    const timeoutMs = Math.max(1, Math.min(timeoutS * 1000, context.remainingMs()));
    await context.beforeWrite();
    const command = args["command"] as string;
    const result = await runner.run({ command, timeoutMs, signal: context.signal });
    context.noteCommand({ command, exitCode: result.exitCode, timedOut: result.timedOut, ms: result.durationMs });
    let status: string;
    if (result.timedOut) status = `killed after ${Math.round(timeoutMs / 1000)} s (time limit)`;
    else if (result.aborted) status = "stopped: the run was cancelled";
    else if (result.exitCode === null) status = `killed by ${result.signal ?? "a signal"}`;
    else status = `exit code ${result.exitCode}`;
    const size = result.truncated ? ` (output ${result.outputBytes} bytes, middle omitted)` : "";
    return `${status}${size}${runner.kind === "unsandboxed" ? " [ran WITHOUT sandbox]" : ""}\n$ ${command}\n${result.output}`;
  },
};
