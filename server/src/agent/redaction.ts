/**
 * Redaction of secrets before text reaches a transcript, a progress line or the model: the values of
 * secret-looking environment variables, the tokens the run was given explicitly, and strings shaped
 * like well-known credentials (GitHub, Slack, OpenAI-style keys, AWS key ids, bearer headers, PEM keys).
 */

/** Names of environment variables whose values are treated as secrets. */
export const SECRET_ENV_NAME =
  /(TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE|CREDENTIAL|AUTH|DSN|SESSION|COOKIE|WEBHOOK)/i;

/** Values shorter than this are not redacted by value: too many false hits (`1`, `true`). */
const MIN_SECRET_LENGTH = 6;

const TOKEN_SHAPES: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g,
  /\bsk-[A-Za-z0-9_-]{20,}\b/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{16,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/g,
];

export interface RedactorOptions {
  /** Environment whose secret-looking variables are redacted by value. Defaults to none. */
  env?: NodeJS.ProcessEnv;
  /** Extra secret values, e.g. tokens the editor passed for this run. Defaults to none. */
  secrets?: readonly string[];
}

export class Redactor {
  /** Longest first, so a secret that contains another is replaced whole. */
  private readonly values: { value: string; label: string }[];

  constructor(options: RedactorOptions = {}) {
    const values = new Map<string, string>();
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value !== undefined && value.length >= MIN_SECRET_LENGTH && SECRET_ENV_NAME.test(name))
        values.set(value, name);
    }
    for (const value of options.secrets ?? []) if (value.length >= MIN_SECRET_LENGTH) values.set(value, "secret");
    this.values = [...values]
      .map(([value, label]) => ({ value, label }))
      .sort((a, b) => b.value.length - a.value.length);
  }

  redact(text: string): string {
    let out = text;
    for (const { value, label } of this.values) {
      if (out.includes(value)) out = out.split(value).join(`[REDACTED:${label}]`);
    }
    for (const shape of TOKEN_SHAPES) out = out.replace(shape, "[REDACTED:token]");
    return out;
  }

  /** Redacts every string inside a JSON-like value. */
  redactValue<T>(value: T): T {
    if (typeof value === "string") return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v: unknown) => this.redactValue(v)) as T;
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactValue(v)])) as T;
    }
    return value;
  }
}
