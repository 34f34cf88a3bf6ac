import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { baseTestConfig, dropSchema, freePort, waitFor } from './support/test-gateway.js';

const MAIN = new URL('../src/main.js', import.meta.url).pathname;

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>, cwd: string): Running {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('the server process (main.ts)', () => {
  let dir: string;
  let configPath: string;
  const schema = `p_${randomBytes(5).toString('hex')}`;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-main-'));
    configPath = join(dir, 'config.yaml');
    await writeFile(configPath, stringify(baseTestConfig(dir, 'postgres', schema)));
  });
  after(async () => {
    await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on --port (over PORT), and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const server = run(['--config', configPath, '--port', String(port)], { PORT: '1' }, dir);
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok,
        'the server',
        30_000,
      );
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
      assert.match(server.output(), /speech-gateway stopped/);
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('listens on PORT when there is no flag', async () => {
    const port = await freePort();
    const server = run(['--config', configPath], { PORT: String(port) }, dir);
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok,
        'the server',
        30_000,
      );
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('refuses to start on an invalid config, listing each error (exit 78)', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'server:\n  port: -5\nrouters:\n  core:\n    stt:\n      max_file_size_mb: 0\n');
    const server = run(['--config', bad], {}, dir);
    assert.equal(await server.exited, 78);
    assert.match(server.output(), /server\.port must not be less than 0/);
    assert.match(server.output(), /routers\.core\.stt\.max_file_size_mb must be a positive number/);
  });

  it('refuses a bad --port value (exit 2)', async () => {
    const server = run(['--config', configPath, '--port', 'eighty'], {}, dir);
    assert.equal(await server.exited, 2);
    assert.match(server.output(), /--port must be an integer/);
  });
});
