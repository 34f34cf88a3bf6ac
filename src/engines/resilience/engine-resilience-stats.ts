/** The breaker state as reported to operators. */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerTransition {
  state: BreakerState;
  /** ISO-8601 time of the transition. */
  at: string;
}

/** A plain, JSON-able snapshot of one engine's resilience counters. */
export interface EngineResilienceStatsSnapshot {
  /** synthesize() calls, including the rejected ones. */
  calls: number;
  successes: number;
  /** Calls that ended in an engine error (after retries); excludes rejections and caller aborts. */
  failures: number;
  /** Calls the caller aborted. */
  aborts: number;
  /** Attempts cut short by the per-attempt timeout. */
  timeouts: number;
  /** Retry attempts made (not counting first attempts). */
  retries: number;
  rejections: { total: number; circuitOpen: number; bulkheadFull: number };
  breaker: {
    state: BreakerState;
    /** Most recent transitions, oldest first (bounded). */
    transitions: BreakerTransition[];
  };
  /** Milliseconds, over the last `latency.window` calls that ran (successes and failures); null when none. */
  latency: { samples: number; window: number; p50: number | null; p95: number | null; p99: number | null };
}

const MAX_TRANSITIONS = 50;

/** Per-engine counters plus a ring buffer of recent call latencies. */
export class EngineResilienceStats {
  private calls = 0;
  private successes = 0;
  private failures = 0;
  private aborts = 0;
  private timeouts = 0;
  private retries = 0;
  private circuitOpen = 0;
  private bulkheadFull = 0;
  private state: BreakerState = 'closed';
  private readonly transitions: BreakerTransition[] = [];
  private readonly ring: Float64Array;
  private ringNext = 0;
  private ringSize = 0;

  constructor(
    readonly latencyWindow = 1000,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(latencyWindow) || latencyWindow < 1)
      throw new RangeError('latencyWindow must be ≥ 1');
    this.ring = new Float64Array(latencyWindow);
  }

  get breakerState(): BreakerState {
    return this.state;
  }

  call(): void {
    this.calls++;
  }

  success(latencyMs: number): void {
    this.successes++;
    this.latency(latencyMs);
  }

  failure(latencyMs: number): void {
    this.failures++;
    this.latency(latencyMs);
  }

  abort(): void {
    this.aborts++;
  }

  timeout(): void {
    this.timeouts++;
  }

  retry(): void {
    this.retries++;
  }

  rejected(reason: 'circuit_open' | 'bulkhead_full'): void {
    if (reason === 'circuit_open') this.circuitOpen++;
    else this.bulkheadFull++;
  }

  breaker(state: BreakerState): void {
    if (state === this.state) return;
    this.state = state;
    this.transitions.push({ state, at: new Date(this.now()).toISOString() });
    if (this.transitions.length > MAX_TRANSITIONS) this.transitions.shift();
  }

  snapshot(): EngineResilienceStatsSnapshot {
    const sorted = Array.from(this.ring.subarray(0, this.ringSize)).sort((a, b) => a - b);
    return {
      calls: this.calls,
      successes: this.successes,
      failures: this.failures,
      aborts: this.aborts,
      timeouts: this.timeouts,
      retries: this.retries,
      rejections: {
        total: this.circuitOpen + this.bulkheadFull,
        circuitOpen: this.circuitOpen,
        bulkheadFull: this.bulkheadFull,
      },
      breaker: { state: this.state, transitions: this.transitions.map((t) => ({ ...t })) },
      latency: {
        samples: sorted.length,
        window: this.latencyWindow,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
      },
    };
  }

  private latency(ms: number): void {
    this.ring[this.ringNext] = ms;
    this.ringNext = (this.ringNext + 1) % this.latencyWindow;
    this.ringSize = Math.min(this.ringSize + 1, this.latencyWindow);
  }
}

/** Nearest-rank percentile of an ascending array; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}
