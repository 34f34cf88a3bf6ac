/**
 * What authentication, rate limiting and quota metering cost a cached POST /tts, in one
 * run on one gateway: the same request with the API key checked, the plan's rate limits
 * counted, and the quota reserved, committed and logged (the product as shipped), against
 * the same gateway with auth.enforce, auth.metering and rate_limits.enabled switched off
 * live. Rows run in the order off on on off (halves), so drifting machine load hits both.
 *
 * Run after building: node dist/bench/accounts.bench.js (or `npm run bench`).
 * BENCH_ACCOUNTS_DURATION_S sets seconds per row (default 6, split in two halves).
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { startBenchGateway } from './bench-gateway.js';

const DURATION_S = Number(process.env.BENCH_ACCOUNTS_DURATION_S ?? 6);
const CONNECTIONS = 8;
const BODY = JSON.stringify({ text: 'The quick brown fox jumps over the lazy dog.', voice: 'en-us' });

interface Row {
  requests: number;
  seconds: number;
  failures: number;
  p50: number[];
}

async function measure(url: string, headers: Record<string, string>, row: Row): Promise<void> {
  const result = await autocannon({
    url: `${url}/tts`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: BODY,
    connections: CONNECTIONS,
    duration: DURATION_S / 2,
    workers: 1,
  });
  row.requests += result.requests.total;
  row.seconds += result.duration;
  row.failures += result.non2xx + result.errors;
  row.p50.push(result.latency.p50);
}

export async function runAccountsBenchmark(): Promise<void> {
  const { gateway, url, close } = await startBenchGateway(
    'accounts',
    {
      auth: { enforce: true, dev_user_plan: 'bench' },
      features: { library_integration: true },
      engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'auto', workers: 1 } }] },
      rate_limits: {
        default_plan: 'bench',
        plans: {
          bench: {
            requests_per_minute: 10_000_000,
            burst_per_second: 1_000_000,
            quota_seconds: 1_000_000_000,
            max_concurrent_requests: 100,
          },
        },
      },
    },
    { bootstrapKeySink: () => undefined },
  );
  try {
    const accounts = gateway.app.get(AccountsService);
    const user = await accounts.createUser({ name: 'bench', email: 'bench@example.com', plan: 'bench' });
    const { token } = await accounts.issueKey(user.id, { name: 'bench', scopes: ['tts'] });
    const authorised = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 600; i++) {
      const res = await fetch(`${url}/tts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authorised },
        body: BODY,
      });
      await res.arrayBuffer();
      if (res.status === 200 && res.headers.get('x-cache') === 'hit') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const off = async () =>
      gateway.config.patch({ auth: { enforce: false, metering: false }, rate_limits: { enabled: false } });
    const on = async () =>
      gateway.config.patch({ auth: { enforce: true, metering: true }, rate_limits: { enabled: true } });

    const plain: Row = { requests: 0, seconds: 0, failures: 0, p50: [] };
    const metered: Row = { requests: 0, seconds: 0, failures: 0, p50: [] };
    await off();
    await measure(url, {}, { requests: 0, seconds: 0, failures: 0, p50: [] }); // warm-up
    await measure(url, {}, plain);
    await on();
    await measure(url, authorised, metered);
    await measure(url, authorised, metered);
    await off();
    await measure(url, {}, plain);

    const usage = await gateway.database.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM usage_logs WHERE user_id = $1`,
      [user.id],
    );
    const rps = (row: Row) => row.requests / row.seconds;
    const p50 = (row: Row) => (row.p50.reduce((a, b) => a + b, 0) / row.p50.length).toFixed(1);
    console.log(
      `cached POST /tts, ${CONNECTIONS} connections, ${DURATION_S} s per row (off on on off halves)`,
    );
    console.log(
      `  auth + rate limits + metering on   ${rps(metered).toFixed(1)} req/s  p50 ${p50(metered)} ms  failures ${metered.failures}`,
    );
    console.log(
      `  auth + rate limits + metering off  ${rps(plain).toFixed(1)} req/s  p50 ${p50(plain)} ms  failures ${plain.failures}`,
    );
    console.log(`  ratio on / off: ${(rps(metered) / rps(plain)).toFixed(2)}`);
    console.log(`  usage rows written while on: ${usage[0].n} (one per metered request, plus the warm-up)`);
  } finally {
    await close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runAccountsBenchmark();
