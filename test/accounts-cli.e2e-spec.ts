import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { stat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import request from 'supertest';
import { NEW_ADMIN_KEY_COMMAND } from '../src/accounts/bootstrap-admin.js';
import { bearer, type SecuredGateway, startSecuredGateway } from './support/accounts.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist/src/cli.js');

const MIGRATION_DATA = {
  users: [
    { name: 'Ada', email: 'Ada@Example.com', plan: 'pro', quota_seconds: 3600, used_seconds: 120.5 },
    { name: 'Bob', email: 'bob@example.com', plan: 'free', quota: 600, used: 9999 },
    { name: 'No email' },
  ],
  voices: [
    { friendly_name: 'warm-narrator', minimax_voice_id: 'male-qn-qingse', language: 'en-US', gender: 'Male' },
    { friendly_name: 'bright', minimax_voice_id: 'female-shaonv', language: 'en', gender: 'female' },
    { friendly_name: 'broken' },
  ],
};

describe('the accounts CLI', () => {
  let s: SecuredGateway;
  const cli = async (...args: string[]) =>
    (await run('node', [CLI, ...args, '--config', s.t.configPath], { cwd: s.t.dir })).stdout;

  before(async () => {
    s = await startSecuredGateway();
  });
  after(() => s.t.close());

  it('creates users and keys that the server accepts', async () => {
    const created = JSON.parse(
      await cli('users', 'create', '--name', 'Cli', '--email', 'cli@example.com', '--plan', 'pro'),
    );
    assert.equal(created.plan, 'pro');
    assert.equal(created.quota_seconds, 36000);
    const out = await cli('keys', 'create', '--email', 'cli@example.com', '--scopes', 'tts');
    const key = /api_key: (\S+)/.exec(out)?.[1] ?? '';
    await request(s.t.url).get('/tts/voices').set(bearer(key)).expect(200);
    await request(s.t.url).get('/files/outputs').set(bearer(key)).expect(403);
    const keyId = key.slice(4, 16);
    await cli('keys', 'revoke', '--key-id', keyId);
    await request(s.t.url).get('/tts/voices').set(bearer(key)).expect(401);
  });

  it('imports migration_data.json: users with plan, quota and used seconds, voices; twice is harmless', async () => {
    const file = join(s.t.dir, 'migration_data.json');
    await writeFile(file, JSON.stringify(MIGRATION_DATA));
    const out = await cli('import', file);
    assert.match(out, /imported 2 users and 2 voices/);
    assert.match(out, /skipped users\[2\]/);
    assert.match(out, /skipped voices\[2\]/);
    const users = (await request(s.t.url).get('/admin/users').set(bearer(s.adminKey)).expect(200)).body.data
      .users;
    const ada = users.find((u: { email: string }) => u.email === 'ada@example.com');
    assert.deepEqual([ada.plan, ada.quota_seconds, ada.used_seconds], ['pro', 3600, 120.5]);
    const bob = users.find((u: { email: string }) => u.email === 'bob@example.com');
    assert.deepEqual([bob.quota_seconds, bob.used_seconds], [600, 600], 'used is capped at the quota');
    const voices = JSON.parse(`[${(await cli('voices', 'list')).trim().split('\n').join(',')}]`) as Array<
      Record<string, string>
    >;
    const warm = voices.find((v) => v['name'] === 'warm-narrator');
    assert.deepEqual(warm, {
      name: 'warm-narrator',
      engine: 'minimax',
      engine_voice_id: 'male-qn-qingse',
      language: 'en-us',
    });
    const again = await cli('import', file);
    assert.match(again, /imported 0 users and 0 voices/);
  });

  it('regenerates every user’s key into a 0600 file; old keys keep working for the grace period', async () => {
    const keyOut = await cli('keys', 'create', '--email', 'ada@example.com');
    const oldKey = /api_key: (\S+)/.exec(keyOut)?.[1] ?? '';
    const file = join(s.t.dir, 'new-keys.csv');
    const out = await cli('keys', 'regenerate-all', '--out', file);
    assert.match(out, /keys written/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'email,key_id,api_key');
    const ada = lines.find((line) => line.startsWith('ada@example.com,'))?.split(',')[2] ?? '';
    await request(s.t.url).get('/tts/voices').set(bearer(ada)).expect(200);
    await request(s.t.url).get('/tts/voices').set(bearer(oldKey)).expect(200);
    assert.ok(
      lines.some((line) => line.startsWith('admin@localhost,')),
      'admins get a new key too',
    );
    // An existing file is never overwritten.
    await assert.rejects(cli('keys', 'regenerate-all', '--out', file));
  });

  it('issues a new admin key with the command the first start prints, for a lost bootstrap key', async () => {
    const [, ...args] = NEW_ADMIN_KEY_COMMAND.replace('npm run cli -- ', '_ ').split(' ');
    const key = /api_key: (\S+)/.exec(await cli(...args))?.[1] ?? '';
    await request(s.t.url).get('/admin/users').set(bearer(key)).expect(200);
  });

  it('reports bad input as a message and exit code 1, without a stack trace', async () => {
    const failure = await cli(
      'users',
      'create',
      '--name',
      'X',
      '--email',
      'x@example.com',
      '--plan',
      'gold',
    ).then(
      () => assert.fail('should fail'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failure.code, 1);
    assert.match(failure.stderr, /No plan 'gold'/);
    assert.ok(!failure.stderr.includes('    at '), failure.stderr);
  });
});
