import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { samplesFromPcm } from '../../../audio/pcm.js';
import { descendantPids, procAvailable } from '../../../audio/testing/processes.js';
import { EngineError } from '../../ports/engine-error.js';
import { runSttEngineContract } from '../../testing/stt-engine.contract.js';
import type { SttAudio } from '../../ports/stt-engine.js';
import { parsePocketsphinxOptions } from './pocketsphinx-options.js';
import { PocketsphinxSttEngine } from './pocketsphinx-stt.engine.js';

/** Debian's pocketsphinx-testdata: "go forward ten meters", raw 16 kHz s16le. */
const GO_FORWARD = '/usr/share/pocketsphinx/test/data/goforward.raw';
const GRAMMAR = '/usr/share/pocketsphinx/test/data/goforward.gram';
const logger = pino({ level: 'silent' });
const audio: SttAudio = { samples: samplesFromPcm(readFileSync(GO_FORWARD)), sampleRate: 16000 };

/** The processes that do the decoding: the CLI (comm truncated to 15 characters) or the warm server's forks. */
const DECODERS = ['pocketsphinx_co', 'sg-stt-decode'];
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';

for (const decoder of ['warm', 'process'] as const) {
  runSttEngineContract(
    `pocketsphinx (${decoder} decoder, Debian en-us model)`,
    () =>
      new PocketsphinxSttEngine(
        'pocketsphinx',
        parsePocketsphinxOptions({ decoder, max_concurrent: 2 }),
        logger,
      ),
    // The language model hears "go forward ten meters" as "go forward ten years" here: one word in four.
    () => ({
      audio,
      expectedWords: ['go', 'forward', 'ten', 'meters'],
      maxWordErrorRate: 0.25,
      language: 'en',
    }),
  );
}

describe('the warm and the process decoder', () => {
  const warm = new PocketsphinxSttEngine('warm', parsePocketsphinxOptions({ decoder: 'warm' }), logger);
  const cli = new PocketsphinxSttEngine('cli', parsePocketsphinxOptions({ decoder: 'process' }), logger);
  after(async () => {
    await warm.dispose();
    await cli.dispose();
  });

  it('give identical transcripts and timings, whatever was decoded before', async () => {
    const signal = new AbortController().signal;
    const clips = ['0870', '0880', '0930'].map((id) => ({
      samples: samplesFromPcm(
        readFileSync(`${LIBRIVOX}/sense_and_sensibility_01_austen_64kb-${id}.wav`).subarray(44),
      ),
      sampleRate: 16000,
    }));
    // Live CMN would carry over between requests in one decoder: the warm server forks a fresh one each time.
    for (const clip of [...clips, clips[1]]) {
      assert.deepEqual(await warm.transcribe(clip, {}, signal), await cli.transcribe(clip, {}, signal));
    }
  });

  it('auto picks the warm decoder when Debian’s python3-pocketsphinx is there, else the process one', async () => {
    const auto = new PocketsphinxSttEngine('auto', parsePocketsphinxOptions({}), logger);
    const noPython = new PocketsphinxSttEngine(
      'auto',
      parsePocketsphinxOptions({ python: '/no/python3' }),
      logger,
    );
    try {
      assert.equal(await auto.decoderMode(), 'warm');
      assert.equal(await noPython.decoderMode(), 'process');
      assert.equal((await noPython.health()).available, true);
    } finally {
      await auto.dispose();
      await noPython.dispose();
    }
  });
});

function kindOf(kind: string) {
  return (error: unknown) => error instanceof EngineError && error.kind === kind;
}

for (const decoder of ['warm', 'process'] as const)
  describe(`PocketsphinxSttEngine (${decoder} decoder)`, () => {
    const engine = new PocketsphinxSttEngine('pocketsphinx', parsePocketsphinxOptions({ decoder }), logger);
    after(() => engine.dispose());

    it('reports 16 kHz, English, word timings and grammar support', async () => {
      const caps = engine.capabilities();
      assert.equal(caps.sampleRate, 16000);
      assert.deepEqual(caps.languages, ['en']);
      assert.equal(caps.wordTimestamps, true);
      assert.deepEqual(caps.supportedParams, ['grammar', 'vocabulary']);
      assert.deepEqual(await engine.health(), { available: true });
    });

    it('transcribes with the language model, words timed in order', async () => {
      const transcript = await engine.transcribe(audio, {}, new AbortController().signal);
      assert.match(transcript.text, /forward/);
      assert.equal(transcript.language, 'en');
      assert.ok(Math.abs(transcript.durationSeconds - audio.samples.length / 16000) < 1e-9);
      const words = transcript.words ?? [];
      assert.ok(words.length >= 3);
      words.forEach((w, i) => assert.ok(w.end > w.start && (i === 0 || w.start >= words[i - 1].end)));
    });

    it('recognises exactly the command with its grammar', async () => {
      const transcript = await engine.transcribe(
        audio,
        { grammar: readFileSync(GRAMMAR, 'utf8') },
        new AbortController().signal,
      );
      assert.equal(transcript.text, 'go forward ten meters');
      assert.deepEqual(
        transcript.words?.map((w) => w.text),
        ['go', 'forward', 'ten', 'meters'],
      );
    });

    it('refuses grammars it cannot use, other rates and other languages as input errors', async () => {
      const signal = new AbortController().signal;
      await assert.rejects(
        engine.transcribe(audio, { vocabulary: ['go', 'qwzxv'] }, signal),
        (error: unknown) => {
          assert.ok(error instanceof EngineError && error.kind === 'invalid_input');
          assert.match(error.message, /'qwzxv' is not in the recogniser's dictionary/);
          return true;
        },
      );
      await assert.rejects(
        engine.transcribe(audio, { grammar: 'this is not jsgf' }, signal),
        kindOf('invalid_input'),
      );
      await assert.rejects(
        engine.transcribe({ ...audio, sampleRate: 8000 }, {}, signal),
        kindOf('invalid_input'),
      );
      await assert.rejects(engine.transcribe(audio, { language: 'fr' }, signal), kindOf('invalid_input'));
    });

    it('gives the same transcripts concurrently as one at a time', async () => {
      const signal = new AbortController().signal;
      const alone = (await engine.transcribe(audio, {}, signal)).text;
      const together = await Promise.all([1, 2].map(() => engine.transcribe(audio, {}, signal)));
      assert.deepEqual(
        together.map((t) => t.text),
        [alone, alone],
      );
    });

    it('rejects an already-aborted call without starting a decoder', async () => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(engine.transcribe(audio, {}, controller.signal), kindOf('aborted'));
    });

    it('kills the decoder when the call is aborted mid-decode', { skip: !procAvailable }, async () => {
      const long: SttAudio = {
        samples: new Int16Array(Array.from({ length: 20 }, () => [...audio.samples]).flat()),
        sampleRate: 16000,
      };
      const controller = new AbortController();
      const pending = engine.transcribe(long, {}, controller.signal);
      const started = Date.now();
      while (descendantPids(...DECODERS).length === 0 && Date.now() - started < 5000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(descendantPids(...DECODERS).length > 0, 'decoder started');
      controller.abort();
      await assert.rejects(pending, kindOf('aborted'));
      assert.deepEqual(descendantPids(...DECODERS), []);
    });
  });

describe('PocketsphinxSttEngine without the program', () => {
  it('says how to install it and refuses calls as unavailable', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { decoder: 'process', binary: 'no-such-pocketsphinx' },
        /apt-get install pocketsphinx pocketsphinx-en-us/,
      ],
      [{ decoder: 'warm', python: '/no/python3' }, /apt-get install python3-pocketsphinx/],
      [
        { binary: 'no-such-pocketsphinx', python: '/no/python3' },
        /apt-get install pocketsphinx pocketsphinx-en-us/,
      ],
    ];
    for (const [options, hint] of cases) {
      const engine = new PocketsphinxSttEngine('ps', parsePocketsphinxOptions(options), logger);
      const health = await engine.health();
      assert.equal(health.available, false, JSON.stringify(options));
      assert.match(health.reason ?? '', hint);
      await assert.rejects(engine.transcribe(audio, {}, new AbortController().signal), kindOf('unavailable'));
      await engine.dispose();
      await engine.dispose();
    }
  });

  it('names a missing model file', async () => {
    for (const decoder of ['warm', 'process'] as const) {
      const options = parsePocketsphinxOptions({ decoder, lm: '/nowhere/en-us.lm.bin' });
      const engine = new PocketsphinxSttEngine('ps', options, logger);
      assert.match(
        (await engine.health()).reason ?? '',
        /language model \/nowhere\/en-us\.lm\.bin is missing/,
      );
      await engine.dispose();
    }
  });
});
