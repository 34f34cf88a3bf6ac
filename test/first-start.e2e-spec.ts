import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { NEW_ADMIN_KEY_COMMAND } from '../src/accounts/bootstrap-admin.js';
import { createGateway } from '../src/gateway.js';
import {
  baseTestConfig,
  deepMerge,
  dropSchema,
  freePort,
  newSchemaName,
  waitFor,
} from './support/test-gateway.js';

const MAIN = new URL('../src/main.js', import.meta.url).pathname;
const KEY = /sgk_[0-9A-Za-z_]+/;

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>, cwd: string): Running {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

describe('the first start', () => {
  let dir: string;
  const schemas: string[] = [];
  const configFor = async (name: string, over: Record<string, unknown>): Promise<string> => {
    const schema = newSchemaName();
    schemas.push(schema);
    const path = join(dir, name);
    await writeFile(path, stringify(deepMerge(baseTestConfig(dir, 'postgres', schema), over)));
    return path;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-first-'));
  });
  after(async () => {
    for (const schema of schemas) await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the bootstrap admin key last, after "listening", framed, and writes it to a 0600 file', async () => {
    const root = await mkdtemp(join(dir, 'root-'));
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    let linesBeforeNotice: string[] = [];
    const notices: string[] = [];
    const gateway = await createGateway({
      configPath: await configFor('secured.yaml', { auth: { enforce: true } }),
      env: {},
      rootDir: root,
      logDestination: destination,
      bootstrapKeySink: (message) => {
        linesBeforeNotice = [...lines];
        notices.push(message);
      },
    });
    try {
      assert.equal(notices.length, 0, 'nothing is printed before the server listens');
      const url = await gateway.listen();
      assert.equal(notices.length, 1);
      assert.match(
        linesBeforeNotice.at(-1) ?? '',
        /speech-gateway listening/,
        'the key comes after "listening"',
      );
      const notice = notices[0];
      const key = KEY.exec(notice)?.[0] ?? '';
      assert.ok(key, 'the notice holds the key');
      assert.match(notice, /╔═+╗/);
      assert.match(notice, /╚═+╝/);
      const file = join(root, 'data', 'bootstrap-admin-key.txt');
      assert.ok(notice.includes(file), 'the notice names the file');
      assert.ok(notice.includes(NEW_ADMIN_KEY_COMMAND), 'the notice says how to get a new key');
      assert.equal(await readFile(file, 'utf8'), `${key}\n`);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.ok(!lines.some((line) => line.includes(key)), 'the key is never logged');
      const response = await fetch(`${url}/admin/users`, { headers: { Authorization: `Bearer ${key}` } });
      assert.equal(response.status, 200, 'the key is an admin key');
    } finally {
      await gateway.close();
    }
  });

  it('the server process prints the key on stderr only and logs every address it listens on', async () => {
    const root = await mkdtemp(join(dir, 'proc-'));
    const config = await configFor('proc.yaml', { auth: { enforce: true }, server: { host: '0.0.0.0' } });
    const port = await freePort();
    const server = run(['--config', config, '--port', String(port)], {}, root);
    try {
      await waitFor(() => KEY.test(server.stderr()), 'the key on stderr', 30_000);
      // stdout and stderr are separate pipes: the log line may reach us after the key does.
      await waitFor(() => server.stdout().includes('speech-gateway listening'), 'the listening line', 10_000);
      const key = KEY.exec(server.stderr())?.[0] ?? '';
      assert.equal(server.stderr().split(key).length - 1, 1, 'printed once');
      assert.ok(!server.stdout().includes(key), 'never in the log stream');
      assert.equal(await readFile(join(root, 'data', 'bootstrap-admin-key.txt'), 'utf8'), `${key}\n`);
      const listening = server
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line['msg'] === 'speech-gateway listening');
      assert.ok(listening, 'a listening line');
      assert.equal(listening['address'], '0.0.0.0');
      assert.equal(listening['port'], port);
      const urls = listening['urls'] as string[];
      assert.ok(urls.includes(`http://127.0.0.1:${port}`), JSON.stringify(urls));
      assert.ok(!('url' in listening), 'no single 127.0.0.1 url standing for every interface');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('a start-up failure prints the message and the exit code, without a stack trace', async () => {
    const config = await configFor('no-db.yaml', { database: { url: 'postgres://root@127.0.0.1:1/test' } });
    const server = run(['--config', config], {}, dir);
    assert.equal(await server.exited, 1);
    const output = server.stdout() + server.stderr();
    assert.match(
      server.stderr(),
      /speech-gateway failed to start: connect ECONNREFUSED 127\.0\.0\.1:1\n\(exit code 1\)\n$/,
    );
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
  });

  it('shows the stack trace of a start-up failure at LOG_LEVEL=debug', async () => {
    const config = await configFor('no-db-debug.yaml', {
      database: { url: 'postgres://root@127.0.0.1:1/test' },
    });
    const server = run(['--config', config], { LOG_LEVEL: 'debug' }, dir);
    assert.equal(await server.exited, 1);
    assert.match(server.stderr(), /\(exit code 1\)\n/);
    assert.match(server.stderr(), /\n\s+at /);
  });

  it('an invalid config lists its errors and the exit code 78, without a stack trace', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'server:\n  port: -5\n');
    const server = run(['--config', bad], {}, dir);
    assert.equal(await server.exited, 78);
    assert.match(server.stderr(), /server\.port must not be less than 0\n\(exit code 78\)\n$/);
    assert.doesNotMatch(server.stderr(), /\n\s+at /);
  });
});
