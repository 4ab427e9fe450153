/**
 * What the user can do about a problem the host reports: its `fix` turned into the action a button
 * or a link runs. Pure (no `vscode` import), so every fix is tested without VS Code; `showProblem.ts`
 * is the adapter that shows the buttons and runs the chosen action.
 */
import { isProblem, type Problem, type ProblemFix } from "@bora/protocol";
import { BORA_COMMANDS, OPEN_SETTINGS } from "./commandIds.js";

/** What a button, a tooltip link or a click on the status item does: one command with its arguments. */
export interface Action {
  /** The button's or the link's text. */
  title: string;
  command: string;
  args: unknown[];
}

export const OPEN_LOGS: Action = { title: "Open Logs", command: BORA_COMMANDS.showLogs.id, args: [] };
export const RESTART_HOST: Action = { title: "Restart Agent Host", command: BORA_COMMANDS.restartHost.id, args: [] };

/** The set-up flow (`integrations/integrationSetup.ts`) a `configureIntegration` target opens. */
const SETUP_BY_TARGET: Record<string, string> = {
  "bora.github": "github",
  "bora.sentry": "sentry",
  "bora.slack": "slack",
  "bora.team": "teamQueue",
};

/** The action that does each fix; `target` narrows it where the fix takes one. */
const FIX_ACTIONS: Record<ProblemFix, (target: string | undefined) => Action> = {
  pullModel: (target) => ({ title: "Pull Model", command: BORA_COMMANDS.pullModel.id, args: target ? [target] : [] }),
  setApiKey: () => ({ title: "Set API Key", command: BORA_COMMANDS.setRemoteApiKey.id, args: [] }),
  openSettings: (target) => ({ title: "Open Settings", command: OPEN_SETTINGS, args: [target || "bora"] }),
  openLogs: () => OPEN_LOGS,
  // The guided set-up, at the service's flow where the target names one (Jira asks Cloud or Data Center).
  configureIntegration: (target) => ({
    title: "Configure Integration",
    command: BORA_COMMANDS.configureIntegrations.id,
    args: SETUP_BY_TARGET[target ?? ""] !== undefined ? [SETUP_BY_TARGET[target ?? ""]] : [],
  }),
};

/**
 * The action that fixes the problem, or undefined when it names no fix, or one this client does not
 * know (a newer host may add fixes; the problem is still shown, with Open Logs).
 */
export function fixAction(problem: Problem): Action | undefined {
  const fix = problem.fix;
  return fix !== undefined && Object.hasOwn(FIX_ACTIONS, fix) ? FIX_ACTIONS[fix](problem.target) : undefined;
}

/** The buttons for a problem: its fix first, then Open Logs, where the details are. */
export function problemActions(problem: Problem): Action[] {
  const fix = fixAction(problem);
  return fix === undefined || fix.command === OPEN_LOGS.command ? [OPEN_LOGS] : [fix, OPEN_LOGS];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The problem a failed request carries in its `ResponseError.data`; for an error without one (an
 * older host, a broken connection) a problem that says what the error said and points at the log.
 */
export function problemOfError(error: unknown): Problem {
  if (isRecord(error) && isProblem(error.data)) return error.data;
  const message = error instanceof Error ? error.message : String(error);
  return { code: "requestFailed", message, fix: "openLogs" };
}

/** Identifies a problem, so the same one reported again is not shown again. */
export function problemKey(problem: Problem): string {
  return JSON.stringify([problem.code, problem.message, problem.fix, problem.target]);
}
