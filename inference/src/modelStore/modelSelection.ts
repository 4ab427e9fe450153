/**
 * Turns the host's engine settings (which engine, which model per role) into what to start, or
 * into a message that names the command that fixes a missing model. The host calls this on start
 * and on every settings change, and reports the outcome in `bora/status`.
 */
import type { RemotePresetName } from "../remote/presets.js";
import type { ModelLocation, ModelReferenceKind } from "./modelUri.js";

export type ModelRole = "chat" | "edit" | "fim";

export interface ModelRoleSettings {
  /** Model for chat and agents. Local: a store name, a GGUF path, a URL or an `hf:` reference (see `modelUri.ts`); remote: the server's model name. */
  chat?: string;
  /** Model for inline edits. Defaults to the chat model. */
  edit?: string;
  /** Small model for fill-in-the-middle completions. Defaults to none (no inline completions). */
  fim?: string;
}

export interface EngineSelectionSettings {
  /** `local` runs the model in the host; `remote` uses an OpenAI-compatible server. Defaults to `local`. */
  engine?: "local" | "remote";
  models: ModelRoleSettings;
  /** For `remote`: which server. */
  remote?: {
    /** Defaults to `openai`. */
    preset?: RemotePresetName;
    /** Defaults to the preset's base URL. */
    baseUrl?: string;
  };
}

export interface ResolvedLocalModel {
  role: ModelRole;
  /** The reference as the settings wrote it. */
  uri: string;
  /** The GGUF file on disk. */
  path: string;
}

export interface MissingModel {
  role: ModelRole;
  uri: string;
  /** What kind of reference it is: only a URL or `hf:` reference can be pulled. */
  kind: ModelReferenceKind;
  /** The command that fetches it (`bora models pull ...`), when it is a downloadable reference. */
  fixCommand?: string;
  message: string;
}

export type EngineChoice =
  | { kind: "local"; chat: ResolvedLocalModel; edit: ResolvedLocalModel; fim?: ResolvedLocalModel }
  | {
      kind: "remote";
      preset: RemotePresetName;
      baseUrl?: string;
      models: { chat: string; edit: string; fim?: string };
    }
  /** Nothing to start: no model configured, or one is not on disk. `message` is for the status bar and the log. */
  | { kind: "unavailable"; reason: "unconfigured" | "missing"; missing: MissingModel[]; message: string };

/** Finds a reference on disk, or says which kind it was and that it is not there (`ModelStore.locate`). */
export type ModelLookup = (uri: string) => Promise<ModelLocation>;

/** Quotes for a POSIX shell only when needed, so the suggested command can be pasted as it is. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

const SETTING_OF_ROLE: Record<ModelRole, string> = {
  chat: "bora.models.chat",
  edit: "bora.models.edit",
  fim: "bora.models.fim",
};

function missing(role: ModelRole, uri: string, location: Extract<ModelLocation, { found: false }>): MissingModel {
  const kind = location.kind;
  if (location.downloadable) {
    const fixCommand = `bora models pull ${shellWord(uri)}`;
    return {
      role,
      uri,
      kind,
      fixCommand,
      message: `The ${role} model ${uri} is not downloaded yet. Run: ${fixCommand}`,
    };
  }
  return {
    role,
    uri,
    kind,
    message: `The ${role} model file ${uri} does not exist. Fix ${SETTING_OF_ROLE[role]}, or download a model with 'bora models pull <hf:owner/repo/file.gguf | https://...>' and point the setting at it.`,
  };
}

export async function chooseEngine(settings: EngineSelectionSettings, lookup: ModelLookup): Promise<EngineChoice> {
  const chatUri = settings.models.chat?.trim() || undefined;
  const editUri = settings.models.edit?.trim() || chatUri;
  const fimUri = settings.models.fim?.trim() || undefined;
  if (chatUri === undefined || editUri === undefined) {
    return {
      kind: "unavailable",
      reason: "unconfigured",
      missing: [],
      message:
        settings.engine === "remote"
          ? "No remote model is configured: set bora.models.chat to the model name your server lists at /v1/models."
          : "No model is configured: set bora.models.chat to a GGUF file, or download one with 'bora models pull hf:<owner>/<repo>/<file>.gguf' and use its name.",
    };
  }
  if (settings.engine === "remote") {
    return {
      kind: "remote",
      preset: settings.remote?.preset ?? "openai",
      ...(settings.remote?.baseUrl !== undefined ? { baseUrl: settings.remote.baseUrl } : {}),
      models: { chat: chatUri, edit: editUri, ...(fimUri !== undefined ? { fim: fimUri } : {}) },
    };
  }
  const wanted: [ModelRole, string][] = [
    ["chat", chatUri],
    ["edit", editUri],
  ];
  if (fimUri !== undefined) wanted.push(["fim", fimUri]);
  const resolved = new Map<ModelRole, ResolvedLocalModel>();
  const absent: MissingModel[] = [];
  const seen = new Map<string, ModelLocation>();
  for (const [role, uri] of wanted) {
    if (!seen.has(uri)) seen.set(uri, await lookup(uri));
    const location = seen.get(uri)!;
    if (!location.found) {
      // The same missing reference in two roles needs one fix, not two.
      if (!absent.some((m) => m.uri === uri)) absent.push(missing(role, uri, location));
    } else resolved.set(role, { role, uri, path: location.path });
  }
  if (absent.length > 0) {
    return { kind: "unavailable", reason: "missing", missing: absent, message: absent.map((m) => m.message).join(" ") };
  }
  const fim = resolved.get("fim");
  return {
    kind: "local",
    chat: resolved.get("chat")!,
    edit: resolved.get("edit")!,
    ...(fim !== undefined ? { fim } : {}),
  };
}
