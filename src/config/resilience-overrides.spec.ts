import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from './config.loader.js';
import { ResilienceConfig, resilienceFor } from './config.schema.js';

describe('per-engine resilience overrides', () => {
  it('replace only the keys an engine names, over the global resilience: section', () => {
    const global = new ResilienceConfig();
    const merged = resilienceFor(global, {
      timeoutSeconds: 600,
      retry: { maxAttempts: 1 },
      bulkhead: { queue: 0 },
    });
    assert.equal(merged.timeoutSeconds, 600);
    assert.deepEqual(merged.retry, { ...global.retry, maxAttempts: 1 });
    assert.deepEqual(merged.bulkhead, { ...global.bulkhead, queue: 0 });
    assert.deepEqual(merged.circuitBreaker, { ...global.circuitBreaker });
    assert.equal(resilienceFor(global, undefined), global);
  });

  it('are validated where they are written, naming the key', () => {
    const result = parseConfig(
      'engines:\n  stt:\n    - id: ps\n      type: pocketsphinx\n      resilience: { timeout_seconds: -1, retry: { attempts: 2 } }\n',
      {},
    );
    assert.equal(result.ok, false);
    const errors = result.ok ? [] : result.errors.join('\n');
    assert.match(String(errors), /engines\.stt\.0\.resilience\.timeout_seconds/);
    assert.match(String(errors), /engines\.stt\.0\.resilience\.retry\.attempts is not a known setting/);
  });
});
