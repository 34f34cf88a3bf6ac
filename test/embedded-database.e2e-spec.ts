import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { AnalyticsService } from '../src/observability/analytics.service.js';
import { startTestGateway, type TestGateway, waitFor } from './support/test-gateway.js';

describe('the server on the embedded database', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ database: 'embedded' });
  });
  after(() => t.close());

  it('reports the embedded database as up in /health', async () => {
    const res = await request(t.url).get('/health').expect(200);
    assert.equal(res.body.data.architecture.database, 'embedded');
    assert.equal(res.body.data.checks.database.status, 'up');
    await request(t.url).get('/health/ready').expect(200);
  });

  it('persists analytics rows through the same migrations and entities', async () => {
    await request(t.url).get('/config').set('X-Request-ID', 'embedded-analytics-1').expect(200);
    const analytics = t.gateway.app.get(AnalyticsService);
    const rows = await waitFor(async () => {
      await analytics.flush();
      const found = await t.gateway.database.dataSource.query<Array<{ route: string; status_code: number }>>(
        `SELECT route, status_code FROM analytics_events WHERE request_id = $1`,
        ['embedded-analytics-1'],
      );
      return found.length > 0 ? found : null;
    }, 'the analytics row');
    assert.deepEqual(rows, [{ route: '/config', status_code: 200 }]);
  });

  it('serves concurrent requests that write to the database', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => request(t.url).get('/health').set('X-Request-ID', `burst-${i}`)),
    );
    assert.ok(answers.every((res) => res.status === 200));
    const analytics = t.gateway.app.get(AnalyticsService);
    await waitFor(async () => {
      await analytics.flush();
      const [row] = await t.gateway.database.dataSource.query<Array<{ n: string }>>(
        `SELECT count(*) AS n FROM analytics_events WHERE request_id LIKE 'burst-%'`,
      );
      return Number(row?.n) === 40;
    }, 'all 40 analytics rows');
  });
});
