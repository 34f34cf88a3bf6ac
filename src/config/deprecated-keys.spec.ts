import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from './config.loader.js';
import { applyDeprecatedKeys } from './deprecated-keys.js';

describe('the STTS phase-2 keys (deprecated aliases)', () => {
  it('maps each alias onto its current key with one warning each, under features: or at the top', () => {
    const result = parseConfig(
      [
        'features:',
        '  enable_adapters: false',
        '  enable_library_integration: true',
        'enable_middleware: false',
        'enable_historical_tracking: false',
      ].join('\n'),
      {},
    );
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.config.features.useAdapters, false);
    assert.equal(result.config.features.libraryIntegration, true);
    assert.equal(result.config.middleware.timing.enabled, false);
    assert.equal(result.config.middleware.logging.enabled, false);
    assert.equal(result.config.middleware.analytics.enabled, false);
    assert.deepEqual(result.warnings, [
      'enable_middleware is deprecated; use middleware.timing.enabled, middleware.logging.enabled, middleware.analytics.enabled',
      'enable_historical_tracking is deprecated; use middleware.analytics.enabled',
      'features.enable_adapters is deprecated; use features.use_adapters',
      'features.enable_library_integration is deprecated; use features.library_integration',
    ]);
  });

  it('lets the current key win and says the alias is ignored', () => {
    const result = parseConfig('features:\n  use_adapters: true\n  enable_adapters: false\n', {});
    assert.ok(result.ok);
    assert.equal(result.config.features.useAdapters, true);
    assert.deepEqual(result.warnings, [
      'features.enable_adapters is deprecated and ignored: features.use_adapters is set',
    ]);
  });

  it('leaves the file document unchanged and reports a bad value at the key it feeds', () => {
    const document = { features: { enable_adapters: 'maybe' } };
    applyDeprecatedKeys(document);
    assert.deepEqual(document, { features: { enable_adapters: 'maybe' } });
    const result = parseConfig('features:\n  enable_adapters: maybe\n', {});
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.errors.some((line) => line.startsWith('features.use_adapters ')));
  });

  it('has no warnings without aliases', () => {
    const result = parseConfig('features:\n  use_adapters: true\n', {});
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, []);
  });
});
