import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
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

  describe('in memory', () => {
    let memoryDir: string;
    let folder = '';
    /** A cache of `maxSizeMb` on disk and `memoryMb` in memory, in the current test's folder. */
    async function cacheWith(memoryMb: number, maxSizeMb = 0.01): Promise<TtsCacheService> {
      await writeFile(
        join(memoryDir, 'config.yaml'),
        `routers:\n  core:\n    tts:\n      cache: { enabled: true, max_size_mb: ${maxSizeMb}, memory_mb: ${memoryMb} }\n`,
      );
      const memoryConfig = await ConfigService.load(join(memoryDir, 'config.yaml'), {});
      const outputs = join(memoryDir, folder);
      return new TtsCacheService(
        memoryConfig,
        { ...runtime, folders: { ...runtime.folders, outputs } },
        logger,
      );
    }
    const binOf = (key: string) => join(memoryDir, folder, 'cache', `${key}.bin`);
    const jsonOf = (key: string) => join(memoryDir, folder, 'cache', `${key}.json`);

    before(async () => {
      memoryDir = await mkdtemp(join(tmpdir(), 'sg-cache-memory-'));
    });
    beforeEach(() => {
      folder = `outputs-${Math.random().toString(36).slice(2)}`;
    });
    after(() => rm(memoryDir, { recursive: true, force: true }));

    it('serves a hit held in memory without reading its files', async () => {
      const cache = await cacheWith(1);
      await cache.put('k-memory', Buffer.from('RIFF-held'), { result: META, durationSeconds: 2 });
      await unlink(binOf('k-memory'));
      await unlink(jsonOf('k-memory'));
      const hit = await cache.get('k-memory');
      assert.equal(hit?.audio.toString(), 'RIFF-held', 'served from memory though its files are gone');
      assert.equal(hit?.meta.durationSeconds, 2);
      await cache.onModuleDestroy();
    });

    it('reads a hit from disk when memory_mb is 0', async () => {
      const cache = await cacheWith(0);
      await cache.put('k-disk', Buffer.from('RIFF-disk'), { result: META, durationSeconds: 1 });
      assert.equal(cache.memorySizeBytes(), 0);
      await unlink(binOf('k-disk'));
      assert.equal(await cache.get('k-disk'), null, 'nothing in memory: the missing file is a miss');
      await cache.onModuleDestroy();
    });

    it('keeps memory within memory_mb, evicting the least recently used audio', async () => {
      // 0.01 MB = 10,485 bytes of memory; results up to a quarter of it (2,621 bytes) are held.
      const cache = await cacheWith(0.01, 1);
      const blob = (n: number) => Buffer.alloc(2000, n);
      for (const n of [1, 2, 3, 4, 5])
        await cache.put(`k-m${n}`, blob(n), { result: META, durationSeconds: 1 });
      assert.ok(cache.memorySizeBytes() <= 0.01 * 1024 * 1024);
      assert.equal(cache.memorySizeBytes(), 10_000, 'five 2,000-byte results fit');
      assert.ok(await cache.get('k-m1'), 'k-m1 becomes the most recently used');
      await cache.put('k-m6', blob(6), { result: META, durationSeconds: 1 });
      assert.equal(cache.memorySizeBytes(), 10_000, 'one result left memory for the new one');
      // k-m2 was the least recently used: gone from memory, so without its file it is a miss.
      await unlink(binOf('k-m2'));
      assert.equal(await cache.get('k-m2'), null);
      await unlink(binOf('k-m1'));
      assert.ok(await cache.get('k-m1'), 'k-m1 is still held');
      await cache.put('k-big', Buffer.alloc(3000, 7), { result: META, durationSeconds: 1 });
      assert.ok((await cache.get('k-big'))?.audio.length === 3000, 'too large for memory, served from disk');
      assert.ok(cache.memorySizeBytes() <= 0.01 * 1024 * 1024, 'the large result was not held');
      await cache.onModuleDestroy();
    });

    it('writes no file on a hit, and persists last use at shutdown so LRU order survives a restart', async () => {
      const cache = await cacheWith(1, 0.01);
      const blob = (n: number) => Buffer.alloc(4096, n);
      await cache.put('k-r-old', blob(1), { result: META, durationSeconds: 1 });
      await cache.put('k-r-used', blob(2), { result: META, durationSeconds: 1 });
      // Both files look old; k-r-used's is the older one on disk.
      await utimes(binOf('k-r-used'), new Date(1_000_000), new Date(1_000_000));
      await utimes(binOf('k-r-old'), new Date(2_000_000), new Date(2_000_000));
      assert.ok(await cache.get('k-r-used'));
      assert.equal((await stat(binOf('k-r-used'))).mtimeMs, 1_000_000, 'the hit wrote nothing to disk');
      await cache.onModuleDestroy();
      assert.ok((await stat(binOf('k-r-used'))).mtimeMs > 2_000_000, 'shutdown wrote its last use');

      const restarted = await cacheWith(1, 0.01);
      await restarted.put('k-r-new', blob(3), { result: META, durationSeconds: 1 });
      assert.equal(await restarted.get('k-r-old'), null, 'the least recently used one was evicted');
      assert.ok(await restarted.get('k-r-used'));
      await restarted.onModuleDestroy();
    });
  });
});
