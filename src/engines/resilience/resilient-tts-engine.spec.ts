import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioClip } from '../ports/audio-clip.js';
import { abortedError, EngineError, type EngineErrorKind } from '../ports/engine-error.js';
import type { EngineHealth, EngineVoice } from '../ports/engine-health.js';
import type { SynthesisRequest, TtsCapabilities, TtsEngine } from '../ports/tts-engine.js';
import { RemoteEngineError } from '../adapters/remote/remote-engine-error.js';
import { EngineResilienceStats, percentile } from './engine-resilience-stats.js';
import type { ResilienceSettings } from './resilience-policy.factory.js';
import { EngineBusyError, ResilientTtsEngine } from './resilient-tts-engine.js';

/** One scripted outcome per inner call: a clip, an error, or wait (for the signal or a gate). */
type Step = 'ok' | EngineError | { hang: true } | { gate: Promise<void> };

const CLIP: AudioClip = { samples: new Int16Array(4), sampleRate: 16_000 };
const REQUEST: SynthesisRequest = { text: 'hi', voiceId: 'v' };

/** A tiny scripted TtsEngine: the test double for the wrapper. */
class ScriptedEngine implements TtsEngine {
  readonly id = 'fake';
  readonly type = 'scripted';
  readonly signals: AbortSignal[] = [];
  disposed = false;
  constructor(private readonly script: Step[]) {}
  get calls(): number {
    return this.signals.length;
  }
  capabilities(): TtsCapabilities {
    return {
      streaming: false,
      wordTimestamps: false,
      cloning: false,
      supportedParams: [],
      sampleRate: 16_000,
    };
  }
  listVoices(): Promise<EngineVoice[]> {
    return Promise.resolve([{ id: 'v', name: 'V', language: 'en', gender: 'unknown' }]);
  }
  health(): Promise<EngineHealth> {
    return Promise.resolve({ available: true });
  }
  dispose(): Promise<void> {
    this.disposed = true;
    return Promise.resolve();
  }
  async synthesize(_request: SynthesisRequest, signal: AbortSignal): Promise<AudioClip> {
    this.signals.push(signal);
    const step = this.script.shift() ?? 'ok';
    if (step === 'ok') return CLIP;
    if (step instanceof EngineError) throw step;
    const aborted = new Promise<never>((_, reject) => {
      const fail = (): void => reject(abortedError(this.id));
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    if ('hang' in step) return aborted;
    await Promise.race([step.gate, aborted]);
    return CLIP;
  }
}

function settings(overrides: {
  timeoutSeconds?: number;
  maxAttempts?: number;
  failureThreshold?: number;
  halfOpenSeconds?: number;
  halfOpenMaxCalls?: number;
  maxConcurrent?: number;
  queue?: number;
}): ResilienceSettings {
  return {
    timeoutSeconds: overrides.timeoutSeconds ?? 5,
    retry: { maxAttempts: overrides.maxAttempts ?? 3, backoffFactor: 2, initialDelayMs: 1 },
    circuitBreaker: {
      failureThreshold: overrides.failureThreshold ?? 5,
      timeoutSeconds: overrides.halfOpenSeconds ?? 0.2,
      halfOpenMaxCalls: overrides.halfOpenMaxCalls ?? 1,
    },
    bulkhead: { maxConcurrent: overrides.maxConcurrent ?? 10, queue: overrides.queue ?? 0 },
  };
}

const err = (kind: EngineErrorKind): EngineError => new EngineError(kind, kind, 'fake');
const never = new AbortController().signal;

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function kindOf(work: Promise<unknown>): Promise<EngineError> {
  const error = await work.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
  return error;
}

describe('ResilientTtsEngine', () => {
  it('passes id, type, capabilities, voices and dispose through', async () => {
    const inner = new ScriptedEngine([]);
    const engine = new ResilientTtsEngine(inner, settings({}));
    assert.equal(engine.id, 'fake');
    assert.equal(engine.type, 'scripted');
    assert.equal(engine.capabilities().sampleRate, 16_000);
    assert.equal((await engine.listVoices()).length, 1);
    assert.deepEqual(await engine.health(), { available: true });
    await engine.dispose();
    assert.ok(inner.disposed);
  });

  it('retries transient errors up to max_attempts in total', async () => {
    const inner = new ScriptedEngine([err('transient'), err('transient'), 'ok']);
    const engine = new ResilientTtsEngine(inner, settings({ maxAttempts: 3 }));
    assert.equal(await engine.synthesize(REQUEST, never), CLIP);
    assert.equal(inner.calls, 3);
    assert.equal(engine.stats().retries, 2);

    const failing = new ScriptedEngine([err('transient'), err('transient'), err('transient'), 'ok']);
    const engine2 = new ResilientTtsEngine(failing, settings({ maxAttempts: 3 }));
    assert.equal((await kindOf(engine2.synthesize(REQUEST, never))).kind, 'transient');
    assert.equal(failing.calls, 3);
  });

  for (const kind of ['invalid_input', 'voice_not_found', 'failed', 'unavailable'] as const) {
    it(`does not retry ${kind}`, async () => {
      const inner = new ScriptedEngine([err(kind), 'ok']);
      const engine = new ResilientTtsEngine(inner, settings({}));
      assert.equal((await kindOf(engine.synthesize(REQUEST, never))).kind, kind);
      assert.equal(inner.calls, 1);
    });
  }

  it('waits a Retry-After longer than the backoff, and does not retry one beyond the cap', async () => {
    const inner = new ScriptedEngine([new RemoteEngineError('transient', '429', 'fake', 0.3), 'ok']);
    const engine = new ResilientTtsEngine(inner, settings({}));
    const started = Date.now();
    await engine.synthesize(REQUEST, never);
    assert.ok(Date.now() - started >= 290, `waited only ${Date.now() - started} ms`);
    assert.equal(inner.calls, 2);

    const capped = new ScriptedEngine([new RemoteEngineError('transient', '429', 'fake', 3600), 'ok']);
    const engine2 = new ResilientTtsEngine(capped, settings({}), { maxRetryAfterMs: 1000 });
    assert.equal((await kindOf(engine2.synthesize(REQUEST, never))).kind, 'transient');
    assert.equal(capped.calls, 1);
  });

  it('times out an attempt by aborting its signal, then retries', async () => {
    const inner = new ScriptedEngine([{ hang: true }, 'ok']);
    const engine = new ResilientTtsEngine(inner, settings({ timeoutSeconds: 0.05 }));
    assert.equal(await engine.synthesize(REQUEST, never), CLIP);
    assert.equal(inner.calls, 2);
    assert.equal(inner.signals[0]?.aborted, true);
    assert.equal(engine.stats().timeouts, 1);
    assert.equal(engine.stats().retries, 1);

    const stuck = new ScriptedEngine([{ hang: true }, { hang: true }]);
    const engine2 = new ResilientTtsEngine(stuck, settings({ timeoutSeconds: 0.05, maxAttempts: 2 }));
    const error = await kindOf(engine2.synthesize(REQUEST, never));
    assert.equal(error.kind, 'transient');
    assert.equal(error.message, 'timed out after 0.05s');
  });

  it('opens after failure_threshold, rejects fast, half-opens after the timeout and closes on success', async () => {
    const inner = new ScriptedEngine([err('transient'), err('failed'), 'ok']);
    const engine = new ResilientTtsEngine(
      inner,
      settings({ failureThreshold: 2, maxAttempts: 1, halfOpenSeconds: 0.2 }),
    );
    await kindOf(engine.synthesize(REQUEST, never));
    assert.equal(engine.stats().breaker.state, 'closed');
    await kindOf(engine.synthesize(REQUEST, never));
    assert.equal(engine.stats().breaker.state, 'open');

    const rejected = await kindOf(engine.synthesize(REQUEST, never));
    assert.equal(rejected.kind, 'unavailable');
    assert.equal(rejected.message, 'circuit breaker open');
    assert.equal(inner.calls, 2);
    assert.deepEqual(await engine.health(), { available: false, reason: 'circuit breaker open' });

    await until(async () => (await engine.health()).available);
    assert.equal(await engine.synthesize(REQUEST, never), CLIP);
    const stats = engine.stats();
    assert.equal(stats.breaker.state, 'closed');
    assert.deepEqual(
      stats.breaker.transitions.map((t) => t.state),
      ['open', 'half-open', 'closed'],
    );
    assert.equal(stats.rejections.circuitOpen, 1);
    assert.equal(stats.rejections.total, 1);
  });

  it('never opens a switched-off breaker (circuit_breaker.enabled: false)', async () => {
    const inner = new ScriptedEngine([err('failed'), err('failed'), err('failed'), 'ok']);
    const base = settings({ failureThreshold: 1, maxAttempts: 1 });
    const engine = new ResilientTtsEngine(inner, {
      ...base,
      circuitBreaker: { ...base.circuitBreaker, enabled: false },
    });
    for (let i = 0; i < 3; i++)
      assert.equal((await kindOf(engine.synthesize(REQUEST, never))).kind, 'failed');
    assert.equal(engine.stats().breaker.state, 'closed');
    await engine.synthesize(REQUEST, never);
    assert.equal(engine.stats().failures, 3);
  });

  it('re-opens on a failed probe, and on a failure during half_open_max_calls probation', async () => {
    const inner = new ScriptedEngine([err('failed'), err('failed'), err('failed'), 'ok', err('failed')]);
    const engine = new ResilientTtsEngine(
      inner,
      settings({
        failureThreshold: 1,
        maxAttempts: 1,
        halfOpenSeconds: 0.1,
        halfOpenMaxCalls: 2,
        timeoutSeconds: 1,
      }),
    );
    await kindOf(engine.synthesize(REQUEST, never));
    assert.equal(engine.stats().breaker.state, 'open');
    await until(async () => (await engine.health()).available);
    await kindOf(engine.synthesize(REQUEST, never)); // failed probe
    assert.equal(engine.stats().breaker.state, 'open');
    await until(async () => (await engine.health()).available);
    await kindOf(engine.synthesize(REQUEST, never)); // failed probe again
    await until(async () => (await engine.health()).available);
    await engine.synthesize(REQUEST, never); // successful probe closes
    assert.equal(engine.stats().breaker.state, 'closed');
    await kindOf(engine.synthesize(REQUEST, never)); // one failure in probation re-opens
    assert.equal(engine.stats().breaker.state, 'open');
  });

  it('does not count client errors towards the breaker', async () => {
    const inner = new ScriptedEngine([err('invalid_input'), err('voice_not_found'), 'ok']);
    const engine = new ResilientTtsEngine(inner, settings({ failureThreshold: 1 }));
    await kindOf(engine.synthesize(REQUEST, never));
    await kindOf(engine.synthesize(REQUEST, never));
    assert.equal(engine.stats().breaker.state, 'closed');
    assert.equal(await engine.synthesize(REQUEST, never), CLIP);
  });

  it('rejects bulkhead overflow with EngineBusyError', async () => {
    const gate = deferred();
    const inner = new ScriptedEngine([{ gate: gate.promise }, 'ok']);
    const engine = new ResilientTtsEngine(inner, settings({ maxConcurrent: 1, queue: 1 }));
    const first = engine.synthesize(REQUEST, never);
    const queued = engine.synthesize(REQUEST, never);
    const busy = await kindOf(engine.synthesize(REQUEST, never));
    assert.ok(busy instanceof EngineBusyError);
    assert.equal(busy.kind, 'unavailable');
    assert.ok(busy.retryAfterSeconds >= 1);
    assert.equal(inner.calls, 1);
    gate.resolve();
    assert.equal(await first, CLIP);
    assert.equal(await queued, CLIP);
    assert.equal(inner.calls, 2);
    assert.equal(engine.stats().rejections.bulkheadFull, 1);
    assert.equal(engine.stats().breaker.state, 'closed');
  });

  it('maps a caller abort to aborted without counting it as a breaker failure', async () => {
    const inner = new ScriptedEngine([{ hang: true }, 'ok']);
    const engine = new ResilientTtsEngine(inner, settings({ failureThreshold: 1 }));
    const controller = new AbortController();
    const work = engine.synthesize(REQUEST, controller.signal);
    await until(() => inner.calls === 1);
    controller.abort();
    assert.equal((await kindOf(work)).kind, 'aborted');
    assert.equal(inner.calls, 1);
    assert.equal(inner.signals[0]?.aborted, true);
    const stats = engine.stats();
    assert.equal(stats.breaker.state, 'closed');
    assert.equal(stats.aborts, 1);
    assert.equal(stats.failures, 0);
    assert.equal(await engine.synthesize(REQUEST, never), CLIP);
  });

  it('re-opens (not closes) the breaker when the caller aborts the half-open probe', async () => {
    const inner = new ScriptedEngine([err('failed'), { hang: true }, 'ok']);
    const engine = new ResilientTtsEngine(inner, settings({ failureThreshold: 1, halfOpenSeconds: 0.1 }));
    await kindOf(engine.synthesize(REQUEST, never));
    await until(async () => (await engine.health()).available);
    const controller = new AbortController();
    const probe = engine.synthesize(REQUEST, controller.signal);
    await until(() => inner.calls === 2);
    controller.abort();
    assert.equal((await kindOf(probe)).kind, 'aborted');
    await until(() => engine.stats().breaker.state === 'open');
    assert.equal(engine.stats().failures, 1);
    assert.equal(engine.stats().aborts, 1);
  });

  it('aborts promptly during a retry wait', async () => {
    const inner = new ScriptedEngine([new RemoteEngineError('transient', '503', 'fake', 2), 'ok']);
    const engine = new ResilientTtsEngine(inner, settings({}));
    const controller = new AbortController();
    const work = engine.synthesize(REQUEST, controller.signal);
    await until(() => engine.stats().retries === 1);
    const started = Date.now();
    controller.abort();
    assert.equal((await kindOf(work)).kind, 'aborted');
    assert.ok(Date.now() - started < 500);
  });

  it('counts calls, successes, failures and latency samples', async () => {
    const inner = new ScriptedEngine(['ok', err('failed'), 'ok']);
    const engine = new ResilientTtsEngine(inner, settings({}));
    await engine.synthesize(REQUEST, never);
    await kindOf(engine.synthesize(REQUEST, never));
    await engine.synthesize(REQUEST, never);
    const stats = engine.stats();
    assert.equal(stats.calls, 3);
    assert.equal(stats.successes, 2);
    assert.equal(stats.failures, 1);
    assert.equal(stats.latency.samples, 3);
    assert.ok(stats.latency.p50 !== null && stats.latency.p50 >= 0);
    assert.doesNotThrow(() => JSON.stringify(stats));
  });
});

describe('EngineResilienceStats', () => {
  it('computes nearest-rank percentiles over the ring buffer window', () => {
    const stats = new EngineResilienceStats(100);
    for (let ms = 1; ms <= 100; ms++) stats.success(ms);
    assert.deepEqual(
      {
        p50: stats.snapshot().latency.p50,
        p95: stats.snapshot().latency.p95,
        p99: stats.snapshot().latency.p99,
      },
      { p50: 50, p95: 95, p99: 99 },
    );
    for (let i = 0; i < 100; i++) stats.success(1000); // the window rolls over
    assert.equal(stats.snapshot().latency.p50, 1000);
    assert.equal(stats.snapshot().latency.samples, 100);
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([7], 99), 7);
  });

  it('records breaker transitions once per change', () => {
    const stats = new EngineResilienceStats(10, () => 0);
    stats.breaker('open');
    stats.breaker('open');
    stats.breaker('half-open');
    assert.deepEqual(stats.snapshot().breaker.transitions, [
      { state: 'open', at: '1970-01-01T00:00:00.000Z' },
      { state: 'half-open', at: '1970-01-01T00:00:00.000Z' },
    ]);
  });
});
