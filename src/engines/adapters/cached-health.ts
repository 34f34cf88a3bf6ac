import type { EngineHealth } from '../ports/engine-health.js';

/** health() answers from its last probe for this long (the registry and /health poll it). */
export const HEALTH_CACHE_MS = 10_000;

/**
 * An engine's health, probed at most once per HEALTH_CACHE_MS: polling /health must not
 * turn into a request storm against a paid API or a process spawn per poll. Concurrent
 * callers share one probe.
 */
export class CachedHealth {
  private last?: { at: number; result: Promise<EngineHealth> };

  constructor(
    private readonly probe: () => Promise<EngineHealth>,
    private readonly ttlMs = HEALTH_CACHE_MS,
  ) {}

  get(): Promise<EngineHealth> {
    const now = Date.now();
    if (!this.last || now - this.last.at >= this.ttlMs) this.last = { at: now, result: this.probe() };
    return this.last.result;
  }

  /** Records health seen some other way (a call that just worked), restarting the period. */
  observe(health: EngineHealth): void {
    this.last = { at: Date.now(), result: Promise.resolve(health) };
  }
}
