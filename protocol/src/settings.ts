/**
 * Typed settings shared by the extension and the host. The schema lives in the root
 * `package.json` (`contributes.configuration`); `settingsFrom` turns whatever arrives (a user's
 * hand-edited JSON, an older schema) into valid settings, falling back to defaults with a warning.
 */

export type LogLevel = "error" | "warn" | "info" | "debug";
const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

export type EngineKind = "local" | "remote";
const ENGINE_KINDS: readonly EngineKind[] = ["local", "remote"];

/** Kinds of OpenAI-compatible servers the remote engine knows the quirks of. */
export type RemotePreset = "openai" | "vllm" | "llamacpp" | "ollama" | "mistral" | "bora";
const REMOTE_PRESETS: readonly RemotePreset[] = ["openai", "vllm", "llamacpp", "ollama", "mistral", "bora"];

export interface HostSettings {
  /** How much the host logs. Defaults to `info`. */
  logLevel: LogLevel;
}

export interface ModelSettings {
  /** Model for chat and agents: a GGUF path, an HTTPS URL, an `hf:` reference or a store name (local), or the server's model name (remote). Defaults to none. */
  chat: string;
  /** Model for inline edits. Defaults to the chat model. */
  edit: string;
  /** Model for completions as you type (fill-in-the-middle). Defaults to the chat model. */
  fim: string;
}

export interface CompletionSettings {
  /** Whether the host answers `textDocument/inlineCompletion` (ghost text) when a model is set. Defaults to true. */
  enabled: boolean;
  /** Milliseconds the host waits after a keystroke before it asks the model, so fast typing asks once. Defaults to 50. */
  debounceMs: number;
  /** Most lines one completion may have. Defaults to 4. */
  maxLines: number;
  /**
   * Milliseconds after the debounce by which ghost text the editor asked for on its own is due: a
   * slower model shows what it has finished by then (see `server/src/completions/decodeBudget.ts`);
   * 0 waits for the whole answer. Defaults to 250.
   */
  budgetMs: number;
}

export interface LocalEngineSettings {
  /** Tokens of context per sequence. Defaults to 4096. */
  contextSize: number;
  /** Requests served at the same time. Defaults to 4. */
  sequences: number;
  /** CPU threads; 0 picks a sensible number for the model and the machine. Defaults to 0. */
  threads: number;
  /** Layers on the GPU: a number, or `auto` (as many as fit). Defaults to `auto`. */
  gpuLayers: number | "auto";
}

export interface RemoteEngineSettings {
  /** Which kind of server. Defaults to `openai`. */
  preset: RemotePreset;
  /** Base URL including `/v1`; empty means the preset's default. Defaults to empty. */
  baseUrl: string;
}

export interface AgentSettings {
  /** Whether commands of agent tasks may reach the network (the sandbox blocks it otherwise). Defaults to false. */
  allowNetwork: boolean;
  /** Whether commands may run without the bubblewrap sandbox when it is missing. Defaults to false. */
  allowUnsandboxed: boolean;
  /** Most model turns of one task. Defaults to 40. */
  maxTurns: number;
  /** Most minutes one task may run. Defaults to 30. */
  maxMinutes: number;
  /** Most tokens the model may write in one reply of a task. Defaults to 2048. */
  maxTokensPerTurn: number;
}

export interface WorkflowSettings {
  /**
   * A PostgreSQL server for the durable tasks (`postgres://…`), shared by a team; empty means the
   * embedded one in the host's state folder. `BORA_DATABASE_URL` wins when set. Defaults to empty.
   */
  databaseUrl: string;
  /** Durable tasks this host runs at once. Defaults to 2. */
  concurrency: number;
  /** Issue-to-PR tasks wait for the user's approval before they commit, push and open the PR. Defaults to false. */
  approve: boolean;
}

/**
 * Where the trackers and Slack are, and what to list from them. Their credentials are secrets
 * (`bora/setSecret`), never settings; the host's environment (`GITHUB_TOKEN`, ...) is the fallback
 * for a service the editor does not configure.
 */
export interface IntegrationSettings {
  /** GitHub's REST API root (GitHub Enterprise: `https://HOST/api/v3`); empty means github.com. */
  githubUrl: string;
  /** The Work Items query for GitHub (a search); empty means the issues assigned to you in the workspace's repository. */
  githubQuery: string;
  /** The Jira site (`https://acme.atlassian.net`); empty leaves Jira unconfigured here. */
  jiraUrl: string;
  /** The account e-mail of a Jira Cloud API token; empty means the token is a Data Center personal access token. */
  jiraEmail: string;
  /** The Work Items JQL; empty means `assignee = currentUser() AND statusCategory != Done`. */
  jiraQuery: string;
  /** The Sentry site; empty means `https://sentry.io`. */
  sentryUrl: string;
  sentryOrg: string;
  sentryProject: string;
  /** The Work Items query for Sentry; empty means the unresolved issues. */
  sentryQuery: string;
  /** The channel id (`C…`) Slack notices go to. */
  slackChannel: string;
}

export interface BoraSettings {
  host: HostSettings;
  /** Which engine runs the models. Defaults to `local`. */
  engine: EngineKind;
  models: ModelSettings;
  local: LocalEngineSettings;
  remote: RemoteEngineSettings;
  completions: CompletionSettings;
  agent: AgentSettings;
  workflows: WorkflowSettings;
  integrations: IntegrationSettings;
}

export const DEFAULT_SETTINGS: BoraSettings = Object.freeze({
  host: Object.freeze({ logLevel: "info" as LogLevel }),
  engine: "local" as EngineKind,
  models: Object.freeze({ chat: "", edit: "", fim: "" }),
  local: Object.freeze({ contextSize: 4096, sequences: 4, threads: 0, gpuLayers: "auto" as const }),
  remote: Object.freeze({ preset: "openai" as RemotePreset, baseUrl: "" }),
  // budgetMs: a typist's pause before the next keystroke is a few hundred milliseconds, and ghost text
  // that shows within about 300 ms of the keystroke feels immediate: with the 50 ms debounce, 250 ms
  // makes it due 300 ms after the request arrived.
  completions: Object.freeze({ enabled: true, debounceMs: 50, maxLines: 4, budgetMs: 250 }),
  agent: Object.freeze({
    allowNetwork: false,
    allowUnsandboxed: false,
    maxTurns: 40,
    maxMinutes: 30,
    maxTokensPerTurn: 2048,
  }),
  workflows: Object.freeze({ databaseUrl: "", concurrency: 2, approve: false }),
  integrations: Object.freeze({
    githubUrl: "",
    githubQuery: "",
    jiraUrl: "",
    jiraEmail: "",
    jiraQuery: "",
    sentryUrl: "",
    sentryOrg: "",
    sentryProject: "",
    sentryQuery: "",
    slackChannel: "",
  }),
});

export interface SanitisedSettings {
  settings: BoraSettings;
  /** One line per value that was replaced by its default, naming the key and the bad value. */
  warnings: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads one section of the raw settings with typed pickers that record what they had to replace. */
class Reader {
  readonly warnings: string[] = [];

  constructor(private readonly raw: unknown) {}

  private value(section: string, key: string): unknown {
    if (!isRecord(this.raw)) return undefined;
    const part = section === "" ? this.raw : this.raw[section];
    return isRecord(part) ? part[key] : undefined;
  }

  private reject<T>(name: string, value: unknown, expected: string, fallback: T): T {
    this.warnings.push(`bora.${name}: ${JSON.stringify(value)} is not ${expected}; using ${JSON.stringify(fallback)}`);
    return fallback;
  }

  oneOf<T extends string>(section: string, key: string, allowed: readonly T[], fallback: T): T {
    const value = this.value(section, key);
    if (value === undefined) return fallback;
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    return this.reject(section ? `${section}.${key}` : key, value, `one of ${allowed.join(", ")}`, fallback);
  }

  text(section: string, key: string, fallback: string): string {
    const value = this.value(section, key);
    if (value === undefined || value === null) return fallback;
    if (typeof value === "string") return value.trim();
    return this.reject(`${section}.${key}`, value, "a string", fallback);
  }

  integer(section: string, key: string, min: number, max: number, fallback: number): number {
    const value = this.value(section, key);
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    return this.reject(`${section}.${key}`, value, `a whole number from ${min} to ${max}`, fallback);
  }

  flag(section: string, key: string, fallback: boolean): boolean {
    const value = this.value(section, key);
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    return this.reject(`${section}.${key}`, value, "true or false", fallback);
  }

  integerOrAuto(section: string, key: string, fallback: number | "auto"): number | "auto" {
    const value = this.value(section, key);
    if (value === undefined || value === "auto") return value === "auto" ? "auto" : fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
    return this.reject(`${section}.${key}`, value, `"auto" or a whole number of at least 0`, fallback);
  }
}

export function settingsFrom(raw: unknown): SanitisedSettings {
  const r = new Reader(raw);
  const d = DEFAULT_SETTINGS;
  const settings: BoraSettings = {
    host: { logLevel: r.oneOf("host", "logLevel", LOG_LEVELS, d.host.logLevel) },
    engine: r.oneOf("", "engine", ENGINE_KINDS, d.engine),
    models: {
      chat: r.text("models", "chat", d.models.chat),
      edit: r.text("models", "edit", d.models.edit),
      fim: r.text("models", "fim", d.models.fim),
    },
    local: {
      contextSize: r.integer("local", "contextSize", 256, 1 << 20, d.local.contextSize),
      sequences: r.integer("local", "sequences", 1, 64, d.local.sequences),
      threads: r.integer("local", "threads", 0, 1024, d.local.threads),
      gpuLayers: r.integerOrAuto("local", "gpuLayers", d.local.gpuLayers),
    },
    remote: {
      preset: r.oneOf("remote", "preset", REMOTE_PRESETS, d.remote.preset),
      baseUrl: r.text("remote", "baseUrl", d.remote.baseUrl),
    },
    completions: {
      enabled: r.flag("completions", "enabled", d.completions.enabled),
      debounceMs: r.integer("completions", "debounceMs", 0, 2000, d.completions.debounceMs),
      maxLines: r.integer("completions", "maxLines", 1, 50, d.completions.maxLines),
      // Past 10 s the next keystroke has long come: a budget that large means "no budget", which is 0.
      budgetMs: r.integer("completions", "budgetMs", 0, 10_000, d.completions.budgetMs),
    },
    agent: {
      allowNetwork: r.flag("agent", "allowNetwork", d.agent.allowNetwork),
      allowUnsandboxed: r.flag("agent", "allowUnsandboxed", d.agent.allowUnsandboxed),
      maxTurns: r.integer("agent", "maxTurns", 1, 1000, d.agent.maxTurns),
      maxMinutes: r.integer("agent", "maxMinutes", 1, 24 * 60, d.agent.maxMinutes),
      maxTokensPerTurn: r.integer("agent", "maxTokensPerTurn", 64, 1 << 20, d.agent.maxTokensPerTurn),
    },
    workflows: {
      databaseUrl: r.text("workflows", "databaseUrl", d.workflows.databaseUrl),
      // Each running task holds a model sequence and runs its checks: more than 64 on one host is a mistake.
      concurrency: r.integer("workflows", "concurrency", 1, 64, d.workflows.concurrency),
      approve: r.flag("workflows", "approve", d.workflows.approve),
    },
    // `bora.github.url`, `bora.jira.query`, ...: one section per service in the settings UI.
    integrations: {
      githubUrl: r.text("github", "url", d.integrations.githubUrl),
      githubQuery: r.text("github", "query", d.integrations.githubQuery),
      jiraUrl: r.text("jira", "url", d.integrations.jiraUrl),
      jiraEmail: r.text("jira", "email", d.integrations.jiraEmail),
      jiraQuery: r.text("jira", "query", d.integrations.jiraQuery),
      sentryUrl: r.text("sentry", "url", d.integrations.sentryUrl),
      sentryOrg: r.text("sentry", "org", d.integrations.sentryOrg),
      sentryProject: r.text("sentry", "project", d.integrations.sentryProject),
      sentryQuery: r.text("sentry", "query", d.integrations.sentryQuery),
      slackChannel: r.text("slack", "channel", d.integrations.slackChannel),
    },
  };
  return { settings, warnings: r.warnings };
}

/** Whether two settings would run a different engine (the host reloads it only then). */
export function engineSettingsDiffer(a: BoraSettings, b: BoraSettings): boolean {
  const pick = (s: BoraSettings): string => JSON.stringify([s.engine, s.models, s.local, s.remote]);
  return pick(a) !== pick(b);
}
