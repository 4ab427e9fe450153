/** The instruction history the Edit Selection box offers, most recent first. Pure. */

/** Instructions kept: enough to find last week's, few enough to scan in a quick pick. */
export const MAX_INSTRUCTION_HISTORY = 50;

/** The history with `instruction` in front (moved there if it was already in it). */
export function rememberInstruction(history: readonly string[], instruction: string): string[] {
  const trimmed = instruction.trim();
  if (trimmed === "") return [...history];
  return [trimmed, ...history.filter((entry) => entry !== trimmed)].slice(0, MAX_INSTRUCTION_HISTORY);
}

/** A stored value read back: only strings, at most the cap (a corrupted state is no history). */
export function readHistory(stored: unknown): string[] {
  if (!Array.isArray(stored)) return [];
  return stored.filter((entry): entry is string => typeof entry === "string").slice(0, MAX_INSTRUCTION_HISTORY);
}
