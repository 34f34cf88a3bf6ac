import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../config/config.loader.js';
import { jobQueueBackend } from './job-queue-backend.js';

function backendOf(text: string, env: Record<string, string> = {}): string {
  const result = parseConfig(text, env);
  assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
  return jobQueueBackend(result.config);
}

describe('jobQueueBackend', () => {
  it('queues in the database by default, with no Redis configured', () => {
    assert.equal(backendOf(''), 'database');
  });

  it('auto picks Redis when rate_limits.redis_url or REDIS_URL is set', () => {
    assert.equal(backendOf('rate_limits:\n  redis_url: redis://127.0.0.1:6379\n'), 'redis');
    assert.equal(backendOf('', { REDIS_URL: 'redis://127.0.0.1:6379' }), 'redis');
  });

  it('database keeps pg-boss even when Redis is configured', () => {
    const text =
      'rate_limits:\n  redis_url: redis://h:6379\nrouters:\n  core:\n    jobs:\n      queue: database\n';
    assert.equal(backendOf(text), 'database');
  });

  it('refuses queue: redis without a Redis URL, and an unknown queue', () => {
    const refused = parseConfig('routers:\n  core:\n    jobs:\n      queue: redis\n', {});
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.errors.some((e) => e.includes('routers.core.jobs.queue is redis')));
    const unknown = parseConfig('routers:\n  core:\n    jobs:\n      queue: kafka\n', {});
    assert.equal(unknown.ok, false);
  });

  it('refuses a Redis key prefix with characters outside [A-Za-z0-9:._-]', () => {
    const refused = parseConfig('routers:\n  core:\n    jobs:\n      redis_key_prefix: "a b"\n', {});
    assert.equal(refused.ok, false);
  });
});
