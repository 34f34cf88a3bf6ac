import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BreakerState } from '../engines/resilience/engine-resilience-stats.js';
import { breakersCheck, enginesCheck, type WeighedEngine } from './engine-checks.js';

function engine(
  id: string,
  available: boolean,
  breaker: BreakerState | null,
  fallbacks: string[] = [],
): WeighedEngine {
  return {
    status: {
      id,
      type: 'openai',
      kind: 'remote',
      priority: 0,
      available,
      reason: available ? null : 'circuit breaker open',
    },
    breaker,
    fallbacks,
  };
}

describe('engine checks of /health', () => {
  it('are up while every engine serves and every breaker is closed', () => {
    const all = [engine('primary', true, 'closed', ['espeak']), engine('espeak', true, 'closed')];
    assert.deepEqual(enginesCheck(all), { status: 'up', latency_ms: 0 });
    assert.deepEqual(breakersCheck(all), { status: 'up', latency_ms: 0 });
  });

  it('are degraded, naming the engine that serves instead, while a fallback covers an open breaker', () => {
    const all = [engine('primary', false, 'open', ['espeak']), engine('espeak', true, 'closed')];
    assert.deepEqual(enginesCheck(all), {
      status: 'degraded',
      latency_ms: 0,
      detail: 'primary: circuit breaker open (fallback espeak serves)',
    });
    assert.deepEqual(breakersCheck(all), {
      status: 'degraded',
      latency_ms: 0,
      detail: 'primary: circuit breaker open, fallback espeak serves',
    });
  });

  it('skip fallbacks that cannot serve either, and are down when none can', () => {
    const covered = [
      engine('primary', false, 'open', ['second', 'espeak']),
      engine('second', false, 'half-open'),
      engine('espeak', true, 'closed'),
    ];
    assert.match(
      breakersCheck(covered).detail ?? '',
      /primary: circuit breaker open, fallback espeak serves/,
    );
    assert.equal(breakersCheck(covered).status, 'down', 'second has no fallback');
    const alone = [engine('primary', false, 'open', ['espeak']), engine('espeak', false, null)];
    assert.equal(enginesCheck(alone).status, 'down');
    assert.equal(breakersCheck(alone).detail, 'primary: circuit breaker open, no fallback available');
  });
});
