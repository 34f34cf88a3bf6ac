import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { parseDocument } from 'yaml';
import { ProbeModule } from './support/probe.module.js';
import { startTestGateway, type TestGateway, waitFor } from './support/test-gateway.js';

describe('routers switched in config.yaml', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ extraModules: [ProbeModule] });
  });
  after(() => t.close());

  async function set(path: string[], value: unknown): Promise<void> {
    const doc = parseDocument(await readFile(t.configPath, 'utf8'));
    doc.setIn(path, value);
    await writeFile(t.configPath, doc.toString());
  }

  it('turns the files router off and on without a restart', async () => {
    await writeFile(join(t.dir, 'voices', 'narrator.wav'), 'RIFF');
    const listed = await request(t.url).get('/files/voices').expect(200);
    assert.deepEqual(
      listed.body.data.map((f: { name: string }) => f.name),
      ['narrator.wav'],
    );

    await set(['routers', 'management', 'files', 'enabled'], false);
    const off = await waitFor(async () => {
      const res = await request(t.url).get('/files/voices');
      return res.status === 404 ? res : null;
    }, 'the files router to switch off');
    assert.equal(off.body.metadata.error_code, 'FEATURE_DISABLED');
    assert.match(off.body.message, /routers\.management\.files\.enabled/);

    await set(['routers', 'management', 'files', 'enabled'], true);
    await waitFor(
      async () => (await request(t.url).get('/files/voices')).status === 200,
      'the router to return',
    );
  });

  it('gates the core routers by their switch and by features.use_new_routers', async () => {
    await request(t.url).get('/probe/core-tts').expect(200);

    await set(['routers', 'core', 'tts', 'enabled'], false);
    await waitFor(async () => (await request(t.url).get('/probe/core-tts')).status === 404, 'tts off');
    const health = await request(t.url).get('/health').expect(200);
    assert.equal(health.body.data.architecture.routers['core.tts'], false);

    await set(['routers', 'core', 'tts', 'enabled'], true);
    await waitFor(async () => (await request(t.url).get('/probe/core-tts')).status === 200, 'tts back on');

    await set(['features', 'use_new_routers'], false);
    const off = await waitFor(async () => {
      const res = await request(t.url).get('/probe/core-tts');
      return res.status === 404 ? res : null;
    }, 'use_new_routers off');
    assert.equal(off.body.metadata.error_code, 'FEATURE_DISABLED');
    assert.match(off.body.message, /features\.use_new_routers/);
    const legacy = await request(t.url).get('/health').expect(200);
    assert.equal(legacy.body.data.architecture.mode, 'legacy');
    assert.equal(legacy.body.data.features.use_new_routers, false);

    await set(['features', 'use_new_routers'], true);
    await waitFor(async () => (await request(t.url).get('/probe/core-tts')).status === 200, 'routers back');
  });

  it('keeps ungated routes (health) answering while routers are off', async () => {
    await set(['routers', 'management', 'config', 'enabled'], false);
    await waitFor(async () => (await request(t.url).get('/config')).status === 404, 'config router off');
    await request(t.url).get('/health').expect(200);
    await set(['routers', 'management', 'config', 'enabled'], true);
    await waitFor(async () => (await request(t.url).get('/config')).status === 200, 'config router on');
  });

  it('answers an unknown folder with 404 NOT_FOUND', async () => {
    const res = await request(t.url).get('/files/secrets').expect(404);
    assert.equal(res.body.metadata.error_code, 'NOT_FOUND');
  });
});
