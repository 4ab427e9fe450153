/** What the status-bar item shows, as a pure function of the client phase and the host's status. */
import type { StatusParams } from "@bora/protocol";

export type ClientPhase = "starting" | "running" | "stopped" | "crashed";

export interface StatusView {
  text: string;
  tooltip: string;
  command: string;
  error: boolean;
}

/** Pure mapping from what we know to what the item shows, so it can be tested without VS Code. */
export function statusView(phase: ClientPhase, status: StatusParams | undefined): StatusView {
  if (phase === "crashed") {
    return {
      text: "$(error) Bora: host stopped",
      tooltip: "The Bora agent host stopped. Click to open the logs.",
      command: "bora.showLogs",
      error: true,
    };
  }
  if (phase === "stopped") {
    return {
      text: "$(debug-disconnect) Bora: off",
      tooltip: "The Bora agent host is not running. Click to start it.",
      command: "bora.restartHost",
      error: false,
    };
  }
  if (phase === "starting" || status === undefined) {
    return {
      text: "$(sync~spin) Bora: starting",
      tooltip: "Starting the Bora agent host…",
      command: "bora.showLogs",
      error: false,
    };
  }
  const engine = status.engine;
  const engineLine =
    engine.state === "none"
      ? "No model configured"
      : `Engine: ${engine.state}${engine.model ? ` (${engine.model})` : ""}${
          engine.lastTokensPerSecond !== undefined ? `, ${engine.lastTokensPerSecond.toFixed(1)} tok/s` : ""
        }${engine.problem ? ` — ${engine.problem.message}` : ""}`;
  const tooltip = [`Agent host: ${status.host}`, engineLine, status.message].filter(Boolean).join("\n");
  switch (status.host) {
    case "ready":
      return {
        text: `${engine.state === "error" ? "$(warning)" : "$(check)"} Bora: ready · ${engineLabel(status.engine)}`,
        tooltip,
        command: "bora.showLogs",
        error: engine.state === "error",
      };
    case "degraded":
      return { text: "$(warning) Bora: degraded", tooltip, command: "bora.showLogs", error: true };
    case "stopping":
      return { text: "$(sync~spin) Bora: stopping", tooltip, command: "bora.showLogs", error: false };
    case "starting":
      return { text: "$(sync~spin) Bora: starting", tooltip, command: "bora.showLogs", error: false };
  }
}

/** A few words for the status bar about the engine; details go in the tooltip. */
function engineLabel(engine: StatusParams["engine"]): string {
  switch (engine.state) {
    case "none":
      return "no model";
    case "loading":
      return "loading model";
    case "error":
      return "model error";
    case "ready":
      return shortModelName(engine.model ?? "model");
  }
}

/** The file or model name without folders and the .gguf suffix, so paths do not flood the status bar. */
export function shortModelName(model: string): string {
  const base = model.split(/[\\/]/).pop() ?? model;
  return base.replace(/\.gguf$/i, "");
}
