/**
 * What to do with a model once **Bora: Pull Model…** has it in the store: which setting it goes
 * into, decided from the settings as they are. Pure, so each case is tested without VS Code.
 */

/** The roles a pulled model can be given from the editor; each is one setting under `bora.`. */
export type ModelRole = "chat" | "edit";
export const MODEL_SETTING: Record<ModelRole, "models.chat" | "models.edit"> = {
  chat: "models.chat",
  edit: "models.edit",
};

export function isModelRole(value: unknown): value is ModelRole {
  return value === "chat" || value === "edit";
}

/** The settings the decision reads (`bora.engine`, `bora.models.chat`, `bora.models.edit`). */
export interface ModelSettingsNow {
  engine: string;
  chat: string;
  edit: string;
}

export type AfterPull =
  /** No chat model is set: nothing can run, so the pulled model becomes the chat model at once. */
  | { kind: "useForChat" }
  /** A setting already names it: the host starts it (it retries after a pull). */
  | { kind: "inUse"; roles: ModelRole[] }
  /** Another model runs: ask whether this one is for chat or for edits. */
  | { kind: "offer" }
  /** The remote engine runs the server's models, not the store's: using it needs `bora.engine` set to local. */
  | { kind: "remoteEngine" };

export function afterPull(name: string, settings: ModelSettingsNow): AfterPull {
  if (settings.engine === "remote") return { kind: "remoteEngine" };
  if (settings.chat.trim() === "") return { kind: "useForChat" };
  const roles = (Object.keys(MODEL_SETTING) as ModelRole[]).filter((role) => settings[role].trim() === name);
  return roles.length > 0 ? { kind: "inUse", roles } : { kind: "offer" };
}
