/** Starts `bora engine serve` as a real process and waits for the address it prints. */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { exitOf, spawnCli } from "./hostProcess.js";

export interface ServedEngine {
  child: ChildProcessWithoutNullStreams;
  /** Base URL including `/v1`. */
  baseUrl: string;
  stderr(): string;
  stop(): Promise<void>;
}

export async function startEngineServe(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 90_000,
): Promise<ServedEngine> {
  const child = spawnCli(["engine", "serve", "--listen", "127.0.0.1:0", ...args], { env });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A server that never said where it listens must not outlive the test (nor keep mocha alive).
      child.kill("SIGKILL");
      reject(new Error(`bora engine serve did not start in ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      const match = /serving \S+ on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bora engine serve exited with ${code}:\n${stderr}`));
    });
  });
  return {
    child,
    baseUrl,
    stderr: () => stderr,
    async stop() {
      const exited = exitOf(child);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      if (/network guard: blocked/.test(stderr))
        throw new Error(`the engine server tried to leave loopback:\n${stderr}`);
    },
  };
}
