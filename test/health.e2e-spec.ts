import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { parseDocument } from 'yaml';
import { startTestGateway, waitFor, type TestGateway } from './support/test-gateway.js';

interface CheckResult {
  status: 'up' | 'down';
  latency_ms: number;
  detail?: string;
}

interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  version: string;
  architecture: { mode: string; database: string; routers: Record<string, boolean>; job_queue: string };
  features: Record<string, boolean>;
  checks: Record<string, CheckResult>;
  uptime_seconds: number;
  process?: { rss_mb: number; heap_used_mb: number; event_loop_utilization: number };
}

interface Envelope<T> {
  status: 'success' | 'error';
  message: string;
  data: T;
  metadata: { request_id: string; error_code: string | null };
}

async function packageVersion(): Promise<string> {
  // Compiled to dist/test/, two levels below the project root.
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** Replaces config.yaml atomically with `edit` applied to its YAML document. */
async function editConfig(
  t: TestGateway,
  edit: (doc: ReturnType<typeof parseDocument>) => void,
): Promise<void> {
  const doc = parseDocument(await readFile(t.configPath, 'utf8'));
  edit(doc);
  const temp = `${t.configPath}.${randomUUID()}.tmp`;
  await writeFile(temp, doc.toString());
  await rename(temp, t.configPath);
}

async function health(t: TestGateway): Promise<HealthReport> {
  const res = await request(t.url).get('/health').expect(200);
  return (res.body as Envelope<HealthReport>).data;
}

/** Polls GET /health until `accept` holds for its report (config edits apply within ~1 s). */
async function waitForHealth(
  t: TestGateway,
  accept: (report: HealthReport) => boolean,
  what: string,
): Promise<HealthReport> {
  const report = await waitFor(async () => {
    const current = await health(t);
    return accept(current) ? current : undefined;
  }, what);
  assert.ok(report);
  return report;
}

describe('health', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway();
  });
  after(() => t.close());

  it('GET /health reports version, architecture, features and checks in the envelope', async () => {
    const res = await request(t.url).get('/health').expect(200);
    const body = res.body as Envelope<HealthReport>;
    assert.equal(body.status, 'success');
    assert.equal(body.metadata.error_code, null);
    const report = body.data;
    assert.equal(report.status, 'healthy');
    assert.equal(report.version, await packageVersion());
    assert.equal(report.architecture.mode, 'modular');
    assert.equal(report.architecture.database, 'postgres');
    assert.equal(report.architecture.job_queue, 'database');
    assert.deepEqual(report.architecture.routers, {
      'core.tts': true,
      'core.stt': true,
      // No chat engine is configured in the test config: a conversation could not be answered.
      'core.conversation': false,
      'core.jobs': true,
      'management.config': true,
      'management.files': true,
      'management.ui': true,
    });
    assert.deepEqual(report.features, {
      use_new_routers: true,
      use_adapters: true,
      library_integration: false,
      enhanced_monitoring: false,
    });
    assert.equal(report.checks['database']?.status, 'up');
    assert.equal(typeof report.checks['database']?.latency_ms, 'number');
    assert.equal(report.checks['config']?.status, 'up');
    assert.ok(Number.isInteger(report.uptime_seconds) && report.uptime_seconds >= 0);
    assert.equal(report.process, undefined, 'no process metrics without enhanced_monitoring');
  });

  it('GET /health/live answers 200', async () => {
    const res = await request(t.url).get('/health/live').expect(200);
    assert.deepEqual((res.body as Envelope<unknown>).data, { status: 'alive' });
  });

  it('GET /health/ready answers 200 while the database is up', async () => {
    const res = await request(t.url).get('/health/ready').expect(200);
    const body = res.body as Envelope<HealthReport>;
    assert.equal(body.metadata.error_code, null);
    assert.equal(body.data.status, 'healthy');
    assert.equal(body.data.checks['database']?.status, 'up');
  });

  it('follows live edits of the feature flags; enhanced monitoring adds process metrics', async () => {
    await editConfig(t, (doc) => doc.setIn(['features', 'enhanced_monitoring'], true));
    const on = await waitForHealth(
      t,
      (report) => report.features['enhanced_monitoring'] === true,
      'enhanced_monitoring on in /health',
    );
    assert.ok(on.process, 'process metrics with enhanced_monitoring');
    assert.ok(Number.isInteger(on.process.rss_mb) && on.process.rss_mb > 0);
    assert.equal(typeof on.process.heap_used_mb, 'number');
    assert.equal(typeof on.process.event_loop_utilization, 'number');

    await editConfig(t, (doc) => {
      doc.setIn(['features', 'enhanced_monitoring'], false);
      doc.setIn(['features', 'use_new_routers'], false);
    });
    const off = await waitForHealth(
      t,
      (report) => report.features['enhanced_monitoring'] === false,
      'enhanced_monitoring off in /health',
    );
    assert.equal(off.process, undefined);
    assert.equal(off.features['use_new_routers'], false);
    assert.equal(off.architecture.mode, 'legacy');
    assert.equal(off.architecture.routers['core.tts'], false);
    assert.equal(off.architecture.routers['management.config'], true);

    await editConfig(t, (doc) => doc.setIn(['features', 'use_new_routers'], true));
    await waitForHealth(t, (report) => report.architecture.mode === 'modular', 'modular again');
  });

  it('reports a refused config edit as config down and status degraded, until it is fixed', async () => {
    await editConfig(t, (doc) => doc.setIn(['middleware', 'timing', 'slow_request_threshold'], -1));
    const degraded = await waitForHealth(t, (report) => report.status === 'degraded', '/health degraded');
    assert.equal(degraded.checks['config']?.status, 'down');
    assert.equal(typeof degraded.checks['config']?.detail, 'string');
    assert.equal(degraded.checks['database']?.status, 'up');
    // Degraded is still ready: the last good config is live.
    await request(t.url).get('/health/ready').expect(200);

    await editConfig(t, (doc) => doc.setIn(['middleware', 'timing', 'slow_request_threshold'], 5));
    const fixed = await waitForHealth(t, (report) => report.status === 'healthy', '/health healthy again');
    assert.equal(fixed.checks['config']?.status, 'up');
  });
});

describe('health with the database gone', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway();
  });
  after(() => t.close());

  it('answers /health/ready with 503 SERVICE_NOT_READY and /health as unhealthy', async () => {
    await request(t.url).get('/health/ready').expect(200);
    await t.gateway.database.dataSource.destroy();

    const ready = await request(t.url).get('/health/ready').expect(503);
    const readyBody = ready.body as Envelope<HealthReport>;
    assert.equal(readyBody.status, 'error');
    assert.equal(readyBody.metadata.error_code, 'SERVICE_NOT_READY');
    assert.equal(readyBody.data.status, 'unhealthy');
    assert.equal(readyBody.data.checks['database']?.status, 'down');

    const report = await health(t);
    assert.equal(report.status, 'unhealthy');
    assert.equal(report.checks['database']?.status, 'down');
    assert.equal(report.checks['database']?.detail, 'query failed');

    // Liveness does not depend on the database.
    await request(t.url).get('/health/live').expect(200);
  });

  it('closes cleanly although the data source is already destroyed', async () => {
    await t.gateway.close();
    assert.equal(t.gateway.database.dataSource.isInitialized, false);
    // A second close (TestGateway.close in `after`) shares the first one's result.
    await t.gateway.close();
  });
});
