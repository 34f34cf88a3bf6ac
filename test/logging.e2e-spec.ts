import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, Get, Logger, Module } from '@nestjs/common';
import { startTestGateway, type TestGateway, waitFor } from './support/test-gateway.js';

const ENGINE_KEY = 'sk-logging-test-0123456789';

/** Logs through Nest's own Logger, as framework code and Nest-style services do. */
@Controller('log-probe')
class LogProbeController {
  private readonly logger = new Logger('LogProbe');

  @Get()
  write(): { ok: boolean } {
    this.logger.warn(`engine key ${ENGINE_KEY} and Bearer sgk_abcdefghijkl_${'x'.repeat(40)} in a message`);
    return { ok: true };
  }
}

@Module({ controllers: [LogProbeController] })
class LogProbeModule {}

describe('logging through nestjs-pino', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      extraModules: [LogProbeModule],
      config: {
        engines: {
          tts: [
            {
              id: 'remote',
              type: 'openai',
              enabled: true,
              options: { base_url: 'http://127.0.0.1:9', api_key: ENGINE_KEY },
            },
          ],
        },
      },
    });
  });
  after(() => t.close());

  it("writes Nest's own lines as JSON with their context", () => {
    const mapped = t.logs.find(
      (line) => typeof line['context'] === 'string' && /Mapped/.test(String(line['msg'])),
    );
    assert.ok(mapped, 'a route-mapping line from Nest');
    assert.equal(mapped['service'], 'speech-gateway');
  });

  it('puts the request id on Nest logger lines and redacts keys and configured secrets', async () => {
    const response = await fetch(`${t.url}/log-probe`, { headers: { 'X-Request-ID': 'nest-log-1' } });
    assert.equal(response.status, 200);
    const line = await waitFor(
      () => t.logs.find((entry) => entry['context'] === 'LogProbe'),
      'the probe line',
    );
    assert.equal(line['request_id'], 'nest-log-1');
    assert.equal(line['level'], 40);
    assert.ok(!JSON.stringify(t.rawLogs).includes(ENGINE_KEY), 'the engine key is redacted');
    assert.match(String(line['msg']), /engine key \[REDACTED\]/);
    assert.match(String(line['msg']), /Bearer \[REDACTED\]/);
  });

  it('writes one summary line per request with a single request_id field', async () => {
    await fetch(`${t.url}/log-probe`, { headers: { 'X-Request-ID': 'summary-1' } });
    const raw = await waitFor(
      () => t.rawLogs.find((line) => line.includes('"summary-1"') && line.includes('request completed')),
      'the summary line',
    );
    assert.equal(raw.match(/"request_id"/g)?.length, 1, raw);
    const line = JSON.parse(raw) as Record<string, unknown>;
    assert.deepEqual(
      { method: line['method'], path: line['path'], status: line['status'], level: line['level'] },
      { method: 'GET', path: '/log-probe', status: 200, level: 30 },
    );
    assert.equal(line['req'], undefined);
    assert.equal(line['res'], undefined);
  });

  it('writes no summary line for the health probes', async () => {
    for (const path of ['/health/live', '/health/ready']) {
      assert.equal(
        (await fetch(`${t.url}${path}`, { headers: { 'X-Request-ID': `probe${path}` } })).status,
        200,
      );
    }
    // Requests are answered in order on one server: once a later request's line is written,
    // the probes' lines would have been too.
    await fetch(`${t.url}/config`, { headers: { 'X-Request-ID': 'after-probes' } });
    await waitFor(
      () => t.logs.find((l) => l['request_id'] === 'after-probes' && l['msg'] === 'request completed'),
      'the summary line of the request after the probes',
    );
    const probeLines = t.logs.filter((l) => String(l['request_id']).startsWith('probe/health'));
    assert.deepEqual(probeLines, []);
  });

  it('follows a live change of the log level in the request logger', async () => {
    const patch = (level: string) =>
      fetch(`${t.url}/config`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ middleware: { logging: { log_level: level } } }),
      });
    assert.equal((await patch('warn')).status, 200);
    await fetch(`${t.url}/config`, { headers: { 'X-Request-ID': 'quiet-1' } });
    // The slow-request warning (level 40) would still show; a summary (30) must not.
    await fetch(`${t.url}/log-probe`, { headers: { 'X-Request-ID': 'quiet-2' } });
    await waitFor(
      () => t.logs.find((l) => l['request_id'] === 'quiet-2' && l['context'] === 'LogProbe'),
      'warn line',
    );
    assert.equal(t.logs.filter((l) => l['request_id'] === 'quiet-1').length, 0);

    assert.equal((await patch('info')).status, 200);
    await fetch(`${t.url}/config`, { headers: { 'X-Request-ID': 'loud-1' } });
    await waitFor(
      () => t.logs.find((l) => l['request_id'] === 'loud-1' && l['msg'] === 'request completed'),
      'the summary line once info is back',
    );
  });
});
