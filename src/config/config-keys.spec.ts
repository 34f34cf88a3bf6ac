import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keysToCamel, keysToSnake, snakePathOf } from './config-keys.js';

describe('config key conversion', () => {
  it('round-trips settings while keeping plan names and adapter options as written', () => {
    const document = {
      routers: { core: { stt: { max_file_size_mb: 5 } } },
      rate_limits: { plans: { pro_plus: { requests_per_minute: 1 } } },
      engines: { tts: [{ id: 'x', options: { api_key_env: 'K', deep: { snake_key: 1 } } }] },
    };
    const camel = keysToCamel(document);
    assert.deepEqual(camel, {
      routers: { core: { stt: { maxFileSizeMb: 5 } } },
      rateLimits: { plans: { pro_plus: { requestsPerMinute: 1 } } },
      engines: { tts: [{ id: 'x', options: { api_key_env: 'K', deep: { snake_key: 1 } } }] },
    });
    assert.deepEqual(keysToSnake(camel), document);
  });

  it('turns a camelCase validation path into the YAML path', () => {
    assert.equal(
      snakePathOf(['routers', 'core', 'stt', 'maxFileSizeMb']),
      'routers.core.stt.max_file_size_mb',
    );
    assert.equal(
      snakePathOf(['rateLimits', 'plans', 'proPlus', 'requestsPerMinute']),
      'rate_limits.plans.proPlus.requests_per_minute',
    );
  });
});
