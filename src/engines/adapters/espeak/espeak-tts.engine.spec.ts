import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { clipDurationSeconds } from '../../ports/audio-clip.js';
import { EngineError } from '../../ports/engine-error.js';
import { type EngineContext, EngineOptionsError } from '../../ports/engine-factory.js';
import { runTtsEngineContract } from '../../testing/tts-engine.contract.js';
import { EspeakTtsEngine, type EspeakEngineDependencies } from './espeak-tts.engine.js';
import { espeakTtsEngineFactory } from './espeak.factory.js';
import type { EspeakVoiceInfo } from './espeak-voice-catalog.js';
import { defaultParallelism, parseEspeakOptions } from './espeak-options.js';
import type { BackendTimings } from './espeak-backend-routing.js';
import { TEST_ENGINE_CONTEXT } from '../../testing/test-engine-context.js';

const context: EngineContext = TEST_ENGINE_CONTEXT;
const never = new AbortController().signal;
const NATIVE_INSTALLED = existsSync('/usr/bin/espeak-ng');

function makeEngine(
  options: Record<string, unknown>,
  dependencies?: EspeakEngineDependencies,
): EspeakTtsEngine {
  return new EspeakTtsEngine('espeak-test', parseEspeakOptions(options), context, dependencies);
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** A stand-in worker (CommonJS, eval'd) that speaks the pool's protocol, then misbehaves. */
function fakeWorker(script: string, data: unknown): Worker {
  return new Worker(
    `const { parentPort } = require('node:worker_threads');
     const voices = ${JSON.stringify(FAKE_VOICES)};
     ${script}`,
    { eval: true, workerData: data },
  );
}
const FAKE_VOICES: EspeakVoiceInfo[] = [
  {
    identifier: 'gmw/en-US',
    name: 'English (America)',
    languages: [{ priority: 2, name: 'en-us' }],
    gender: 1,
  },
];

runTtsEngineContract('espeak (wasm)', () => makeEngine({ backend: 'wasm' }));
if (NATIVE_INSTALLED) {
  runTtsEngineContract('espeak (native)', () => makeEngine({ backend: 'native' }));
  runTtsEngineContract('espeak (auto)', () => makeEngine({ backend: 'auto' }));
}

describe('EspeakTtsEngine', () => {
  let engine: EspeakTtsEngine;
  before(() => {
    engine = makeEngine({ backend: 'wasm', workers: 1 });
  });
  after(() => engine.dispose());

  const seconds = async (text: string, extra: { ssml?: boolean; voiceId?: string } = {}) =>
    clipDurationSeconds(await engine.synthesize({ text, voiceId: 'en-us', ...extra }, never));

  it('passes SSML through when ssml is set', async () => {
    const plain = await seconds('<speak>Hello world</speak>', { ssml: true });
    const paused = await seconds('<speak>Hello <break time="500ms"/> world</speak>', { ssml: true });
    assert.ok(paused - plain > 0.35, `break added ${(paused - plain).toFixed(2)} s`);
  });

  it('escapes plain text instead of reading it as markup', async () => {
    const clip = await engine.synthesize(
      { text: 'Tom & Jerry <3', voiceId: 'en-us', wordTimestamps: true },
      never,
    );
    assert.ok(rms(clip.samples) > 100);
    assert.deepEqual(
      clip.words?.map((word) => word.word),
      ['Tom', 'Jerry', '3'],
    );
    // Read as markup, "<3" would open a tag and swallow the rest.
    assert.ok(clipDurationSeconds(clip) > (await seconds('Tom and Jerry')));
  });

  it('speaks German with the de voice', async () => {
    const clip = await engine.synthesize({ text: 'Guten Tag, wie geht es Ihnen?', voiceId: 'de' }, never);
    assert.ok(rms(clip.samples) > 100);
    assert.ok(clipDurationSeconds(clip) > 1);
  });

  it('lists over 100 voices with stable ids, and resolves espeak names too', async () => {
    const voices = await engine.listVoices();
    assert.ok(voices.length >= 100, `${voices.length} voices`);
    const ids = voices.map((voice) => voice.id);
    for (const id of ['en-us', 'en-gb', 'de', 'fr-fr', 'yue', 'yue-latn-jyutping']) {
      assert.ok(ids.includes(id), id);
    }
    const british = voices.find((voice) => voice.id === 'en-gb');
    assert.equal(british?.name, 'English (Great Britain)');
    assert.equal(british?.language, 'en-gb');
    // Aliases: a language espeak knows and an espeak identifier reach the same voice. (espeak
    // carries a little state between syntheses, so equal requests differ by a few samples.)
    const same = (a: number, b: number) => Math.abs(a - b) < 0.005;
    const text = 'Bonjour tout le monde';
    assert.ok(same(await seconds(text, { voiceId: 'fr' }), await seconds(text, { voiceId: 'fr-fr' })));
    assert.ok(
      same(
        await seconds('Hello there', { voiceId: 'gmw/en' }),
        await seconds('Hello there', { voiceId: 'en-gb' }),
      ),
    );
  });

  it('maps word timings of "Hello world. This is a test." to its six words', async () => {
    const clip = await engine.synthesize(
      { text: 'Hello world. This is a test.', voiceId: 'en-us', wordTimestamps: true },
      never,
    );
    const words = clip.words ?? [];
    assert.deepEqual(
      words.map((word) => word.word),
      ['Hello', 'world', 'This', 'is', 'a', 'test'],
    );
    const [, world, sentence] = words;
    // espeak drops the mark after "world."; the start of "This" must still follow the pause.
    assert.ok(world && sentence && sentence.start - world.end > 0.15, JSON.stringify(words));
    // Timings do not change the audio: the marks are silent.
    const plain = await seconds('Hello world. This is a test.');
    assert.ok(Math.abs(clipDurationSeconds(clip) - plain) < 0.01);
  });

  it('gives word timings for SSML, from its text', async () => {
    const clip = await engine.synthesize(
      {
        text: '<speak>Hello <break time="500ms"/> big world</speak>',
        voiceId: 'en-us',
        ssml: true,
        wordTimestamps: true,
      },
      never,
    );
    const [hello, big] = clip.words ?? [];
    assert.deepEqual(
      clip.words?.map((word) => word.word),
      ['Hello', 'big', 'world'],
    );
    assert.ok(hello && big && big.start - hello.end > 0.4, JSON.stringify(clip.words));
  });

  it('frees the worker at once when a running synthesis is aborted', async () => {
    const long = 'Speech synthesis is the artificial production of human speech. '.repeat(60);
    let started = performance.now();
    await engine.synthesize({ text: long, voiceId: 'en-us' }, never);
    const full = performance.now() - started;
    const controller = new AbortController();
    const pending = engine.synthesize({ text: long, voiceId: 'en-us' }, controller.signal);
    setTimeout(() => controller.abort(), full * 0.1);
    await assert.rejects(
      pending,
      (error: unknown) => error instanceof EngineError && error.kind === 'aborted',
    );
    // One worker: this waits for the aborted synthesis unless espeak really stopped.
    started = performance.now();
    await engine.synthesize({ text: 'Next.', voiceId: 'en-us' }, never);
    const next = performance.now() - started;
    assert.ok(
      next < full * 0.5,
      `the next request took ${next.toFixed(0)} ms (full synthesis ${full.toFixed(0)} ms)`,
    );
  });

  it('rejects bad speed and pitch values as invalid input', async () => {
    for (const extra of [{ speed: 0 }, { speed: Number.NaN }, { pitch: -1 }]) {
      await assert.rejects(
        engine.synthesize({ text: 'Hi', voiceId: 'en-us', ...extra }, never),
        (error: unknown) => error instanceof EngineError && error.kind === 'invalid_input',
      );
    }
  });
});

describe('EspeakTtsEngine failures', () => {
  it('replaces a crashed worker and fails only its request', async () => {
    let spawned = 0;
    const engine = makeEngine(
      { backend: 'wasm', warmup_texts: 0 },
      {
        createWorker: (data) => {
          spawned++;
          // The first worker dies on its first job; the replacement is the real one.
          if (spawned > 1) {
            return new Worker(new URL('./espeak-wasm.worker.js', import.meta.url), { workerData: data });
          }
          return fakeWorker(
            `parentPort.postMessage({ type: 'ready', sampleRate: 22050, voices });
             parentPort.on('message', () => process.exit(3));`,
            data,
          );
        },
      },
    );
    try {
      await assert.rejects(
        engine.synthesize({ text: 'Hello', voiceId: 'en-us' }, never),
        (error: unknown) =>
          error instanceof EngineError && error.kind === 'failed' && /exit code 3/.test(error.message),
      );
      const clip = await engine.synthesize({ text: 'Hello again', voiceId: 'en-us' }, never);
      assert.ok(rms(clip.samples) > 100);
      assert.equal(spawned, 2);
    } finally {
      await engine.dispose();
    }
  });

  it('is unavailable, with the reason, when the WASM module cannot load', async () => {
    const engine = makeEngine(
      { backend: 'wasm' },
      {
        createWorker: (data) =>
          fakeWorker(
            `parentPort.postMessage({ type: 'startup-failed', message: 'out of memory' }); process.exit(1);`,
            data,
          ),
      },
    );
    try {
      const health = await engine.health();
      assert.equal(health.available, false);
      assert.match(health.reason ?? '', /WASM module cannot load: out of memory/);
      await assert.rejects(
        engine.synthesize({ text: 'Hello', voiceId: 'en-us' }, never),
        (error: unknown) => error instanceof EngineError && error.kind === 'unavailable',
      );
    } finally {
      await engine.dispose();
    }
  });

  it('backend native without the program is unavailable; auto falls back to WASM', async () => {
    const missing = { native_binary: '/nonexistent/espeak-ng', warmup_texts: 0 };
    const native = makeEngine({ ...missing, backend: 'native' });
    const auto = makeEngine({ ...missing, backend: 'auto' });
    try {
      const health = await native.health();
      assert.equal(health.available, false);
      assert.match(health.reason ?? '', /\/nonexistent\/espeak-ng/);
      await assert.rejects(
        native.synthesize({ text: 'Hello', voiceId: 'en-us' }, never),
        (error: unknown) => error instanceof EngineError && error.kind === 'unavailable',
      );
      assert.deepEqual(await auto.health(), { available: true });
      const clip = await auto.synthesize({ text: 'Hello', voiceId: 'en-us' }, never);
      assert.ok(rms(clip.samples) > 100);
    } finally {
      await Promise.all([native.dispose(), auto.dispose()]);
    }
  });

  /** An auto engine with injected timings, its program a wrapper that counts calls to the real one. */
  async function withCountedProgram(
    timings: BackendTimings,
    test: (engine: EspeakTtsEngine, programCalls: () => Promise<number>) => Promise<void>,
  ): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'sg-espeak-auto-'));
    const calls = join(dir, 'calls');
    const wrapper = join(dir, 'espeak-ng');
    await writeFile(wrapper, `#!/bin/sh\necho call >> '${calls}'\nexec /usr/bin/espeak-ng "$@"\n`, {
      mode: 0o755,
    });
    const engine = makeEngine(
      { backend: 'auto', native_binary: wrapper, warmup_texts: 0 },
      { measureBackends: () => Promise.resolve(timings) },
    );
    try {
      await engine.health();
      while (!engine.measuredTimings) await new Promise((resolve) => setTimeout(resolve, 5));
      await test(
        engine,
        async () => (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean).length,
      );
    } finally {
      await engine.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('auto sends each input to the backend measured faster for its length', { skip: !NATIVE_INSTALLED }, () =>
    // The program costs 80 ms whatever the length, WASM 10 ms + 0.5 ms a character: they cross at 140.
    withCountedProgram(
      { native: { fixedMs: 80, perCharMs: 0 }, wasm: { fixedMs: 10, perCharMs: 0.5 } },
      async (engine, programCalls) => {
        const before = await programCalls();
        await engine.synthesize({ text: 'A short sentence for the warm pool.', voiceId: 'en-us' }, never);
        assert.equal(await programCalls(), before, 'a short input stays in the WASM pool');
        // 170 characters: the fixed rule used before measuring (300+) would keep it in WASM.
        const passage = 'A passage for the native program. '.repeat(5);
        await engine.synthesize({ text: passage, voiceId: 'en-us' }, never);
        assert.equal(await programCalls(), before + 1, 'a longer input goes to the program');
      },
    ),
  );

  it('auto keeps long inputs in WASM when WASM measured faster', { skip: !NATIVE_INSTALLED }, () =>
    withCountedProgram(
      { native: { fixedMs: 80, perCharMs: 0.4 }, wasm: { fixedMs: 10, perCharMs: 0.3 } },
      async (engine, programCalls) => {
        const before = await programCalls();
        await engine.synthesize(
          { text: 'A long passage that stays in WASM. '.repeat(12), voiceId: 'en-us' },
          never,
        );
        assert.equal(await programCalls(), before);
      },
    ),
  );

  it('native serves word timings and voices it lacks through WASM', { skip: !NATIVE_INSTALLED }, async () => {
    const engine = makeEngine({ backend: 'native', warmup_texts: 0 });
    try {
      const clip = await engine.synthesize(
        { text: 'Hello world', voiceId: 'en-us', wordTimestamps: true },
        never,
      );
      assert.deepEqual(
        clip.words?.map((word) => word.word),
        ['Hello', 'world'],
      );
      // Tigrinya is in the WASM data set, not in Debian's espeak-ng 1.51.
      const tigrinya = await engine.synthesize({ text: 'ሰላም', voiceId: 'ti' }, never);
      assert.ok(rms(tigrinya.samples) > 100);
    } finally {
      await engine.dispose();
    }
  });
});

describe('EspeakTtsEngine maxSeconds', () => {
  const longPause = '<speak>a<break time="600s"/>b</speak>';
  for (const backend of NATIVE_INSTALLED ? ['wasm', 'native'] : ['wasm']) {
    it(`stops a ${backend} synthesis just past maxSeconds and returns what it made`, async () => {
      const engine = makeEngine({ backend, warmup_texts: 0 });
      try {
        const clip = await engine.synthesize(
          { text: longPause, voiceId: 'en-us', ssml: true, maxSeconds: 5 },
          never,
        );
        const seconds = clipDurationSeconds(clip);
        assert.ok(seconds > 5 && seconds < 7, `${seconds} s`);
      } finally {
        await engine.dispose();
      }
    });
  }
});

describe('espeak options', () => {
  const create = (options: Record<string, unknown>) =>
    espeakTtsEngineFactory.create({ id: 'espeak', options }, context);

  it('names the option that is wrong', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ workers: 0 }, /^options\.workers must be an integer from 1 to 64$/],
      [{ worker_idle_seconds: -1 }, /^options\.worker_idle_seconds /],
      [{ workers: 2.5 }, /^options\.workers /],
      [{ backend: 'gpu' }, /^options\.backend must be one of auto, wasm, native$/],
      [{ warmup_texts: -1 }, /^options\.warmup_texts /],
      [{ start_workers: 'sometimes' }, /^options\.start_workers must be one of lazy, eager$/],
      [{ max_concurrent_native: '2' }, /^options\.max_concurrent_native /],
      [{ native_binary: '' }, /^options\.native_binary must be a non-empty string$/],
      [{ default_voice: 3 }, /^options\.default_voice /],
      [{ wokers: 2 }, /^options\.wokers is not an espeak option/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => create(options),
        (error: unknown) => error instanceof EngineOptionsError && message.test(error.message),
        JSON.stringify(options),
      );
    }
  });

  it('applies the defaults', () => {
    assert.deepEqual(parseEspeakOptions({}), {
      backend: 'auto',
      workers: availableParallelism(),
      workerIdleSeconds: 300,
      startWorkers: 'lazy',
      warmupTexts: 30,
      nativeBinary: 'espeak-ng',
      maxConcurrentNative: availableParallelism(),
      defaultVoice: 'en-us',
    });
  });

  it('defaults workers to the cores, within 1 to 64', () => {
    assert.equal(defaultParallelism(1), 1);
    assert.equal(defaultParallelism(12), 12);
    assert.equal(defaultParallelism(256), 64);
    assert.equal(parseEspeakOptions({}).workers, availableParallelism());
    assert.equal(parseEspeakOptions({ workers: 3 }).workers, 3);
  });

  it('reports an unknown default voice through health', async () => {
    const engine = makeEngine({ backend: 'wasm', default_voice: 'klingon', warmup_texts: 0 });
    try {
      const health = await engine.health();
      assert.equal(health.available, false);
      assert.match(health.reason ?? '', /options\.default_voice 'klingon'/);
    } finally {
      await engine.dispose();
    }
  });
});
