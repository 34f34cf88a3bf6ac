import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EngineError } from '../ports/engine-error.js';
import type { SttAudio, SttCapabilities, SttEngine, TimedText, Transcript } from '../ports/stt-engine.js';
import { assertAbortsPromptly, rejectsWithKind } from './engine-assertions.js';

/*
 * The behaviour every STT adapter owes the gateway, as one suite. An adapter's spec runs it
 * with one call per configuration and a fixture of real audio with the words it holds:
 *
 *   runSttEngineContract('pocketsphinx', () => makeEngine(), async () => ({
 *     audio: await speechAt16kHz('the quick brown fox'),
 *     expectedWords: ['the', 'quick', 'brown', 'fox'],
 *     maxWordErrorRate: 0.25,
 *   }));
 *
 * It needs the engine to really transcribe (no network mocks): remote adapters run it
 * against a local server implementing the provider's documented API.
 */

export interface SttContractFixture {
  /** Mono 16-bit PCM at the engine's capabilities().sampleRate, a few seconds long. */
  audio: SttAudio;
  /** The words spoken, in order. */
  expectedWords: readonly string[];
  /** Largest word error rate accepted: 0 demands every word, 0.25 allows one in four wrong. */
  maxWordErrorRate: number;
  /** Language hint passed to transcribe(). */
  language?: string;
  /** Replaces the word-error-rate check, for engines whose output needs another reading. */
  checkTranscript?: (transcript: Transcript) => void;
}

export interface SttContractOptions {
  /** Relative difference allowed between the reported and the real audio duration (default 0.1). */
  durationTolerance?: number;
  /** Times the fixture is repeated for the long input the abort test interrupts (default 8). */
  longAudioRepeats?: number;
}

/** Lower-case words without the punctuation at their ends; tokens without letters or digits dropped. */
export function transcriptWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .map((token) => token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
    .filter((token) => token !== '');
}

/** Levenshtein distance over words, divided by the expected word count. */
export function wordErrorRate(expected: readonly string[], actual: readonly string[]): number {
  const a = expected.map((word) => word.toLowerCase());
  const b = actual.map((word) => word.toLowerCase());
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return a.length === 0 ? (b.length === 0 ? 0 : 1) : previous[b.length] / a.length;
}

function durationOf(audio: SttAudio): number {
  return audio.samples.length / audio.sampleRate;
}

function assertTimeline(items: readonly TimedText[], duration: number, what: string): void {
  let previousStart = 0;
  for (const item of items) {
    assert.ok(item.start >= 0 && item.start <= item.end, `bad ${what} timing ${JSON.stringify(item)}`);
    assert.ok(item.end <= duration + 0.05, `${what} '${item.text}' ends after the audio`);
    assert.ok(item.start >= previousStart - 0.01, `${what} '${item.text}' goes back in time`);
    previousStart = item.start;
  }
}

function repeated(audio: SttAudio, times: number): SttAudio {
  const samples = new Int16Array(audio.samples.length * times);
  for (let i = 0; i < times; i++) samples.set(audio.samples, i * audio.samples.length);
  return { samples, sampleRate: audio.sampleRate };
}

export function runSttEngineContract(
  name: string,
  makeEngine: () => Promise<SttEngine> | SttEngine,
  makeFixture: () => Promise<SttContractFixture> | SttContractFixture,
  options: SttContractOptions = {},
): void {
  const tolerance = options.durationTolerance ?? 0.1;
  const repeats = options.longAudioRepeats ?? 8;

  // describe() and it() return promises the test runner itself awaits; `void` says so.
  void describe(`SttEngine contract: ${name}`, () => {
    let engine: SttEngine;
    let capabilities: SttCapabilities;
    let fixture: SttContractFixture;
    /** The fixture transcribed alone: the reference for the other checks. */
    let reference: Transcript;
    const never = new AbortController().signal;
    const hints = () => (fixture.language ? { language: fixture.language } : {});

    before(async () => {
      engine = await makeEngine();
      capabilities = engine.capabilities();
      fixture = await makeFixture();
      reference = await engine.transcribe(fixture.audio, hints(), never);
    });

    after(async () => {
      await engine?.dispose();
    });

    void it('reports consistent capabilities', () => {
      assert.ok(Number.isInteger(capabilities.sampleRate) && capabilities.sampleRate > 0);
      assert.ok(Array.isArray(capabilities.languages));
      for (const language of capabilities.languages)
        assert.ok(typeof language === 'string' && language !== '');
      assert.equal(typeof capabilities.wordTimestamps, 'boolean');
      const known = ['prompt', 'temperature', 'grammar', 'vocabulary'];
      assert.ok(capabilities.supportedParams.every((param) => known.includes(param)));
      assert.ok(engine.id.length > 0 && engine.type.length > 0);
      assert.equal(
        fixture.audio.sampleRate,
        capabilities.sampleRate,
        'the fixture must be at the engine rate',
      );
    });

    void it('is healthy', async () => {
      const health = await engine.health();
      assert.equal(health.available, true, health.reason);
    });

    void it('transcribes the fixture to its words', () => {
      if (fixture.checkTranscript) return fixture.checkTranscript(reference);
      const rate = wordErrorRate(fixture.expectedWords, transcriptWords(reference.text));
      assert.ok(
        rate <= fixture.maxWordErrorRate,
        `word error rate ${rate.toFixed(2)} above ${fixture.maxWordErrorRate}: '${reference.text}'`,
      );
    });

    void it('reports the duration and timings inside the audio', () => {
      const duration = durationOf(fixture.audio);
      const difference = Math.abs(reference.durationSeconds - duration) / duration;
      assert.ok(
        difference <= tolerance,
        `duration ${reference.durationSeconds} s for ${duration.toFixed(2)} s of audio`,
      );
      assert.ok(reference.segments.length > 0, 'no segments');
      assertTimeline(reference.segments, duration, 'segment');
      if (!capabilities.wordTimestamps || reference.words === undefined) return;
      assert.ok(reference.words.length > 0, 'word timestamps promised, none given');
      assertTimeline(reference.words, duration, 'word');
    });

    void it('rejects an already-aborted signal with kind aborted', async () => {
      await rejectsWithKind(engine.transcribe(fixture.audio, hints(), AbortSignal.abort()), 'aborted');
    });

    void it('stops promptly when aborted mid-transcription', async () => {
      const long = repeated(fixture.audio, repeats);
      await assertAbortsPromptly((signal) => engine.transcribe(long, hints(), signal));
    });

    void it('rejects empty audio with kind invalid_input', async () => {
      const empty: SttAudio = { samples: new Int16Array(0), sampleRate: capabilities.sampleRate };
      await rejectsWithKind(engine.transcribe(empty, hints(), never), 'invalid_input');
    });

    void it('serves 4 concurrent calls like sequential ones', async () => {
      const transcripts = await Promise.all(
        Array.from({ length: 4 }, () => engine.transcribe(fixture.audio, hints(), never)),
      );
      for (const transcript of transcripts) assert.equal(transcript.text, reference.text);
    });

    void it('disposes, can be disposed twice, and then refuses work', async () => {
      await engine.dispose();
      await engine.dispose();
      await assert.rejects(engine.transcribe(fixture.audio, hints(), never), EngineError);
    });
  });
}
