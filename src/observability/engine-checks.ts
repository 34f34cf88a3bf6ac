import type { EngineStatus } from '../engines/engine-registry.js';
import type { BreakerState } from '../engines/resilience/engine-resilience-stats.js';

/** One /health check: `degraded` when something is wrong but requests are still served. */
export interface CheckResult {
  status: 'up' | 'degraded' | 'down';
  latency_ms: number;
  detail?: string;
}

/** One configured engine as /health weighs it. */
export interface WeighedEngine {
  status: EngineStatus;
  /** Its breaker; null when the engine is not built (disabled, failed to build). */
  breaker: BreakerState | null;
  /** The engines that serve in its place, in order (TTS: its fallback chain; STT: the others by priority). */
  fallbacks: readonly string[];
}

/** The first available engine that stands in for `engine`, if any. */
function servedBy(engine: WeighedEngine, all: readonly WeighedEngine[]): string | null {
  const available = new Set(all.filter((e) => e.status.available).map((e) => e.status.id));
  return engine.fallbacks.find((id) => available.has(id)) ?? null;
}

/**
 * `engines`: up when every engine can serve; degraded when each one that cannot has an
 * available fallback serving in its place; down when some engine's requests have nowhere
 * to go. The detail names each engine that cannot serve, why, and who serves instead.
 */
export function enginesCheck(engines: readonly WeighedEngine[]): CheckResult {
  const unavailable = engines.filter((engine) => !engine.status.available);
  if (unavailable.length === 0) return { status: 'up', latency_ms: 0 };
  let covered = true;
  const detail = unavailable.map((engine) => {
    const standIn = servedBy(engine, engines);
    if (!standIn) covered = false;
    const reason = `${engine.status.id}: ${engine.status.reason ?? 'unavailable'}`;
    return standIn ? `${reason} (fallback ${standIn} serves)` : reason;
  });
  return { status: covered ? 'degraded' : 'down', latency_ms: 0, detail: detail.join('; ') };
}

/**
 * `circuit_breakers`: up while every breaker is closed; degraded while each open or
 * half-open breaker's engine has an available fallback; down when one has none.
 */
export function breakersCheck(engines: readonly WeighedEngine[]): CheckResult {
  const tripped = engines.filter((engine) => engine.breaker !== null && engine.breaker !== 'closed');
  if (tripped.length === 0) return { status: 'up', latency_ms: 0 };
  let covered = true;
  const detail = tripped.map((engine) => {
    const standIn = servedBy(engine, engines);
    if (!standIn) covered = false;
    const state = `${engine.status.id}: circuit breaker ${engine.breaker}`;
    return standIn ? `${state}, fallback ${standIn} serves` : `${state}, no fallback available`;
  });
  return { status: covered ? 'degraded' : 'down', latency_ms: 0, detail: detail.join('; ') };
}
