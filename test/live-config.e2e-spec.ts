import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { parseDocument } from 'yaml';
import { startTestGateway, type TestGateway, waitFor } from './support/test-gateway.js';

async function editConfig(
  path: string,
  edit: (doc: ReturnType<typeof parseDocument>) => void,
): Promise<void> {
  const doc = parseDocument(await readFile(path, 'utf8'));
  edit(doc);
  await writeFile(path, doc.toString());
}

describe('live configuration', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: {
        database: { url: 'postgres://root:s3cret-pw@127.0.0.1:5432/test' },
        engines: { tts: [{ id: 'cloud', type: 'openai', options: { api_key: 'sk-test-abcdef' } }] },
      },
    });
  });
  after(() => t.close());

  const timingEnabled = async () =>
    (await request(t.url).get('/tts/middleware/status').expect(200)).body.data.timing.enabled as boolean;

  it('applies an edit of config.yaml without a restart', async () => {
    assert.equal(await timingEnabled(), true);
    await editConfig(t.configPath, (doc) => doc.setIn(['middleware', 'timing', 'enabled'], false));
    await waitFor(async () => (await timingEnabled()) === false, 'the edit to apply');
    const validation = await request(t.url).get('/config/validation').expect(200);
    assert.equal(validation.body.data.valid, true);
    assert.equal(validation.body.data.source, 'file');
  });

  it('refuses an invalid edit, reports it, and keeps the last good config live', async () => {
    await editConfig(t.configPath, (doc) => {
      doc.setIn(['middleware', 'timing', 'enabled'], true);
      doc.setIn(['routers', 'core', 'stt', 'max_file_size_mb'], -1);
    });
    const report = await waitFor(async () => {
      const res = await request(t.url).get('/config/validation').expect(200);
      return res.body.data.valid === false ? res.body.data : null;
    }, 'the refusal to be reported');
    assert.deepEqual(report.errors, ['routers.core.stt.max_file_size_mb must be a positive number']);
    // The valid part of the refused edit (timing back on) is not applied either.
    assert.equal(await timingEnabled(), false);
    const config = await request(t.url).get('/config').expect(200);
    assert.equal(config.body.data.routers.core.stt.max_file_size_mb, 50);
    const health = await request(t.url).get('/health').expect(200);
    assert.equal(health.body.data.checks.config.status, 'down');
    assert.ok(t.logs.some((line) => line['msg']?.toString().includes('edit refused')));

    await editConfig(t.configPath, (doc) => doc.setIn(['routers', 'core', 'stt', 'max_file_size_mb'], 20));
    await waitFor(async () => (await timingEnabled()) === true, 'the corrected edit to apply');
    const fixed = await request(t.url).get('/config/validation').expect(200);
    assert.equal(fixed.body.data.valid, true);
  });

  it('shows the config with secrets redacted', async () => {
    const res = await request(t.url).get('/config').expect(200);
    const text = JSON.stringify(res.body);
    assert.ok(!text.includes('s3cret-pw'), 'database password hidden');
    assert.ok(!text.includes('sk-test-abcdef'), 'engine api key hidden');
    assert.equal(res.body.data.database.url, 'postgres://root:[REDACTED]@127.0.0.1:5432/test');
    assert.equal(res.body.data.engines.tts[0].options.api_key, '[REDACTED]');
    assert.ok(!t.rawLogs.some((line) => line.includes('s3cret-pw') || line.includes('sk-test-abcdef')));
  });

  it('PATCH /config validates, writes the file atomically with comments kept, and applies', async () => {
    const before = await readFile(t.configPath, 'utf8');
    assert.match(before, /^# test config/);
    const res = await request(t.url)
      .patch('/config')
      .send({ middleware: { timing: { slow_request_threshold: 2.5 } }, gen: { chunk_size: 300 } })
      .expect(200);
    assert.equal(res.body.status, 'success');
    assert.equal(res.body.data.gen.chunk_size, 300);
    const after = await readFile(t.configPath, 'utf8');
    assert.match(after, /^# test config/, 'comment kept');
    assert.match(after, /chunk_size: 300/);
    const status = await request(t.url).get('/tts/middleware/status').expect(200);
    assert.equal(status.body.data.timing.slow_request_threshold, 2.5);
  });

  it('PATCH /config refuses an invalid change with 400 CONFIG_INVALID and writes nothing', async () => {
    const before = await readFile(t.configPath, 'utf8');
    const res = await request(t.url)
      .patch('/config')
      .send({ gen: { chunk_size: 'big' }, server: { unknown_knob: 1 } })
      .expect(400);
    assert.equal(res.body.metadata.error_code, 'CONFIG_INVALID');
    assert.ok(res.body.data.errors.includes('server.unknown_knob is not a known setting'));
    assert.ok(res.body.data.errors.some((e: string) => e.startsWith('gen.chunk_size ')));
    assert.equal(await readFile(t.configPath, 'utf8'), before);
  });

  it('PATCH /config refuses a body that is not an object', async () => {
    const res = await request(t.url).patch('/config').send([1, 2]).expect(400);
    assert.equal(res.body.metadata.error_code, 'VALIDATION_FAILED');
  });

  it('POST /save_settings answers in the legacy shape', async () => {
    const res = await request(t.url)
      .post('/save_settings')
      .send({ gen: { chunk_size: 250 } })
      .expect(200);
    assert.deepEqual(res.body, { message: 'Settings saved successfully.', restart_needed: false });
    const restart = await request(t.url)
      .post('/save_settings')
      .send({ server: { shutdown_timeout_seconds: 4 } })
      .expect(200);
    assert.equal(restart.body.restart_needed, true);
    const config = await request(t.url).get('/config').expect(200);
    assert.equal(config.body.data.gen.chunk_size, 250);
  });
});

describe('environment overrides', () => {
  it('override the file, are listed by /config/validation and survive live edits', async () => {
    const t = await startTestGateway({ env: { RETRY_MAX_ATTEMPTS: '6', LOG_LEVEL: 'warn' } });
    try {
      const config = await request(t.url).get('/config').expect(200);
      assert.equal(config.body.data.resilience.retry.max_attempts, 6);
      const validation = await request(t.url).get('/config/validation').expect(200);
      assert.deepEqual(
        validation.body.data.env_overrides.map((o: { variable: string }) => o.variable).sort(),
        ['LOG_LEVEL', 'RETRY_MAX_ATTEMPTS'],
      );
      await request(t.url)
        .patch('/config')
        .send({ resilience: { retry: { max_attempts: 2 } } })
        .expect(200);
      const after = await request(t.url).get('/config').expect(200);
      assert.equal(after.body.data.resilience.retry.max_attempts, 6, 'the environment still wins');
    } finally {
      await t.close();
    }
  });

  it('refuse to start with an invalid override, naming the variable', async () => {
    await assert.rejects(
      startTestGateway({ env: { CIRCUIT_BREAKER_FAILURE_THRESHOLD: 'many' } }),
      (error: Error) => {
        assert.match(
          error.message,
          /resilience\.circuit_breaker\.failure_threshold .*set by CIRCUIT_BREAKER_FAILURE_THRESHOLD/,
        );
        return true;
      },
    );
  });
});
