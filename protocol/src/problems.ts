/**
 * Problems the host reports: the same object in `bora/status` and in a failed request's
 * `ResponseError.data`, so the client turns every one into the same buttons (`showProblem`).
 */
import { Type, type Static } from "@sinclair/typebox";
import { stringEnum } from "./schema.js";

/**
 * What a user can do about a problem, as a button the client offers: `pullModel` runs
 * **Bora: Pull Model…**, `setApiKey` **Bora: Set Remote API Key…**, `openSettings` opens the
 * settings at `Problem.target`, `openLogs` shows the Bora log, `configureIntegration` (later) the
 * integration's settings.
 */
export const PROBLEM_FIXES = ["pullModel", "setApiKey", "openSettings", "openLogs", "configureIntegration"] as const;
export type ProblemFix = (typeof PROBLEM_FIXES)[number];

export const Problem = Type.Object(
  {
    code: Type.String({ description: "Stable identifier for programs to branch on, e.g. `modelMissing`." }),
    message: Type.String({
      description: "One or two sentences for the user, worded for the front end: what is wrong and what to do.",
    }),
    fix: Type.Optional(stringEnum(PROBLEM_FIXES, { description: "The button that fixes it. Defaults to none." })),
    target: Type.Optional(
      Type.String({
        description:
          "What the fix acts on: for `openSettings` the settings search (e.g. `bora.models.chat`), for `pullModel` the model reference to offer. Defaults to none.",
      }),
    ),
  },
  { description: "A problem: what went wrong, worded for the user, and the button that fixes it." },
);
/**
 * A problem the host reports, the same object in `bora/status` and in a `ResponseError`'s `data`.
 * `code` is stable for programs to branch on; `message` is worded for the front end that shows it.
 */
export type Problem = Static<typeof Problem>;

/**
 * Whether a value (e.g. a `ResponseError`'s `data`) has a problem's shape. A `fix` this release
 * does not know still counts: a newer host may add fixes, and the problem is worth showing anyway.
 */
export function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v["code"] === "string" &&
    typeof v["message"] === "string" &&
    (v["fix"] === undefined || typeof v["fix"] === "string") &&
    (v["target"] === undefined || typeof v["target"] === "string")
  );
}
