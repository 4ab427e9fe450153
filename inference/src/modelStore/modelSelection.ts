/**
 * Turns the host's engine settings (which engine, which model per role) into what to start, or
 * into the facts of why nothing can start (which role has no model, which references are not on
 * this machine and whether each can be downloaded). The host calls this on start and on every
 * settings change, words the facts for its front end and reports them in `bora/status`.
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

/** A model reference that is not on this machine. */
export interface MissingModel {
  /** The first role that names it (a reference two roles share is reported once). */
  role: ModelRole;
  /** The reference as the settings wrote it. */
  uri: string;
  /** Whether it is a URL or `hf:` reference the model store can pull; otherwise a path or store name that is not there. */
  downloadable: boolean;
  /** What kind of reference it is (`ModelStore.locate`): a store name, a file, a URL or an `hf:` reference. */
  kind: ModelReferenceKind;
  /** For a file (and a bare word), the absolute path that was looked for. */
  path?: string;
}

export type EngineChoice =
  | { kind: "local"; chat: ResolvedLocalModel; edit: ResolvedLocalModel; fim?: ResolvedLocalModel }
  | {
      kind: "remote";
      preset: RemotePresetName;
      baseUrl?: string;
      models: { chat: string; edit: string; fim?: string };
    }
  /**
   * Nothing to start: `unconfigured` when the chat role has no model (edit falls back to chat, fim
   * is optional), `missing` when references are not on disk.
   */
  | {
      kind: "unavailable";
      reason: "unconfigured" | "missing";
      /** The engine the settings chose. */
      engine: "local" | "remote";
      /** Roles that need a model and have none: `["chat"]` when `unconfigured`, else empty. */
      unconfigured: ModelRole[];
      missing: MissingModel[];
    };

/** Finds a reference on disk, or says which kind it was and that it is not there (`ModelStore.locate`). */
export type ModelLookup = (uri: string) => Promise<ModelLocation>;

export async function chooseEngine(settings: EngineSelectionSettings, lookup: ModelLookup): Promise<EngineChoice> {
  const chatUri = settings.models.chat?.trim() || undefined;
  const editUri = settings.models.edit?.trim() || chatUri;
  const fimUri = settings.models.fim?.trim() || undefined;
  const engine = settings.engine ?? "local";
  if (chatUri === undefined || editUri === undefined) {
    return { kind: "unavailable", reason: "unconfigured", engine, unconfigured: ["chat"], missing: [] };
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
      if (!absent.some((m) => m.uri === uri))
        absent.push({
          role,
          uri,
          downloadable: location.downloadable,
          kind: location.kind,
          ...(location.path !== undefined ? { path: location.path } : {}),
        });
    } else resolved.set(role, { role, uri, path: location.path });
  }
  if (absent.length > 0) {
    return { kind: "unavailable", reason: "missing", engine, unconfigured: [], missing: absent };
  }
  const fim = resolved.get("fim");
  return {
    kind: "local",
    chat: resolved.get("chat")!,
    edit: resolved.get("edit")!,
    ...(fim !== undefined ? { fim } : {}),
  };
}
