import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigService } from './config.service.js';

describe('ConfigService.secretValues (what the log redactor scrubs)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-secrets-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('holds inline keys, URL passwords and the values of variables named by *_env options', async () => {
    const path = join(dir, 'config.yaml');
    await writeFile(
      path,
      [
        'database: { url: "postgres://app:db-pass-123@127.0.0.1:5432/app" }',
        'engines:',
        '  tts:',
        '    - { id: inline, type: openai, options: { api_key: sk-inline-456 } }',
        '    - { id: by-env, type: minimax, options: { api_key_env: MINIMAX_TEST_KEY } }',
        '  stt:',
        '    - { id: unset, type: openai, options: { api_key_env: NOT_SET_ANYWHERE } }',
        '',
      ].join('\n'),
    );
    const config = await ConfigService.load(path, { MINIMAX_TEST_KEY: 'mm-secret-from-env-789' });
    const secrets = config.secretValues();
    for (const secret of ['db-pass-123', 'sk-inline-456', 'mm-secret-from-env-789']) {
      assert.ok(secrets.includes(secret), `${secret} in ${JSON.stringify(secrets)}`);
    }
    assert.ok(!secrets.includes('MINIMAX_TEST_KEY'), 'the variable name is not a secret');
    assert.equal(secrets.length, 3);
  });

  it('holds and redacts the Pusher secret (realtime.pusher.secret), not its public key', async () => {
    const path = join(dir, 'pusher.yaml');
    await writeFile(
      path,
      'realtime: { pusher: { app_id: "1", key: public-key-1, secret: pusher-secret-321, cluster: eu } }\n',
    );
    const config = await ConfigService.load(path, {});
    assert.deepEqual(config.secretValues(), ['pusher-secret-321']);
    const pusher = (config.redactedDocument()['realtime'] as { pusher: Record<string, unknown> }).pusher;
    assert.equal(pusher['secret'], '[REDACTED]');
    assert.equal(pusher['key'], 'public-key-1');
  });
});
