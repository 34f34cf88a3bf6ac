/**
 * Environment variables from the migration guides that override config.yaml. They are
 * applied to the raw (snake_case) document before validation, so a bad value is reported
 * with both the variable and the config path it feeds.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

type ValueKind = 'string' | 'number' | 'boolean' | 'list';

interface EnvOverride {
  variable: string;
  /** snake_case path in config.yaml; a function when it depends on the document. */
  path: string[] | ((raw: Record<string, unknown>) => string[]);
  kind: ValueKind;
}

export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { variable: 'PORT', path: ['server', 'port'], kind: 'number' },
  { variable: 'DATABASE_URL', path: ['database', 'url'], kind: 'string' },
  { variable: 'REDIS_URL', path: ['rate_limits', 'redis_url'], kind: 'string' },
  { variable: 'ENFORCE_AUTH', path: ['auth', 'enforce'], kind: 'boolean' },
  { variable: 'LOG_LEVEL', path: ['middleware', 'logging', 'log_level'], kind: 'string' },
  { variable: 'LOG_FORMAT', path: ['middleware', 'logging', 'format'], kind: 'string' },
  {
    variable: 'CIRCUIT_BREAKER_FAILURE_THRESHOLD',
    path: ['resilience', 'circuit_breaker', 'failure_threshold'],
    kind: 'number',
  },
  {
    variable: 'CIRCUIT_BREAKER_TIMEOUT_SECONDS',
    path: ['resilience', 'circuit_breaker', 'timeout_seconds'],
    kind: 'number',
  },
  {
    variable: 'CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS',
    path: ['resilience', 'circuit_breaker', 'half_open_max_calls'],
    kind: 'number',
  },
  { variable: 'RETRY_MAX_ATTEMPTS', path: ['resilience', 'retry', 'max_attempts'], kind: 'number' },
  {
    variable: 'RETRY_BACKOFF_FACTOR',
    path: ['resilience', 'retry', 'backoff_factor'],
    kind: 'number',
  },
  {
    variable: 'BULKHEAD_MAX_CONCURRENT',
    path: ['resilience', 'bulkhead', 'max_concurrent'],
    kind: 'number',
  },
  { variable: 'BULKHEAD_QUEUE', path: ['resilience', 'bulkhead', 'queue'], kind: 'number' },
  { variable: 'METRICS_ENABLED', path: ['metrics', 'enabled'], kind: 'boolean' },
  { variable: 'CORRELATION_ID_HEADER', path: ['server', 'request_id_header'], kind: 'string' },
  { variable: 'CORS_ALLOWED_ORIGINS', path: ['cors', 'allowed_origins'], kind: 'list' },
  { variable: 'CORS_ALLOWED_METHODS', path: ['cors', 'allowed_methods'], kind: 'list' },
  { variable: 'CORS_ALLOW_CREDENTIALS', path: ['cors', 'allow_credentials'], kind: 'boolean' },
  {
    variable: 'CIRCUIT_BREAKER_ENABLED',
    path: ['resilience', 'circuit_breaker', 'enabled'],
    kind: 'boolean',
  },
  { variable: 'RATE_LIMIT_ENABLED', path: ['rate_limits', 'enabled'], kind: 'boolean' },
  { variable: 'RATE_LIMIT_STORE', path: ['rate_limits', 'store'], kind: 'string' },
  {
    // The migration guides' single global limit maps onto the default plan.
    variable: 'RATE_LIMIT_REQUESTS_PER_MINUTE',
    path: (raw) => ['rate_limits', 'plans', defaultPlanOf(raw), 'requests_per_minute'],
    kind: 'number',
  },
  {
    // Like the global limit: the guides' one burst size is the default plan's one-second window.
    variable: 'RATE_LIMIT_BURST_SIZE',
    path: (raw) => ['rate_limits', 'plans', defaultPlanOf(raw), 'burst_per_second'],
    kind: 'number',
  },
];

function defaultPlanOf(raw: Record<string, unknown>): string {
  const limits = raw['rate_limits'];
  return isRecord(limits) && typeof limits['default_plan'] === 'string' ? limits['default_plan'] : 'free';
}

export interface AppliedOverride {
  variable: string;
  path: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Defines an own data property, even for a key like `__proto__` that plain assignment would treat specially. */
function setOwn(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Strings that look like the wanted kind become that kind; anything else stays a string so validation names it. */
function coerce(value: string, kind: ValueKind): unknown {
  const trimmed = value.trim();
  // Comma-separated (CORS_ALLOWED_ORIGINS=https://a.example,https://b.example).
  if (kind === 'list')
    return trimmed
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  if (kind === 'number' && trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  if (kind === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(trimmed)) return true;
    if (/^(false|0|no|off)$/i.test(trimmed)) return false;
  }
  return trimmed;
}

/** Returns a copy of `raw` with the overrides set, and which variables were applied. */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: Environment,
): { raw: Record<string, unknown>; applied: AppliedOverride[] } {
  const out = structuredClone(raw);
  const applied: AppliedOverride[] = [];
  for (const override of ENV_OVERRIDES) {
    const value = env[override.variable];
    if (value === undefined || value === '') continue;
    const path = typeof override.path === 'function' ? override.path(out) : override.path;
    let node: Record<string, unknown> = out;
    for (const segment of path.slice(0, -1)) {
      // Own properties only: a path segment such as `__proto__` (from default_plan) must not walk into a prototype.
      const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
      if (!isRecord(next)) setOwn(node, segment, {});
      node = node[segment] as Record<string, unknown>;
    }
    setOwn(node, path[path.length - 1], coerce(value, override.kind));
    applied.push({ variable: override.variable, path: path.join('.') });
  }
  return { raw: out, applied };
}
