import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig, parseConfig } from './config.loader.js';

function errorsOf(text: string, env: Record<string, string> = {}): string[] {
  const result = parseConfig(text, env);
  assert.equal(result.ok, false, 'expected the config to be refused');
  return result.ok ? [] : result.errors;
}

describe('parseConfig', () => {
  it('fills every absent key with its default', () => {
    const result = parseConfig('', {});
    assert.ok(result.ok);
    assert.equal(result.config.server.port, 8004);
    assert.equal(result.config.routers.core.stt.maxFileSizeMb, 50);
    assert.equal(result.config.rateLimits.plans['free']?.requestsPerMinute, 10);
    assert.equal(result.config.database.url, undefined);
  });

  it('converts snake_case keys to the typed camelCase config', () => {
    const result = parseConfig('routers:\n  core:\n    stt:\n      max_file_size_mb: 12.5\n', {});
    assert.ok(result.ok);
    assert.equal(result.config.routers.core.stt.maxFileSizeMb, 12.5);
    // untouched siblings keep their defaults
    assert.deepEqual([...result.config.routers.core.stt.supportedFormats], ['wav', 'mp3', 'm4a', 'flac']);
  });

  it('names the YAML path of a wrong type', () => {
    const errors = errorsOf('routers:\n  core:\n    stt:\n      max_file_size_mb: -3\n');
    assert.deepEqual(errors, ['routers.core.stt.max_file_size_mb must be a positive number']);
  });

  it('refuses timeouts longer than a Node timer can wait (they would fire at once)', () => {
    const errors = errorsOf('resilience:\n  timeout_seconds: 1e20\n');
    assert.deepEqual(errors, ['resilience.timeout_seconds must not be greater than 2147483']);
    assert.ok(parseConfig('resilience:\n  timeout_seconds: 2147483\n', {}).ok);
  });

  it('names the YAML path of a value of the wrong kind', () => {
    const errors = errorsOf('middleware:\n  timing:\n    enabled: "sometimes"\n');
    assert.deepEqual(errors, ['middleware.timing.enabled must be a boolean value']);
  });

  it('refuses unknown keys, naming them', () => {
    const errors = errorsOf('server:\n  port: 8004\n  colour: blue\nmystery: 1\n');
    assert.ok(errors.includes('server.colour is not a known setting'), errors.join('\n'));
    assert.ok(errors.includes('mystery is not a known setting'), errors.join('\n'));
  });

  it('refuses a section that is not a mapping', () => {
    const errors = errorsOf('server: 42\n');
    assert.ok(
      errors.some((e) => e.startsWith('server ')),
      errors.join('\n'),
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const errors = errorsOf('server:\n  port: [1, 2\n');
    assert.match(errors[0] ?? '', /not valid YAML: .*\(3:1\)/s, 'names line and column');
  });

  it('refuses a file that is not a mapping', () => {
    assert.deepEqual(errorsOf('- a\n- b\n'), [
      'config.yaml must be a mapping of sections (server:, auth:, …)',
    ]);
  });

  it('keeps plan names as written and validates each plan', () => {
    const ok = parseConfig(
      'rate_limits:\n  default_plan: pro_plus\n  plans:\n    pro_plus:\n      requests_per_minute: 90\n',
      {},
    );
    assert.ok(ok.ok);
    assert.equal(ok.config.rateLimits.plans['pro_plus']?.requestsPerMinute, 90);
    assert.equal(ok.config.rateLimits.plans['pro_plus']?.burstPerSecond, 5, 'plan defaults fill the rest');

    const errors = errorsOf(
      'rate_limits:\n  plans:\n    free:\n      requests_per_minute: 0\n      shiny: 1\n',
    );
    assert.ok(
      errors.includes('rate_limits.plans.free.requests_per_minute must be a positive number'),
      errors.join('\n'),
    );
    assert.ok(errors.includes('rate_limits.plans.free.shiny is not a known setting'), errors.join('\n'));
  });

  it('refuses a default plan that does not exist', () => {
    const errors = errorsOf('rate_limits:\n  default_plan: gold\n');
    assert.match(errors.join('\n'), /default_plan names plan 'gold'/);
  });

  it('refuses duplicate engine ids and names array items by index', () => {
    const errors = errorsOf(
      'engines:\n  tts:\n    - { id: espeak, type: espeak }\n    - { id: espeak, type: espeak }\n    - { id: "Bad Id", type: espeak }\n',
    );
    assert.ok(errors.includes("engines.tts lists engine id 'espeak' twice"), errors.join('\n'));
    assert.ok(
      errors.some((e) => e.startsWith('engines.tts.2.id ')),
      errors.join('\n'),
    );
  });

  it('refuses an engine id used by two kinds of engine', () => {
    const errors = errorsOf(
      'engines:\n  tts:\n    - { id: remote, type: openai }\n  stt:\n    - { id: remote, type: openai }\n',
    );
    assert.ok(
      errors.includes("engines.stt uses engine id 'remote', already used in engines.tts"),
      errors.join('\n'),
    );
  });

  it('passes adapter options through with their keys as written', () => {
    const result = parseConfig(
      'engines:\n  tts:\n    - id: cloud\n      type: openai\n      options: { base_url: "http://x", api_key_env: KEY, nested: { some_key: 1 } }\n',
      {},
    );
    assert.ok(result.ok);
    assert.deepEqual(result.config.engines.tts[0]?.options, {
      base_url: 'http://x',
      api_key_env: 'KEY',
      nested: { some_key: 1 },
    });
  });

  it('lets environment variables override the file', () => {
    const result = parseConfig('resilience:\n  retry:\n    max_attempts: 3\n', {
      RETRY_MAX_ATTEMPTS: '5',
      ENFORCE_AUTH: 'false',
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      CIRCUIT_BREAKER_FAILURE_THRESHOLD: '9',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '77',
      LOG_LEVEL: 'warn',
      PORT: '9000',
    });
    assert.ok(result.ok);
    assert.equal(result.config.resilience.retry.maxAttempts, 5);
    assert.equal(result.config.auth.enforce, false);
    assert.equal(result.config.database.url, 'postgres://u:p@db:5432/x');
    assert.equal(result.config.resilience.circuitBreaker.failureThreshold, 9);
    assert.equal(result.config.rateLimits.plans['free']?.requestsPerMinute, 77);
    assert.equal(
      result.config.rateLimits.plans['pro']?.requestsPerMinute,
      60,
      'other plans keep their defaults',
    );
    assert.equal(result.config.middleware.logging.logLevel, 'warn');
    assert.equal(result.config.server.port, 9000);
    assert.deepEqual(result.overrides.map((o) => o.variable).sort(), [
      'CIRCUIT_BREAKER_FAILURE_THRESHOLD',
      'DATABASE_URL',
      'ENFORCE_AUTH',
      'LOG_LEVEL',
      'PORT',
      'RATE_LIMIT_REQUESTS_PER_MINUTE',
      'RETRY_MAX_ATTEMPTS',
    ]);
  });

  it('names the variable when an environment override is invalid', () => {
    const errors = errorsOf('', { RETRY_MAX_ATTEMPTS: 'lots' });
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^resilience\.retry\.max_attempts .*\(set by RETRY_MAX_ATTEMPTS\)$/);
  });

  it('returns a deeply frozen config', () => {
    const result = parseConfig('', {});
    assert.ok(result.ok);
    assert.ok(Object.isFrozen(result.config.routers.core.tts));
    assert.throws(() => {
      (result.config.server as { port: number }).port = 1;
    });
  });

  it('requires a Redis URL for the redis store', () => {
    assert.match(errorsOf('rate_limits:\n  store: redis\n').join('\n'), /redis_url/);
    assert.ok(parseConfig('rate_limits:\n  store: redis\n', { REDIS_URL: 'redis://127.0.0.1:6379' }).ok);
  });

  it('validates plan feature gates and the dev user plan by name', () => {
    const errors = errorsOf(
      'rate_limits:\n  plans:\n    free:\n      streaming_allowed: "yes"\n      max_text_length: -1\n',
    ).join('\n');
    assert.match(errors, /rate_limits\.plans\.free\.streaming_allowed must be a boolean/);
    assert.match(errors, /rate_limits\.plans\.free\.max_text_length/);
    assert.match(
      errorsOf('auth:\n  enforce: false\n  dev_user_plan: gold\n').join('\n'),
      /auth\.dev_user_plan names plan 'gold'/,
    );
    assert.ok(
      parseConfig('auth:\n  enforce: true\n  dev_user_plan: gold\n', {}).ok,
      'only checked when keyless',
    );
  });

  it('reads routers.core.jobs.stt_segment_seconds (default 30) and refuses a segment under 2 s', () => {
    const defaults = parseConfig('', {});
    assert.ok(defaults.ok);
    assert.equal(defaults.config.routers.core.jobs.sttSegmentSeconds, 30);
    const set = parseConfig('routers:\n  core:\n    jobs:\n      stt_segment_seconds: 4.5\n', {});
    assert.ok(set.ok);
    assert.equal(set.config.routers.core.jobs.sttSegmentSeconds, 4.5);
    for (const value of ['0', '1', '601', 'x']) {
      const errors = errorsOf(`routers:\n  core:\n    jobs:\n      stt_segment_seconds: ${value}\n`);
      assert.ok(
        errors.some((error) => error.includes('stt_segment_seconds')),
        `${value}: ${errors.join('; ')}`,
      );
    }
  });

  it('accepts the shipped config.yaml and config.example.yaml', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const file of ['config/config.yaml', 'config/config.example.yaml']) {
      const result = parseConfig(await readFile(new URL(`../../../${file}`, import.meta.url), 'utf8'), {});
      assert.ok(result.ok, `${file}: ${result.ok ? '' : result.errors.join('; ')}`);
    }
  });
  it('refuses values of the wrong shape with an error naming the key, never a TypeError', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ engines: { tts: 'x' } }, 'engines.tts must be an array'],
      [{ engines: { tts: 1 } }, 'engines.tts must be an array'],
      [{ engines: { chat: [null] } }, 'engines.chat.0 must be a mapping'],
      [{ engines: { tts: [[]] } }, 'engines.tts.0 must be a mapping'],
      [{ routers: { core: { tts: { fallback: {} } } } }, 'routers.core.tts.fallback must be an array'],
      [{ routers: { core: { tts: [] } } }, 'routers.core.tts must be a mapping'],
      [{ resilience: { retry: [null] } }, 'resilience.retry must be a mapping'],
    ];
    for (const [document, error] of cases) {
      const result = buildConfig(document, {});
      assert.deepEqual(result.ok ? [] : result.errors, [error], JSON.stringify(document));
    }
  });

  it('refuses an engine type that no adapter factory provides, naming the key', () => {
    const errors = errorsOf(
      'engines:\n  tts:\n    - { id: espeak, type: nope }\n  stt:\n    - { id: s, type: espeak }\n',
    );
    assert.ok(errors.some((e) => e.startsWith("engines.tts.0.type 'nope' is not a known TTS engine type")));
    assert.ok(errors.some((e) => e.startsWith("engines.stt.0.type 'espeak' is not a known STT engine type")));
  });

  it('refuses plan names that are only inherited properties', () => {
    for (const plan of ['toString', 'constructor', 'hasOwnProperty']) {
      assert.match(
        errorsOf(`rate_limits:\n  default_plan: ${plan}\n`).join('\n'),
        new RegExp(`rate_limits.default_plan names plan '${plan}'`),
      );
    }
  });

  it('refuses prototype keys in the file and keeps Object.prototype clean, environment overrides included', () => {
    assert.deepEqual(errorsOf('constructor:\n  prototype:\n    polluted: 1\n'), [
      "constructor is not allowed: 'constructor' is a reserved name",
    ]);
    assert.deepEqual(errorsOf('rate_limits:\n  plans:\n    __proto__: { quota_seconds: 1 }\n'), [
      "rate_limits.plans.__proto__ is not allowed: '__proto__' is a reserved name",
    ]);
    const errors = errorsOf('rate_limits:\n  default_plan: __proto__\n', {
      RATE_LIMIT_REQUESTS_PER_MINUTE: '7',
    });
    assert.deepEqual(errors, ["rate_limits.plans.__proto__ is not allowed: '__proto__' is a reserved name"]);
    const clean = {} as Record<string, unknown>;
    assert.equal(clean['polluted'], undefined);
    assert.equal(clean['requests_per_minute'], undefined);
    assert.equal(clean['quota_seconds'], undefined);
  });

  it('refuses voice_map values that are not strings, naming them', () => {
    assert.deepEqual(errorsOf('openai:\n  voice_map:\n    alloy: { a: [1] }\n    echo: en-gb\n'), [
      'openai.voice_map must map names to strings; not a string: alloy',
    ]);
  });
});
