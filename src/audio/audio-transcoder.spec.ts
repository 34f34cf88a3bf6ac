import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AudioClip } from '../engines/ports/audio-clip.js';
import { AudioFormatError, FfmpegError } from './audio-error.js';
import type { OutputFormat } from './audio-format.js';
import { AudioTranscoder } from './audio-transcoder.js';
import { locateNpmFfmpeg, locateSystemFfmpeg } from './ffmpeg-locator.js';
import { childPids, pidExists, procAvailable } from './testing/processes.js';
import { decodeToSamples, probeAudio } from './testing/probe.js';
import { toneWithNoise } from './testing/synthetic.js';
import { decodeWav } from './wav.js';

const RATE = 22050;
const SECONDS = 1.5;
const clip = toneWithNoise(SECONDS, RATE);
/** ffprobe is Debian's (the npm package has none); without it nothing here can be checked. */
const noProbe = existsSync('/usr/bin/ffprobe') ? false : 'needs the system ffprobe';
const noProc = procAvailable ? false : 'needs /proc to see child processes';

/** The OpusHead's "input sample rate": what the encoder ran at (every Opus decoder plays at 48 kHz). */
function opusEncoderRate(ogg: Buffer): number {
  const head = ogg.indexOf('OpusHead');
  assert.ok(head >= 0, 'no OpusHead');
  return ogg.readUInt32LE(head + 12);
}

/** Clips of `seconds` each, from a generator that records when each is handed out. */
async function* chunksOf(count: number, seconds: number, events: string[], beforeLast?: Promise<unknown>) {
  for (let i = 0; i < count; i++) {
    if (i === count - 1 && beforeLast) await beforeLast;
    events.push(`in ${i}`);
    yield toneWithNoise(seconds, RATE, { seed: i + 1 });
  }
}

/** One chunk, then nothing until the test ends it: an engine still synthesising. */
async function* stalledAfterFirst(stop: Promise<void>): AsyncGenerator<AudioClip> {
  yield toneWithNoise(0.5, RATE);
  await stop;
}

/** Resolves when `predicate` holds, checked every few ms (bounded so a failure cannot hang the suite). */
async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function assertGone(pids: number[]): void {
  assert.ok(pids.length > 0, 'expected to have seen an ffmpeg');
  for (const pid of pids) assert.ok(!pidExists(pid), `ffmpeg ${pid} is still there`);
  assert.deepEqual(childPids('ffmpeg'), []);
}

describe('AudioTranscoder (system ffmpeg)', { skip: noProbe }, () => {
  let transcoder: AudioTranscoder;
  before(async () => {
    transcoder = new AudioTranscoder((await locateSystemFfmpeg()).path);
  });

  const cases: Array<[OutputFormat, string, number, number]> = [
    // format, codec, rate ffprobe reports, decoded-duration tolerance (s)
    ['wav', 'pcm_s16le', RATE, 0.001],
    ['flac', 'flac', RATE, 0.001],
    ['mp3', 'mp3', RATE, 0.01], // written via a file: the LAME header lets decoders trim encoder delay
    ['opus', 'opus', 48000, 0.01], // Opus always decodes at 48 kHz; the encoder ran at 24 kHz
    ['aac', 'aac', RATE, 0.1], // ADTS has no gapless info: priming and padding frames stay
  ];
  for (const [format, codec, rate, tolerance] of cases) {
    it(`encodes ${format} that ffprobe reads as ${codec}, mono, ${SECONDS} s`, async () => {
      const bytes = await transcoder.encode(clip, format);
      const probed = await probeAudio(bytes);
      assert.equal(probed.codec, codec);
      assert.equal(probed.sampleRate, rate);
      assert.equal(probed.channels, 1);
      assert.ok(
        Math.abs(probed.decodedSeconds - SECONDS) <= tolerance,
        `${format}: decoded ${probed.decodedSeconds} s`,
      );
      if (format === 'opus') assert.equal(opusEncoderRate(bytes), 24000);
      if (format === 'flac' || format === 'wav') assert.equal(probed.headerSeconds, SECONDS);
    });
  }

  it('encodes pcm as the raw samples, without ffmpeg', async () => {
    const bytes = await transcoder.encode(clip, 'pcm');
    assert.equal(bytes.length, clip.samples.length * 2);
    assert.deepEqual(new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2), clip.samples);
    const probed = await probeAudio(bytes, 's16le');
    assert.equal(probed.codec, 'pcm_s16le');
  });

  it('resamples to 16000 and 48000 Hz', async () => {
    for (const sampleRate of [16000, 48000]) {
      for (const format of ['wav', 'mp3', 'flac'] as const) {
        const probed = await probeAudio(await transcoder.encode(clip, format, { sampleRate }));
        assert.equal(probed.sampleRate, sampleRate, `${format} at ${sampleRate}`);
        assert.ok(
          Math.abs(probed.decodedSeconds - SECONDS) < 0.01,
          `${format} at ${sampleRate}: ${probed.decodedSeconds} s`,
        );
      }
      const opus = await transcoder.encode(clip, 'opus', { sampleRate });
      assert.equal(opusEncoderRate(opus), sampleRate);
      const pcm = await transcoder.encode(clip, 'pcm', { sampleRate });
      assert.ok(Math.abs(pcm.length / 2 - SECONDS * sampleRate) <= 2);
      const resampled = await transcoder.resample(
        { ...clip, words: [{ word: 'a', start: 0.1, end: 0.2 }] },
        sampleRate,
      );
      assert.equal(resampled.sampleRate, sampleRate);
      assert.ok(Math.abs(resampled.samples.length - SECONDS * sampleRate) <= 2);
      assert.deepEqual(resampled.words, [{ word: 'a', start: 0.1, end: 0.2 }]);
    }
    // An opus rate between the allowed ones goes up to the next: 20000 Hz becomes 24000 Hz.
    assert.equal(opusEncoderRate(await transcoder.encode(clip, 'opus', { sampleRate: 20000 })), 24000);
  });

  it('streams mp3: the first audio leaves before the last chunk arrives', async () => {
    const events: string[] = [];
    let firstAudio!: () => void;
    const gotFirstAudio = new Promise<void>((resolve) => (firstAudio = resolve));
    // The source holds its last chunk back until the consumer has audio: if the encoder
    // waited for the end of the input, this would time out instead of passing.
    const gate = Promise.race([
      gotFirstAudio,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no output before the last chunk')), 10_000).unref(),
      ),
    ]);
    const parts: Buffer[] = [];
    for await (const part of transcoder.encodeStream(chunksOf(8, 0.25, events, gate), 'mp3')) {
      parts.push(part);
      if (parts.length === 1) events.push('out first');
      // "Audio", not just the ID3 header: what has arrived so far already decodes to samples.
      if (!events.includes('out audio') && !events.includes('in 7')) {
        const soFar = await decodeToSamples(Buffer.concat(parts)).catch(() => new Int16Array(0));
        if (soFar.length > 0) {
          events.push('out audio');
          firstAudio();
        }
      }
    }
    assert.ok(
      events.indexOf('out audio') >= 0 && events.indexOf('out audio') < events.indexOf('in 7'),
      events.join(', '),
    );
    const probed = await probeAudio(Buffer.concat(parts));
    assert.equal(probed.codec, 'mp3');
    // A piped mp3 keeps the encoder delay and padding (no LAME header), about 50 ms here.
    assert.ok(Math.abs(probed.decodedSeconds - 2) < 0.1, `decoded ${probed.decodedSeconds} s`);
  });

  it('streams opus, wav and pcm (also at another rate) that decode to the right length', async () => {
    for (const [format, sampleRate] of [
      ['opus', undefined],
      ['wav', undefined],
      ['pcm', undefined],
      ['wav', 16000],
    ] as const) {
      const parts: Buffer[] = [];
      for await (const part of transcoder.encodeStream(chunksOf(4, 0.25, []), format, { sampleRate }))
        parts.push(part);
      const bytes = Buffer.concat(parts);
      const rate = sampleRate ?? RATE;
      const seconds =
        format === 'pcm'
          ? bytes.length / 2 / rate
          : format === 'wav'
            ? decodeWav(bytes).samples.length / rate
            : NaN;
      if (format === 'wav') assert.equal(decodeWav(bytes).sampleRate, rate);
      const decoded = format === 'opus' ? (await probeAudio(bytes)).decodedSeconds : seconds;
      assert.ok(Math.abs(decoded - 1) < 0.01, `${format}@${rate}: ${decoded} s`);
    }
  });

  it('encodes clip by clip into a file exactly what encode() gives for the joined clip', async () => {
    const pieces = [
      toneWithNoise(0.4, RATE),
      toneWithNoise(0.3, RATE, { seed: 3 }),
      toneWithNoise(0.2, RATE),
    ];
    const whole: AudioClip = {
      samples: new Int16Array(pieces.flatMap((piece) => [...piece.samples])),
      sampleRate: RATE,
    };
    async function* clips(): AsyncGenerator<AudioClip> {
      for (const piece of pieces) yield await Promise.resolve(piece);
    }
    const dir = await mkdtemp(join(tmpdir(), 'sg-encode-file-'));
    try {
      for (const [format, sampleRate] of [
        ['wav', undefined],
        ['wav', 16000],
        ['pcm', undefined],
        ['mp3', undefined],
        ['flac', undefined],
        ['aac', undefined],
      ] as Array<[OutputFormat, number | undefined]>) {
        const path = join(dir, `audio-${format}-${sampleRate ?? 'same'}`);
        const bytes = await transcoder.encodeToFile(clips(), format, RATE, path, { sampleRate });
        const written = await readFile(path);
        assert.equal(bytes, written.length);
        const expected = await transcoder.encode(whole, format, { sampleRate });
        assert.ok(written.equals(expected), `${format} at ${sampleRate ?? RATE} Hz`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(
    'streams through a prepared encoder and keeps one spare ffmpeg for the next stream',
    { skip: noProc },
    async () => {
      const own = new AudioTranscoder((await locateSystemFfmpeg()).path);
      try {
        for (let round = 0; round < 2; round++) {
          const prepared = await own.prepareStream('mp3', RATE);
          const parts: Buffer[] = [];
          for await (const bytes of prepared.encode(oneClip(toneWithNoise(0.5, RATE)))) parts.push(bytes);
          const probed = await probeAudio(Buffer.concat(parts));
          assert.equal(probed.codec, 'mp3');
          // The spare is started a little after a stream takes one; then it waits, idle.
          for (let i = 0; i < 100 && childPids('ffmpeg').length !== 1; i++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          assert.equal(childPids('ffmpeg').length, 1, 'one spare encoder');
          assert.equal(own.activeProcesses, 0, 'a spare holds no process slot');
        }
      } finally {
        await own.onModuleDestroy();
      }
      assert.deepEqual(childPids('ffmpeg'), []);
    },
  );

  it('refuses clips at a different rate mid-stream, and stops ffmpeg', { skip: noProc }, async () => {
    async function* mixed(): AsyncGenerator<AudioClip> {
      yield toneWithNoise(0.5, RATE);
      await Promise.resolve(); // as an engine would, between chunks
      yield toneWithNoise(0.5, 24000);
    }
    await assert.rejects(async () => {
      for await (const _ of transcoder.encodeStream(mixed(), 'mp3'));
    }, AudioFormatError);
    assert.deepEqual(childPids('ffmpeg'), []);
  });

  it('kills ffmpeg when a stream is aborted', { skip: noProc }, async () => {
    const controller = new AbortController();
    let stop!: () => void;
    const stream = transcoder.encodeStream(
      stalledAfterFirst(new Promise((r) => (stop = r))),
      'opus',
      {},
      controller.signal,
    );
    const pids: number[] = [];
    await assert.rejects(async () => {
      for await (const _ of stream) {
        pids.push(...childPids('ffmpeg'));
        controller.abort(new Error('client went away'));
      }
    }, /client went away/);
    stop();
    assertGone(pids);
    assert.equal(transcoder.activeProcesses, 0);
  });

  it('kills ffmpeg when a whole-audio encode is aborted', { skip: noProc }, async () => {
    const long = toneWithNoise(120, RATE);
    const controller = new AbortController();
    const encoding = transcoder.encode(long, 'opus', {}, controller.signal);
    let pids: number[] = [];
    await until(() => (pids = childPids('ffmpeg')).length > 0, 'ffmpeg to start');
    controller.abort(new Error('cancelled'));
    await assert.rejects(encoding, /cancelled/);
    assertGone(pids);
  });

  it('kills ffmpeg when the consumer stops reading early', { skip: noProc }, async () => {
    let stop!: () => void;
    const pids: number[] = [];
    for await (const _ of transcoder.encodeStream(stalledAfterFirst(new Promise((r) => (stop = r))), 'mp3')) {
      pids.push(...childPids('ffmpeg'));
      break;
    }
    stop();
    assertGone(pids);
    assert.equal(transcoder.activeProcesses, 0);
  });

  it('queues work beyond maxProcesses', async () => {
    const limited = new AudioTranscoder(transcoder.ffmpegPath, { maxProcesses: 1 });
    let stop!: () => void;
    const stream = limited.encodeStream(stalledAfterFirst(new Promise((r) => (stop = r))), 'mp3');
    const first = await stream.next(); // the stream now holds the only slot
    assert.ok(!first.done);
    assert.equal(limited.activeProcesses, 1);
    const queued = limited.encode(clip, 'aac');
    await until(() => limited.queuedProcesses === 1, 'the encode to queue');
    await stream.return(undefined);
    stop();
    const probed = await probeAudio(await queued);
    assert.equal(probed.codec, 'aac');
    assert.equal(limited.activeProcesses, 0);
  });
});

describe('AudioTranscoder errors', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sg-fake-ffmpeg-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("keeps ffmpeg's diagnostics out of the message", async () => {
    const fake = join(directory, 'ffmpeg');
    await writeFile(fake, '#!/bin/sh\necho "Unknown encoder in /srv/secret/build" >&2\nexit 3\n');
    await chmod(fake, 0o755);
    const error = await new AudioTranscoder(fake).encode(clip, 'mp3').then(
      () => assert.fail('should have failed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof FfmpegError);
    assert.equal(error.message, 'ffmpeg failed to encode mp3 (exit code 3)');
    assert.equal(error.exitCode, 3);
    assert.match(error.stderr, /secret/);
  });

  it('reports an ffmpeg that cannot start', async () => {
    await assert.rejects(new AudioTranscoder(join(directory, 'missing')).encode(clip, 'aac'), FfmpegError);
  });

  it('encodes wav and pcm without any ffmpeg', async () => {
    const none = new AudioTranscoder(join(directory, 'missing'));
    assert.deepEqual(decodeWav(await none.encode(clip, 'wav')).samples, clip.samples);
    const parts: Buffer[] = [];
    for await (const part of none.encodeStream(chunksOf(3, 0.2, []), 'wav')) parts.push(part);
    assert.equal(decodeWav(Buffer.concat(parts)).samples.length, 3 * Math.round(0.2 * RATE));
  });

  it('refuses formats that cannot stream', async () => {
    const none = new AudioTranscoder(join(directory, 'missing'));
    await assert.rejects(none.encodeStream(chunksOf(1, 0.1, []), 'flac').next(), AudioFormatError);
  });
});

describe('AudioTranscoder (npm ffmpeg)', { skip: noProbe }, () => {
  it('encodes mp3 and opus with the static npm build too', async () => {
    const transcoder = new AudioTranscoder((await locateNpmFfmpeg()).path);
    const mp3 = await probeAudio(await transcoder.encode(clip, 'mp3'));
    assert.equal(mp3.codec, 'mp3');
    assert.ok(Math.abs(mp3.decodedSeconds - SECONDS) < 0.01, `${mp3.decodedSeconds}`);
    const parts: Buffer[] = [];
    for await (const part of transcoder.encodeStream(chunksOf(4, 0.25, []), 'opus')) parts.push(part);
    const opus = await probeAudio(Buffer.concat(parts));
    assert.equal(opus.codec, 'opus');
    assert.ok(Math.abs(opus.decodedSeconds - 1) < 0.01, `${opus.decodedSeconds}`);
  });
});

async function* oneClip(clip: AudioClip): AsyncGenerator<AudioClip> {
  yield await Promise.resolve(clip);
}
