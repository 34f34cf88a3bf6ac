import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { ConfigService } from '../config/config.service.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { TtsCacheService } from './tts-cache.service.js';
import type { TtsResultMeta } from './tts.service.js';

const META: TtsResultMeta = {
  voice: 'en-us',
  engine: 'espeak',
  contentType: 'audio/wav',
  format: 'wav',
  sampleRate: 22050,
  textLength: 5,
  ignoredParams: [],
};

describe('TtsCacheService', () => {
  let dir: string;
  let config: ConfigService;
  let runtime: GatewayRuntimeInfo;
  const logger = pino({ level: 'silent' });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-cache-'));
    // 0.01 MB = 10,485 bytes: room for two 4 KB results, not three.
    await writeFile(
      join(dir, 'config.yaml'),
      'routers:\n  core:\n    tts:\n      cache: { enabled: true, max_size_mb: 0.01 }\n',
    );
    config = await ConfigService.load(join(dir, 'config.yaml'), {});
    runtime = {
      version: 'test',
      databaseKind: 'postgres',
      folders: { referenceAudio: dir, voices: dir, outputs: join(dir, 'outputs') },
      tempDir: dir,
    };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keys by every part of the request, independent of key order', () => {
    const a = TtsCacheService.keyOf({ text: 'hi', voice: 'en-us', speed: 1 });
    assert.equal(a, TtsCacheService.keyOf({ speed: 1, voice: 'en-us', text: 'hi' }));
    assert.notEqual(a, TtsCacheService.keyOf({ text: 'hi', voice: 'en-us', speed: 1.1 }));
  });

  it('stores a finished file without taking it from the caller', async () => {
    const cache = new TtsCacheService(config, runtime, logger);
    const source = join(dir, 'finished.wav');
    await writeFile(source, Buffer.from('RIFF-long-audio'));
    await cache.putFile('k-file', source, { result: META, durationSeconds: 9 });
    const hit = await cache.get('k-file');
    assert.equal(hit?.audio.toString(), 'RIFF-long-audio');
    assert.equal(hit?.meta.durationSeconds, 9);
    assert.ok((await readdir(dir)).includes('finished.wav'), 'the source file is still there');
  });

  it('returns what was stored, byte for byte', async () => {
    const cache = new TtsCacheService(config, runtime, logger);
    const audio = Buffer.from('RIFF-some-audio');
    await cache.put('k-roundtrip', audio, { result: META, durationSeconds: 1.5 });
    const hit = await cache.get('k-roundtrip');
    assert.ok(hit?.audio.equals(audio));
    assert.equal(hit?.meta.durationSeconds, 1.5);
    assert.equal(await cache.get('k-missing'), null);
  });

  it('evicts the least recently used results beyond max_size_mb, across restarts', async () => {
    const cache = new TtsCacheService(config, runtime, logger);
    const blob = (n: number) => Buffer.alloc(4096, n);
    await cache.put('k-old', blob(1), { result: META, durationSeconds: 1 });
    await cache.put('k-used', blob(2), { result: META, durationSeconds: 1 });
    assert.ok(await cache.get('k-used'), 'k-used is now more recently used than k-old');
    await cache.put('k-new', blob(3), { result: META, durationSeconds: 1 });
    assert.equal(await cache.get('k-old'), null, 'the least recently used one was evicted');
    assert.ok(await cache.get('k-used'));
    assert.ok(await cache.get('k-new'));
    assert.ok((await cache.sizeBytes()) <= 0.01 * 1024 * 1024);
    const files = await readdir(join(dir, 'outputs', 'cache'));
    assert.ok(!files.some((name) => name.startsWith('k-old')), 'its files are gone');

    // A new instance (a restart) finds the same entries on disk.
    const restarted = new TtsCacheService(config, runtime, logger);
    assert.ok(await restarted.get('k-new'));
  });
});
