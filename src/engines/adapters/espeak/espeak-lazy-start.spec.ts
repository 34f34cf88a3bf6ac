import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineContext } from '../../ports/engine-factory.js';
import { TEST_ENGINE_CONTEXT } from '../../testing/test-engine-context.js';
import { parseEspeakOptions } from './espeak-options.js';
import { EspeakTtsEngine } from './espeak-tts.engine.js';
import { EspeakVoiceCache } from './espeak-voice-cache.js';

const never = new AbortController().signal;

describe('EspeakTtsEngine start_workers', () => {
  let outputs: string;
  let context: EngineContext;

  before(async () => {
    outputs = await mkdtemp(join(tmpdir(), 'sg-espeak-lazy-'));
    context = { ...TEST_ENGINE_CONTEXT, folders: { ...TEST_ENGINE_CONTEXT.folders, outputs } };
  });
  after(() => rm(outputs, { recursive: true, force: true }));

  const engine = (options: Record<string, unknown>) =>
    new EspeakTtsEngine('espeak-lazy', parseEspeakOptions({ backend: 'wasm', ...options }), context);

  it('eager starts a worker with the engine and caches the voice list it reads', async () => {
    const eager = engine({ start_workers: 'eager', warmup_texts: 0 });
    try {
      assert.equal(eager.runningWorkers, 1);
      await eager.health();
      const cache = new EspeakVoiceCache(outputs);
      while (!cache.file || !existsSync(cache.file)) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(((await cache.read()) ?? []).length > 50);
    } finally {
      await eager.dispose();
    }
  });

  it('lazy lists the same voices and is healthy without a worker, then starts one to synthesise', async () => {
    const eager = engine({ start_workers: 'eager', warmup_texts: 0 });
    const lazy = engine({ start_workers: 'lazy', warmup_texts: 0 });
    try {
      const expected = await eager.listVoices();
      assert.equal(lazy.runningWorkers, 0);
      assert.deepEqual(await lazy.health(), { available: true });
      assert.deepEqual(await lazy.listVoices(), expected);
      assert.equal(lazy.runningWorkers, 0, 'no worker before the first synthesis');
      const clip = await lazy.synthesize({ text: 'Hello there.', voiceId: 'en-gb' }, never);
      assert.ok(clip.samples.length > 0);
      assert.equal(lazy.runningWorkers, 1);
    } finally {
      await Promise.all([eager.dispose(), lazy.dispose()]);
    }
  });

  it('lazy without a usable cache file lists voices with a worker, caches them and stops it', async () => {
    const cache = new EspeakVoiceCache(outputs);
    await writeFile(cache.file as string, 'not json');
    const lazy = engine({ start_workers: 'lazy', warmup_texts: 0 });
    try {
      assert.ok((await lazy.listVoices()).some((voice) => voice.id === 'en-us'));
      assert.equal(lazy.runningWorkers, 0, 'the listing worker stops');
      while (((await cache.read()) ?? []).length === 0)
        await new Promise((resolve) => setTimeout(resolve, 5));
      await lazy.synthesize({ text: 'Hello.', voiceId: 'en-us' }, never);
      assert.equal(lazy.runningWorkers, 1);
    } finally {
      await lazy.dispose();
    }
  });

  it('keys the cache file by the espeak-ng-emscripten version', () => {
    assert.match(new EspeakVoiceCache(outputs).file ?? '', /\.espeak\/voices-\d+\.\d+\.\d+\.json$/);
    assert.equal(new EspeakVoiceCache(outputs, '9.9.9').file, join(outputs, '.espeak', 'voices-9.9.9.json'));
  });
});
