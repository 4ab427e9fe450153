/** What the status-bar item shows, as a pure function of the client phase and the host's status. */
import type { EngineStatus, Problem, ProblemFix, StatusParams } from "@bora/protocol";
import { BORA_COMMANDS, OPEN_SETTINGS } from "./commandIds.js";
import { OPEN_LOGS, RESTART_HOST, problemActions, type Action } from "./problemActions.js";

export type ClientPhase = "starting" | "running" | "stopped" | "crashed";

export interface StatusView {
  text: string;
  /** Plain lines; the adapter shows them, with `actions` as links, in a markdown tooltip (see `tooltipMarkdown`). */
  tooltip: string;
  /** What a click on the item does: the fix of what is wrong, else the logs. */
  click: Action;
  /** The tooltip's links, the click's action first. */
  actions: Action[];
  /** Whether the item gets the error background: the host stopped, or no model can run. */
  error: boolean;
}

/** What the client knows besides the host's status. */
export interface StatusExtras {
  /** A model pulled in this window that no setting uses yet (the user has not answered the offer). */
  unusedModel?: string;
  /** An inline edit streaming in the active editor. */
  editProgress?: EditProgress;
  /** The host in use when it is not the bundled one (`remote host:port`); the item names it. */
  host?: string;
}

/** How far a streaming inline edit has come. */
export interface EditProgress {
  /** Pieces of the replacement received (the host sends one per generated token, or per batch of predicted ones). */
  tokens: number;
  /** Since the first piece arrived; undefined before two pieces are in. */
  tokensPerSecond: number | undefined;
}

/** With no model configured and the host naming no fix, pulling one is the way forward. */
const PULL_MODEL: Action = { title: "Pull Model", command: BORA_COMMANDS.pullModel.id, args: [] };
const MODEL_SETTINGS: Action = { title: "Open Settings", command: OPEN_SETTINGS, args: ["bora.models"] };

/** A few words for the status bar about an engine problem, by the fix that mends it. */
const WORDS_BY_FIX: Partial<Record<ProblemFix, string>> = { pullModel: "model missing", setApiKey: "key refused" };
/**
 * The same for hosts that name no fix. Words only: which buttons to offer is decided by `fix`
 * alone, and an unknown code still reads well ("engine failed").
 */
const WORDS_BY_CODE: Record<string, string> = {
  modelMissing: "model missing",
  remoteUnauthorized: "key refused",
  modelUnconfigured: "no model",
};

/** Pure mapping from what we know to what the item shows, so it can be tested without VS Code. */
export function statusView(
  phase: ClientPhase,
  status: StatusParams | undefined,
  extras: StatusExtras = {},
): StatusView {
  return withHost(phaseView(phase, status, extras), extras.host, phase);
}

/**
 * Names a remote host in the item ("Bora: ready · … · remote host:port") and its tooltip: with two
 * hosts possible, which one answers is the first thing to know when something looks wrong.
 */
function withHost(view: StatusView, host: string | undefined, phase: ClientPhase): StatusView {
  if (host === undefined) return view;
  const crashed = phase === "crashed";
  return {
    ...view,
    text: `${crashed ? "$(debug-disconnect) Bora: disconnected" : view.text} · ${host}`,
    tooltip: lines(
      crashed ? `Not connected to the agent host (${host}). Click to open the logs.` : `Agent host: ${host}`,
      crashed ? undefined : view.tooltip,
    ),
  };
}

function phaseView(phase: ClientPhase, status: StatusParams | undefined, extras: StatusExtras): StatusView {
  if (phase === "crashed") {
    return {
      text: "$(error) Bora: host stopped",
      tooltip: "The Bora agent host stopped. Click to open the logs.",
      click: OPEN_LOGS,
      actions: [OPEN_LOGS, RESTART_HOST],
      error: true,
    };
  }
  if (phase === "stopped") {
    return {
      text: "$(debug-disconnect) Bora: off",
      tooltip: "The Bora agent host is not running. Click to start it.",
      click: RESTART_HOST,
      actions: [RESTART_HOST, OPEN_LOGS],
      error: false,
    };
  }
  if (phase === "starting" || status === undefined) {
    return {
      text: "$(sync~spin) Bora: starting",
      tooltip: "Starting the Bora agent host…",
      click: OPEN_LOGS,
      actions: [OPEN_LOGS],
      error: false,
    };
  }
  const hostLine = `Agent host: ${status.host}`;
  switch (status.host) {
    case "degraded":
      return {
        text: "$(warning) Bora: degraded",
        tooltip: lines(hostLine, engineLine(status.engine), status.message),
        click: OPEN_LOGS,
        actions: [OPEN_LOGS, RESTART_HOST],
        error: true,
      };
    case "stopping":
    case "starting":
      return busy(status.host, lines(hostLine, engineLine(status.engine), status.message));
    case "ready": {
      const view = readyView(status.engine);
      return withEditProgress(
        withUnusedModel({ ...view, tooltip: lines(hostLine, view.tooltip, status.message) }, extras.unusedModel),
        extras.editProgress,
      );
    }
  }
}

function busy(what: string, tooltip: string): StatusView {
  return { text: `$(sync~spin) Bora: ${what}`, tooltip, click: OPEN_LOGS, actions: [OPEN_LOGS], error: false };
}

/**
 * The host runs; what the item says is what the engine can do. Only an engine that can run a model
 * gets the check mark; otherwise the words say what is wrong and a click does its fix.
 */
function readyView(engine: EngineStatus): StatusView {
  const problem = engine.problem;
  switch (engine.state) {
    case "ready":
      return {
        text: `$(check) Bora: ready · ${shortModelName(engine.model ?? "model")}`,
        tooltip: engineLine(engine),
        click: OPEN_LOGS,
        actions: [OPEN_LOGS],
        error: false,
      };
    case "loading":
      return {
        text: "$(sync~spin) Bora: ready · loading model",
        tooltip: engineLine(engine),
        click: OPEN_LOGS,
        actions: [OPEN_LOGS],
        error: false,
      };
    case "none": {
      // Not an error (a fresh install starts here), but nothing can run until a model is set.
      const actions = problem ? problemActions(problem) : [PULL_MODEL, MODEL_SETTINGS, OPEN_LOGS];
      return {
        text: "$(warning) Bora: ready · no model",
        tooltip:
          problem?.message ??
          "No model configured: Bora cannot run anything until bora.models.chat names one. Pull a model, or set the setting.",
        click: actions[0] ?? OPEN_LOGS,
        actions,
        error: false,
      };
    }
    case "error": {
      const actions = problem ? problemActions(problem) : [OPEN_LOGS];
      return {
        text: `$(warning) Bora: ready · ${problemWords(problem)}`,
        tooltip: engineLine(engine),
        click: actions[0] ?? OPEN_LOGS,
        actions,
        error: true,
      };
    }
  }
}

/** Keeps a pulled model that no setting uses in view until the user decides, with the choices as links. */
function withUnusedModel(view: StatusView, model: string | undefined): StatusView {
  if (model === undefined) return view;
  const use = (role: "chat" | "edit", title: string): Action => ({
    title,
    command: BORA_COMMANDS.useModel.id,
    args: [model, role],
  });
  const ask: Action = { title: `Use ${model}…`, command: BORA_COMMANDS.useModel.id, args: [model] };
  // A problem's fix stays what a click does; otherwise the click asks what to use the model for.
  const click = view.click === OPEN_LOGS ? ask : view.click;
  return {
    ...view,
    text: `${view.text} · ${shortModelName(model)} unused`,
    tooltip: lines(view.tooltip, `${model} is in the model store, and no setting uses it yet.`),
    click,
    actions: [
      ...view.actions.filter((action) => action !== OPEN_LOGS),
      use("chat", "Use for Chat"),
      use("edit", "Use for Edits"),
      OPEN_LOGS,
    ],
  };
}

/**
 * While an edit streams, the item says how far it is: this is where the user looks for "is it still
 * working". One item, not a second one, so the bar does not grow; a problem keeps its words and click.
 */
function withEditProgress(view: StatusView, progress: EditProgress | undefined): StatusView {
  if (progress === undefined) return view;
  const rate = progress.tokensPerSecond === undefined ? "" : ` · ${progress.tokensPerSecond.toFixed(1)} tok/s`;
  const words = `editing · ${progress.tokens} tok${rate}`;
  return {
    ...view,
    text: view.error ? `${view.text} · ${words}` : `$(sync~spin) Bora: ${words}`,
    tooltip: lines(`Inline edit: ${progress.tokens} tokens so far${rate}. Esc stops it.`, view.tooltip),
  };
}

function engineLine(engine: EngineStatus): string {
  if (engine.state === "none") return "No model configured";
  return `Engine: ${engine.state}${engine.model ? ` (${engine.model})` : ""}${
    engine.lastTokensPerSecond !== undefined ? `, ${engine.lastTokensPerSecond.toFixed(1)} tok/s` : ""
  }${engine.problem ? ` — ${engine.problem.message}` : ""}`;
}

/** A few words for the status bar about an engine problem; the message goes in the tooltip. */
function problemWords(problem: Problem | undefined): string {
  if (problem === undefined) return "engine failed";
  return (
    (problem.fix !== undefined ? WORDS_BY_FIX[problem.fix] : undefined) ??
    (Object.hasOwn(WORDS_BY_CODE, problem.code) ? WORDS_BY_CODE[problem.code] : undefined) ??
    "engine failed"
  );
}

function lines(...parts: (string | undefined)[]): string {
  return parts.filter(Boolean).join("\n");
}

/** The file or model name without folders and the .gguf suffix, so paths do not flood the status bar. */
export function shortModelName(model: string): string {
  const base = model.split(/[\\/]/).pop() ?? model;
  return base.replace(/\.gguf$/i, "");
}

/** A status tooltip as trusted markdown: its lines as text, its actions as command links. */
export interface TooltipMarkdown {
  value: string;
  /** The commands the links run: the only ones the tooltip may run (`MarkdownString.isTrusted`). */
  enabledCommands: string[];
}

export function tooltipMarkdown(view: Pick<StatusView, "tooltip" | "actions">): TooltipMarkdown {
  const paragraphs = view.tooltip.split("\n").filter(Boolean).map(escapeMarkdown);
  const links = view.actions.map((action) => `[${escapeMarkdown(action.title)}](${commandUri(action)})`).join(" · ");
  return {
    value: [...paragraphs, links].filter(Boolean).join("\n\n"),
    enabledCommands: [...new Set(view.actions.map((action) => action.command))],
  };
}

/** Host messages are text: a model path's `_` or `*` must not turn into emphasis, nor `[x](y)` into a link. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, "\\$&");
}

/** `command:` link; the arguments are a URI-encoded JSON array, with parentheses encoded so the link does not end early. */
function commandUri(action: Action): string {
  if (action.args.length === 0) return `command:${action.command}`;
  const args = encodeURIComponent(JSON.stringify(action.args)).replace(
    /[()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `command:${action.command}?${args}`;
}
