/**
 * A plan no benchmark can reach (snake_case, as in config.yaml under rate_limits.plans): a
 * benchmark's users run on it, so any 429 or quota refusal is a bug of the benchmark or of
 * the gateway, never throughput.
 */
export const UNLIMITED_PLAN = {
  requests_per_minute: 1_000_000_000,
  burst_per_second: 1_000_000_000,
  quota_seconds: 1_000_000_000,
  max_concurrent_requests: 100_000,
  max_text_length: 0,
  storage_quota_bytes: 0,
  streaming_allowed: true,
} as const;

/** Config (snake_case) that puts every user, and the keyless development user, on UNLIMITED_PLAN. */
export const UNLIMITED_PLAN_CONFIG = {
  auth: { dev_user_plan: 'bench' },
  rate_limits: { default_plan: 'bench', plans: { bench: UNLIMITED_PLAN } },
} as const;
