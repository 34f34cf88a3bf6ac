import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { stringify } from 'yaml';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { redisQueueSetup } from './support/redis-queue.js';
import { getJob, submitJob, waitForJob } from './support/jobs.js';
import {
  baseTestConfig,
  deepMerge,
  dropSchema,
  freePort,
  TEST_DATABASE_URL,
  waitFor,
  waitForVoices,
} from './support/test-gateway.js';

const MAIN = new URL('../src/main.js', import.meta.url).pathname;
const SENTENCE = 'The quick brown fox jumps over the lazy dog near the quiet river bank. ';

interface Node {
  name: string;
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startNode(name: string, configPath: string, cwd: string): Promise<Node> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN, '--config', configPath, '--port', String(port)], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '' },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health/live`)).ok, `node ${name}`, 60_000);
  await waitForVoices(url);
  return { name, child, url, output: () => output, exited };
}

/** Whether the node's log says it started (an attempt of) the job. */
function ran(node: Node, jobId: string): boolean {
  return node
    .output()
    .split('\n')
    .some((line) => line.includes('job started') && line.includes(jobId));
}

for (const queue of ['database', 'redis'] as const) {
  describe(
    `jobs across two server processes sharing PostgreSQL, queued in ${queue}`,
    { timeout: 300_000 },
    () => {
      const redis = queue === 'redis' ? redisQueueSetup() : undefined;
      let dir: string;
      let configPath: string;
      const schema = `p_${randomBytes(5).toString('hex')}`;
      const nodes: Node[] = [];
      let db: pg.Client;

      before(async () => {
        dir = await mkdtemp(join(tmpdir(), 'sg-cluster-'));
        configPath = join(dir, 'config.yaml');
        const base = deepMerge(
          deepMerge(baseTestConfig(dir, 'postgres', schema), ESPEAK_TEST_CONFIG),
          redis?.config ?? {},
        );
        const config = deepMerge(base, {
          middleware: { logging: { log_level: 'info' } },
          routers: { core: { jobs: { concurrency: 1 } } },
        });
        await writeFile(configPath, stringify(config));
        // One at a time: the first runs the migrations.
        nodes.push(await startNode('a', configPath, dir));
        nodes.push(await startNode('b', configPath, dir));
        db = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await db.connect();
      });
      after(async () => {
        for (const node of nodes) node.child.kill('SIGKILL');
        await Promise.all(nodes.map((node) => node.exited));
        await db?.end();
        await dropSchema(schema);
        await rm(dir, { recursive: true, force: true });
        await redis?.cleanup();
      });

      it('shares the work: jobs submitted to one node run on both', async () => {
        const [a, b] = nodes as [Node, Node];
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) {
          const answer = await submitJob(a.url, undefined, {
            type: 'tts',
            input: { text: `${i}. ${SENTENCE.repeat(30)}`, response_format: 'wav' },
          });
          assert.equal(answer.status, 202, JSON.stringify(answer.body));
          ids.push(answer.body.data?.job_id ?? '');
        }
        for (const id of ids)
          assert.equal((await waitForJob(b.url, undefined, id, undefined, 120_000)).status, 'completed');
        assert.ok(
          ids.some((id) => ran(a, id)),
          'node a ran some',
        );
        assert.ok(
          ids.some((id) => ran(b, id)),
          'node b ran some',
        );
        for (const id of ids) assert.ok(!(ran(a, id) && ran(b, id)), `job ${id} ran once`);
      });

      it('puts a running job back in the queue when its node shuts down cleanly (SIGTERM)', async () => {
        const [a, b] = nodes as [Node, Node];
        const answer = await submitJob(a.url, undefined, {
          type: 'tts',
          input: { text: SENTENCE.repeat(400), response_format: 'wav' },
        });
        const id = answer.body.data?.job_id ?? '';
        await waitForJob(
          a.url,
          undefined,
          id,
          (job) => job.status === 'running' && job.progress > 0.05,
          60_000,
        );
        const stopping = nodes.find((node) => ran(node, id));
        const other = stopping === a ? b : a;
        assert.ok(stopping);
        stopping.child.kill('SIGTERM');
        assert.equal(await stopping.exited, 0);
        const stoppedAt = Date.now();
        // No heartbeat timeout to wait for: the job was handed back as the node stopped.
        await waitForJob(other.url, undefined, id, (job) => job.status === 'running' && ran(other, id), 5000);
        console.log(`# SIGTERM → running on the other node after ${Date.now() - stoppedAt} ms`);
        const job = await waitForJob(other.url, undefined, id, undefined, 180_000);
        assert.equal(job.status, 'completed');
        assert.equal(job.attempts, 1, 'a clean handover does not count as an attempt');
        // The stopped node comes back for the next test.
        nodes[nodes.indexOf(stopping)] = await startNode(stopping.name, configPath, dir);
      });

      it('takes over a job whose node was killed (kill -9) within 30 s, charging it once', async () => {
        const answer = await submitJob(nodes[0].url, undefined, {
          type: 'tts',
          input: { text: SENTENCE.repeat(600), response_format: 'wav' },
        });
        assert.equal(answer.status, 202);
        const id = answer.body.data?.job_id ?? '';
        await waitForJob(
          nodes[0].url,
          undefined,
          id,
          (job) => job.status === 'running' && job.progress > 0.05,
          60_000,
        );
        const victim = nodes.find((node) => ran(node, id));
        const survivor = nodes.find((node) => node !== victim);
        assert.ok(victim && survivor);
        victim.child.kill('SIGKILL');
        await victim.exited;
        const killedAt = Date.now();
        await waitForJob(
          survivor.url,
          undefined,
          id,
          (job) => job.attempts === 2 && job.status === 'running',
          30_000,
        );
        const takeoverMs = Date.now() - killedAt;
        assert.ok(takeoverMs <= 30_000, `taken over after ${takeoverMs} ms`);
        console.log(`# kill -9 → taken over by the other node after ${takeoverMs} ms`);
        const job = await waitForJob(survivor.url, undefined, id, undefined, 180_000);
        assert.equal(job.status, 'completed', JSON.stringify(job));
        assert.ok(ran(survivor, id));
        const charges = await db.query<{ status: string; audio_seconds: string }>(
          `SELECT status, audio_seconds FROM "${schema}".usage_logs WHERE request_id = $1`,
          [`job:${id}`],
        );
        assert.deepEqual(
          charges.rows.map((row) => [row.status, Number(row.audio_seconds)]),
          [['success', job.charged_seconds]],
        );
        const held = await db.query(`SELECT count(*)::int AS n FROM "${schema}".quota_reservations`);
        assert.equal(held.rows[0].n, 0);
        const again = await getJob(survivor.url, undefined, id);
        assert.equal(again.result?.file_id, job.result?.file_id);
      });
    },
  );
}
