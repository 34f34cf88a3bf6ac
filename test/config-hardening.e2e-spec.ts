import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import request from 'supertest';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { writeFileAtomically } from '../src/config/config-file.writer.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { TEST_DATABASE_URL, waitForVoices } from './support/test-gateway.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist/src/cli.js');

/** Changes made through the config routes: a refusal is 400 CONFIG_INVALID naming the key, and nothing is written. */
describe('config changes are validated at the edge', () => {
  let s: SecuredGateway;
  const admin = () => bearer(s.adminKey);

  before(async () => {
    s = await startSecuredGateway({
      config: {
        ...ESPEAK_TEST_CONFIG,
        rate_limits: { plans: { free: UNTHROTTLED_PLAN } },
      },
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, admin());
  });
  after(() => s.t.close());

  async function refused(
    method: 'patch' | 'post',
    path: string,
    body: unknown,
    key: string,
  ): Promise<string[]> {
    const before = await readFile(s.t.configPath, 'utf8');
    const res = await request(s.t.url)
      [method](path)
      .set(admin())
      .send(body as object);
    assert.equal(
      res.status,
      400,
      `${path} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`,
    );
    assert.equal(res.body.metadata.error_code, 'CONFIG_INVALID');
    const errors = res.body.data.errors as string[];
    assert.ok(
      errors.some((line) => line.startsWith(`${key} `)),
      `${JSON.stringify(body)}: an error names ${key}; got ${JSON.stringify(errors)}`,
    );
    assert.equal(await readFile(s.t.configPath, 'utf8'), before, 'nothing was written');
    return errors;
  }

  it('refuses values of the wrong type with 400 naming the key (PATCH /config and POST /save_settings)', async () => {
    const cases: Array<[unknown, string]> = [
      [{ engines: { tts: 'x' } }, 'engines.tts'],
      [{ engines: { tts: 1 } }, 'engines.tts'],
      [{ engines: { chat: [null] } }, 'engines.chat.0'],
      [{ routers: { core: { tts: { fallback: {} } } } }, 'routers.core.tts.fallback'],
      [{ routers: { core: { tts: [] } } }, 'routers.core.tts'],
      [{ engines: { tts: [[]] } }, 'engines.tts.0'],
    ];
    for (const [body, key] of cases) {
      await refused('patch', '/config', body, key);
      await refused('post', '/save_settings', body, key);
    }
  });

  it('refuses an engine type no adapter provides, naming the key, and TTS keeps serving', async () => {
    const errors = await refused(
      'patch',
      '/config',
      { engines: { tts: [{ id: 'espeak', type: 'nope' }] } },
      'engines.tts.0.type',
    );
    assert.match(errors.join('\n'), /one of: espeak/);
    await refused(
      'patch',
      '/config',
      { engines: { stt: [{ id: 'sphinx', type: 'espeak' }] } },
      'engines.stt.0.type',
    );
    const res = await request(s.t.url).post('/tts').set(admin()).send({ text: 'Still here.' });
    assert.equal(res.status, 200);
  });

  it('refuses a default plan that is not one of rate_limits.plans, even one every object inherits', async () => {
    for (const plan of ['toString', 'constructor', 'hasOwnProperty', 'missing']) {
      await refused('patch', '/config', { rate_limits: { default_plan: plan } }, 'rate_limits.default_plan');
    }
    await refused(
      'patch',
      '/config',
      { auth: { enforce: false, dev_user_plan: 'valueOf' } },
      'auth.dev_user_plan',
    );
  });

  it('refuses prototype keys anywhere in a patch, and Object.prototype stays clean', async () => {
    const cases: Array<[string, string]> = [
      ['{"constructor":{"prototype":{"polluted":1}}}', 'constructor'],
      ['{"__proto__":{"polluted":1}}', '__proto__'],
      ['{"rate_limits":{"plans":{"__proto__":{"quota_seconds":1}}}}', 'rate_limits.plans.__proto__'],
      [
        '{"engines":{"tts":[{"id":"espeak","type":"espeak","options":{"prototype":{"polluted":1}}}]}}',
        'engines.tts.0.options.prototype',
      ],
      ['{"server":{"constructor":null}}', 'server.constructor'],
    ];
    for (const [body, key] of cases) {
      const before = await readFile(s.t.configPath, 'utf8');
      const res = await request(s.t.url)
        .patch('/config')
        .set({ ...admin(), 'Content-Type': 'application/json' })
        .send(body);
      assert.equal(res.status, 400, `${body} → ${res.status}`);
      assert.equal(res.body.metadata.error_code, 'CONFIG_INVALID');
      assert.ok(
        (res.body.data.errors as string[]).some((line) => line.startsWith(`${key} is not allowed`)),
        body,
      );
      assert.equal(await readFile(s.t.configPath, 'utf8'), before);
    }
    const resilience = await request(s.t.url)
      .post('/resilience/config')
      .set({ ...admin(), 'Content-Type': 'application/json' })
      .send('{"retry":{"constructor":{"prototype":{"polluted":1}}}}');
    assert.equal(resilience.status, 400);
    assert.ok(
      (resilience.body.data.errors as string[]).some((l) => l.startsWith('resilience.retry.constructor ')),
    );
    assert.doesNotMatch(await readFile(s.t.configPath, 'utf8'), /constructor|__proto__|prototype|polluted/);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(({} as Record<string, unknown>)['quota_seconds'], undefined);
  });

  it('refuses a config.yaml edited by hand with a prototype key, keeping the last good config', async () => {
    const good = await readFile(s.t.configPath, 'utf8');
    try {
      await writeFileAtomically(s.t.configPath, `${good}constructor:\n  prototype:\n    polluted: 1\n`);
      // The watcher may not have run yet; a patch reads the file as it is now and must refuse it too.
      const patch = await request(s.t.url)
        .patch('/config')
        .set(admin())
        .send({ gen: { chunk_size: 250 } });
      assert.equal(patch.status, 400);
      assert.ok((patch.body.data.errors as string[]).some((l) => l.startsWith('constructor is not allowed')));
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    } finally {
      await writeFileAtomically(s.t.configPath, good);
    }
  });

  it('refuses voice_map values that are not strings (and POST /resilience/config wrong types)', async () => {
    const errors = await refused(
      'patch',
      '/config',
      { openai: { voice_map: { alloy: { a: [1] } } } },
      'openai.voice_map',
    );
    assert.match(errors.join('\n'), /alloy/);
    await refused(
      'patch',
      '/config',
      { openai: { voice_map: { alloy: 5, echo: null } } },
      'openai.voice_map',
    );
    await refused('patch', '/config', { openai: { voice_map: [] } }, 'openai.voice_map');
    await refused('post', '/resilience/config', { retry: [] }, 'resilience.retry');
    await refused('post', '/resilience/config', { bulkhead: { queue: [null] } }, 'resilience.bulkhead.queue');
    const speech = await request(s.t.url)
      .post('/v1/audio/speech')
      .set(admin())
      .send({ model: 'tts-1', voice: 'alloy', input: 'Mapped.' });
    assert.equal(speech.status, 200);
  });
});

/** Plan names are own properties of rate_limits.plans wherever a plan is set or looked up. */
describe('plan names', () => {
  let s: SecuredGateway;
  const admin = () => bearer(s.adminKey);

  before(async () => {
    s = await startSecuredGateway({
      config: {
        ...ESPEAK_TEST_CONFIG,
        rate_limits: {
          plans: {
            free: UNTHROTTLED_PLAN,
            pro: UNTHROTTLED_PLAN,
          },
        },
      },
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, admin());
  });
  after(() => s.t.close());

  it('refuses a plan every object inherits in PATCH and POST /admin/users', async () => {
    const user = await createUserWithKey(s.t.url, s.adminKey, { email: 'plans@example.com', plan: 'pro' });
    for (const plan of ['toString', '__proto__', 'constructor', 'valueOf']) {
      const res = await request(s.t.url).patch(`/admin/users/${user.id}`).set(admin()).send({ plan });
      assert.equal(res.status, 400, `plan ${plan} → ${res.status}`);
      assert.equal(res.body.metadata.error_code, 'VALIDATION_FAILED');
      assert.match(JSON.stringify(res.body.data), /plan/);
      const created = await request(s.t.url)
        .post('/admin/users')
        .set(admin())
        .send({ name: 'x', email: `${plan.replace(/_/g, 'u')}@example.com`, plan });
      assert.equal(created.status, 400, `create with plan ${plan} → ${created.status}`);
    }
    const got = await request(s.t.url).get(`/admin/users/${user.id}`).set(admin()).expect(200);
    assert.equal(got.body.data.plan, 'pro');
    await request(s.t.url).get('/tts/voices').set(bearer(user.key)).expect(200);
  });

  it('serves a user whose stored plan is an inherited name on the default plan, never a 500', async () => {
    for (const plan of ['toString', '__proto__', 'constructor']) {
      const user = await createUserWithKey(s.t.url, s.adminKey, {
        email: `stored-${plan.replace(/_/g, 'u')}@example.com`,
      });
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`UPDATE "${s.t.schema}".users SET plan = $1 WHERE id = $2`, [plan, user.id]);
      } finally {
        await client.end();
      }
      const voices = await request(s.t.url).get('/tts/voices').set(bearer(user.key));
      assert.equal(voices.status, 200, `plan ${plan}: /tts/voices → ${voices.status}`);
      const speech = await request(s.t.url).post('/tts').set(bearer(user.key)).send({ text: 'Plan check.' });
      assert.equal(
        speech.status,
        200,
        `plan ${plan}: /tts → ${speech.status} ${JSON.stringify(speech.body)}`,
      );
    }
  });

  it('refuses inherited plan names in the CLI and the migration import', async () => {
    const cli = (...args: string[]) =>
      run('node', [CLI, ...args, '--config', s.t.configPath], { cwd: s.t.dir }).then(
        (out) => ({ code: 0, text: out.stdout + out.stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          text: error.stdout + error.stderr,
        }),
      );
    const create = await cli(
      'users',
      'create',
      '--name',
      'C',
      '--email',
      'cli-plan@example.com',
      '--plan',
      'toString',
    );
    assert.notEqual(create.code, 0);
    assert.match(create.text, /No plan 'toString'/);
    await cli('users', 'create', '--name', 'C', '--email', 'cli-plan@example.com', '--plan', 'pro');
    const update = await cli('users', 'update', '--email', 'cli-plan@example.com', '--plan', 'constructor');
    assert.notEqual(update.code, 0);
    assert.match(update.text, /No plan 'constructor'/);

    const file = join(s.t.dir, 'migration_data.json');
    await writeFile(
      file,
      JSON.stringify({ users: [{ name: 'P', email: 'proto@example.com', plan: '__proto__' }], voices: [] }),
    );
    const imported = await cli('import', file);
    assert.match(imported.text, /skipped user proto@example.com: No plan '__proto__'/);
    assert.match(imported.text, /imported 0 users/);
  });
});

/** PATCH /config keeps every line it does not change, byte for byte. */
describe('config.yaml formatting under PATCH', () => {
  let s: SecuredGateway;
  const admin = () => bearer(s.adminKey);
  const HAND_WRITTEN = [
    '',
    '# ---- written by hand below ----',
    '',
    'gen:',
    '    default_voice: "en-us"     # quoted on purpose',
    "    default_response_format: 'wav'",
    '    chunk_size: 200',
    '',
    'openai:',
    '  models: [\'tts-1\',  "whisper-1",   gpt-4o-mini-tts]   # flow, odd spacing',
    '  voice_map: {alloy: en-us, echo: en-gb}',
    '',
    'resilience:',
    '  timeout_seconds: 30.0',
    '  retry:',
    '    max_attempts: 3   # default',
    '    # a comment line inside a section',
    '    backoff_factor: 2',
    '',
    '# trailing comment',
    '',
  ].join('\n');

  before(async () => {
    s = await startSecuredGateway();
    const generated = await readFile(s.t.configPath, 'utf8');
    await writeFileAtomically(s.t.configPath, generated + HAND_WRITTEN);
  });
  after(() => s.t.close());

  /** Line by line (the patches here change values in place, so the line count is kept). */
  function changed(before: string, after: string): { removed: string[]; added: string[] } {
    const a = before.split('\n');
    const b = after.split('\n');
    assert.equal(b.length, a.length, 'as many lines as before');
    const differing = a.flatMap((line, index) => (line === b[index] ? [] : [index]));
    return { removed: differing.map((i) => a[i]), added: differing.map((i) => b[i]) };
  }

  it('changes only the patched line, keeping comments, quotes, flow sequences and blank lines', async () => {
    const before = await readFile(s.t.configPath, 'utf8');
    await request(s.t.url)
      .patch('/config')
      .set(admin())
      .send({ gen: { chunk_size: 300 } })
      .expect(200);
    const after = await readFile(s.t.configPath, 'utf8');
    assert.deepEqual(changed(before, after), {
      removed: ['    chunk_size: 200'],
      added: ['    chunk_size: 300'],
    });
    const config = await request(s.t.url).get('/config').set(admin()).expect(200);
    assert.equal(config.body.data.gen.chunk_size, 300);
    assert.deepEqual(config.body.data.openai.models, ['tts-1', 'whisper-1', 'gpt-4o-mini-tts']);
  });

  it('POST /resilience/config and POST /save_settings keep untouched lines too', async () => {
    const before = await readFile(s.t.configPath, 'utf8');
    await request(s.t.url)
      .post('/resilience/config')
      .set(admin())
      .send({ retry: { max_attempts: 4 } })
      .expect(200);
    await request(s.t.url)
      .post('/save_settings')
      .set(admin())
      .send({ gen: { default_voice: 'en-gb' } })
      .expect(200);
    const after = await readFile(s.t.configPath, 'utf8');
    assert.deepEqual(changed(before, after), {
      removed: ['    default_voice: "en-us"     # quoted on purpose', '    max_attempts: 3   # default'],
      added: ['    default_voice: "en-gb"     # quoted on purpose', '    max_attempts: 4   # default'],
    });
  });
});
