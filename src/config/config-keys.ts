/**
 * config.yaml speaks snake_case, the code camelCase; this is the one place that converts.
 * Some objects hold names rather than settings (plan names, adapter options), and their
 * keys pass through untouched so that `pro_plus` stays `pro_plus` both ways.
 */

type KeyPolicy = 'convert' | 'keep-own-keys' | 'keep-all';

/** Paths are given as snake_case segments; `*` matches any one segment. */
const KEEP_OWN_KEYS: string[][] = [
  ['rate_limits', 'plans'],
  ['openai', 'voice_map'],
  ['openai', 'chat_models'],
];
const KEEP_ALL: string[][] = [['engines', '*', '*', 'options']];

function matches(pattern: string[], path: string[]): boolean {
  return pattern.length === path.length && pattern.every((seg, i) => seg === '*' || seg === path[i]);
}

function policyAt(snakePath: string[]): KeyPolicy {
  const insideKeepAll = KEEP_ALL.some((p) =>
    snakePath.length >= p.length ? matches(p, snakePath.slice(0, p.length)) : false,
  );
  if (insideKeepAll) return 'keep-all';
  if (KEEP_OWN_KEYS.some((p) => matches(p, snakePath))) return 'keep-own-keys';
  return 'convert';
}

export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function convert(
  value: unknown,
  snakePath: string[],
  rename: (key: string) => string,
  toSnake: (key: string) => string,
): unknown {
  const policy = policyAt(snakePath);
  if (policy === 'keep-all') return structuredClone(value);
  if (Array.isArray(value)) {
    return value.map((item, i) => convert(item, [...snakePath, String(i)], rename, toSnake));
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const newKey = policy === 'keep-own-keys' ? key : rename(key);
    out[newKey] = convert(child, [...snakePath, toSnake(key)], rename, toSnake);
  }
  return out;
}

export function keysToCamel(value: unknown): unknown {
  return convert(value, [], snakeToCamel, (k) => k);
}

export function keysToSnake(value: unknown): unknown {
  return convert(value, [], camelToSnake, camelToSnake);
}

/** `['routers','core','stt','maxFileSizeMb']` → `routers.core.stt.max_file_size_mb`. */
export function snakePathOf(camelPath: string[]): string {
  const out: string[] = [];
  for (const seg of camelPath) {
    const policy = policyAt(out);
    out.push(policy === 'convert' ? camelToSnake(seg) : seg);
  }
  return out.join('.');
}
