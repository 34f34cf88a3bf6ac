import { REDACTED } from '../config/config.service.js';

/** Our own API keys and bearer tokens, wherever they appear in a log string. */
const TOKEN_PATTERNS = [
  /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi,
  // Our API keys anywhere in a string: the public id stays readable, the secret goes.
  /(sgk_[0-9A-Za-z]{12}_)[0-9A-Za-z]{20,}/g,
];

/**
 * Removes configured secret values (database password, engine API keys) and bearer tokens
 * from log output. The set of secrets follows live config changes.
 */
export class LogRedactor {
  private secrets: string[] = [];

  setSecrets(secrets: string[]): void {
    // Longest first, so a secret that contains another is removed whole.
    this.secrets = [...new Set(secrets)].sort((a, b) => b.length - a.length);
  }

  redactString(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, `$1${REDACTED}`);
    return out;
  }

  redactValue(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.redactString(value);
    if (depth > 6 || typeof value !== 'object' || value === null) return value;
    if (value instanceof Error) {
      return {
        type: value.name,
        message: this.redactString(value.message),
        stack: value.stack ? this.redactString(value.stack) : undefined,
      };
    }
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = this.redactValue(child, depth + 1);
    return out;
  }
}
