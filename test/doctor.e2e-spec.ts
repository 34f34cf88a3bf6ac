import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { DoctorReport } from '../src/doctor/doctor-result.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { baseTestConfig, deepMerge, dropSchema, freePort, newSchemaName } from './support/test-gateway.js';

const CLI = new URL('../src/cli.js', import.meta.url).pathname;
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run doctor` is `node dist/src/cli.js doctor`: the real command, as a process. */
function doctor(args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env: { PATH: process.env['PATH'] ?? '' }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run doctor', () => {
  let dir: string;
  const schema = newSchemaName();
  let taken: Server;
  let takenPort: number;

  const writeConfig = async (name: string, over: Record<string, unknown>): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, stringify(deepMerge(baseTestConfig(dir, 'postgres', schema), over)));
    return path;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-doctor-'));
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a healthy set-up with ✓ lines and exit code 0', async () => {
    const config = await writeConfig(
      'healthy.yaml',
      deepMerge(ESPEAK_TEST_CONFIG, { rate_limits: { store: 'redis', redis_url: REDIS_URL } }),
    );
    // Before the migrations: pending ones are a warning (the server applies them at start), not a failure.
    const before = await doctor(['doctor', '--config', config, '--port', String(await freePort())], dir);
    assert.equal(before.code, 0, before.stdout + before.stderr);
    assert.match(before.stdout, /^! migrations: \d+ pending \(.+\); applied at the next start$/m);

    execFileSync(process.execPath, [CLI, 'migrate', '--config', config], { cwd: dir });
    const healthy = await doctor(['doctor', '--config', config, '--port', String(await freePort())], dir);
    assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
    const out = healthy.stdout;
    assert.match(out, /^✓ config: .*healthy\.yaml is valid$/m);
    assert.match(out, /^✓ database: PostgreSQL \(database\.url\) answers$/m);
    assert.match(out, /^✓ migrations: all \d+ applied$/m);
    assert.match(out, /^✓ redis: redis:\/\/127\.0\.0\.1:6379 answers$/m);
    assert.match(out, /^✓ ffmpeg: ffmpeg \S+ \((system|npm): .+\)$/m);
    assert.match(out, /^✓ engine tts espeak: espeak available$/m);
    assert.match(out, /^✓ folder outputs: .+ is writable$/m);
    assert.match(out, /^✓ free disk: [\d.]+ GiB free of [\d.]+ GiB at /m);
    assert.match(out, /^✓ port: 127\.0\.0\.1:\d+ is free$/m);
    assert.doesNotMatch(out, /^✗/m);
    assert.match(out, /all checks passed\n$/);
  });

  it('fails a broken set-up with a ✗ line per problem and exit code 1', async () => {
    const notAFolder = join(dir, 'a-file');
    await writeFile(notAFolder, 'x');
    const config = await writeConfig('broken.yaml', {
      database: { url: 'postgres://root@127.0.0.1:1/test' },
      rate_limits: { store: 'redis', redis_url: 'redis://127.0.0.1:1' },
      paths: { outputs: join(notAFolder, 'outputs') },
      engines: {
        stt: [
          {
            id: 'sphinx',
            type: 'pocketsphinx',
            options: { decoder: 'process', binary: '/nonexistent/pocketsphinx_continuous' },
          },
        ],
      },
    });
    const broken = await doctor(['doctor', '--config', config, '--port', String(takenPort)], dir);
    assert.equal(broken.code, 1, broken.stdout + broken.stderr);
    const out = broken.stdout;
    assert.match(out, /^✓ config: /m);
    assert.match(
      out,
      /^✗ database: PostgreSQL \(database\.url\) is not reachable: .*ECONNREFUSED 127\.0\.0\.1:1/m,
    );
    assert.match(out, /^- migrations: needs the database$/m);
    assert.match(out, /^✗ redis: redis:\/\/127\.0\.0\.1:1 is not reachable: /m);
    assert.match(out, /^✗ folder outputs: .*a-file\/outputs is not writable: .*ENOTDIR/m);
    assert.match(
      out,
      /^✗ engine stt sphinx: \/nonexistent\/pocketsphinx_continuous is not installed \(apt-get install pocketsphinx pocketsphinx-en-us\)$/m,
    );
    assert.match(out, new RegExp(`^✗ port: 127\\.0\\.0\\.1:${takenPort} is already in use`, 'm'));
    assert.match(out, /\n\d+ checks failed\n$/);
    assert.ok(!out.includes('    at '), 'no stack traces');
  });

  it('lists every config error as a ✗ line', async () => {
    const bad = join(dir, 'invalid.yaml');
    await writeFile(bad, 'server:\n  port: -5\n  colour: blue\n');
    const result = await doctor(['doctor', '--config', bad], dir);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^✗ config: server\.port must not be less than 0$/m);
    assert.match(result.stdout, /^✗ config: server\.colour is not a known setting/m);
    assert.match(result.stdout, /^- other checks: they need a valid config$/m);
  });

  it('answers JSON for scripts with --json', async () => {
    const config = await writeConfig('json.yaml', { database: { url: 'postgres://root@127.0.0.1:1/test' } });
    const result = await doctor(['doctor', '--json', '--config', config, '--port', String(takenPort)], dir);
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as DoctorReport;
    assert.equal(report.ok, false);
    const status = (check: string) => report.checks.find((c) => c.check === check)?.status;
    assert.equal(status('config'), 'ok');
    assert.equal(status('database'), 'fail');
    assert.equal(status('port'), 'fail');
    assert.equal(status('ffmpeg'), 'ok');
    for (const check of report.checks) {
      assert.ok(['ok', 'fail', 'warn', 'skip'].includes(check.status));
      assert.equal(typeof check.detail, 'string');
    }
  });
});
