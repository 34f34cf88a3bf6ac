import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AudioClip, clipDurationSeconds } from '../ports/audio-clip.js';
import { EngineError } from '../ports/engine-error.js';
import { type EngineVoice, VOICE_GENDERS } from '../ports/engine-health.js';
import type { SynthesisRequest, TtsCapabilities, TtsEngine, TtsParam } from '../ports/tts-engine.js';
import { assertAbortsPromptly, rejectsWithKind } from './engine-assertions.js';

/*
 * The behaviour every TTS adapter owes the gateway, as one suite. An adapter's spec runs it
 * with one call per configuration:
 *
 *   runTtsEngineContract('espeak (wasm)', () => makeEngine({ backend: 'wasm' }));
 *
 * It needs the engine to really synthesise (no network mocks): the checks are about audio.
 */

export interface TtsContractOptions {
  /** Voice to use; default: the first English voice listed, else the first voice. */
  voiceId?: string;
  /** An English sentence of a few words; default below. */
  sampleText?: string;
  /**
   * Relative duration difference allowed between two identical requests (default 0.02);
   * raise it for engines that sample randomly.
   */
  durationTolerance?: number;
}

const TTS_PARAMS: readonly TtsParam[] = [
  'speed',
  'pitch',
  'emotion',
  'temperature',
  'exaggeration',
  'cfg_weight',
  'ssml',
];
const DEFAULT_SAMPLE = 'The quick brown fox jumps over the lazy dog.';
/** About -50 dBFS: anything quieter is silence or noise, not speech. */
const RMS_FLOOR = 100;
/** Characters of text for the long request the abort test interrupts. */
const LONG_TEXT_CHARS = 3000;

/**
 * The words the timings must match: whitespace-separated tokens with a letter or digit,
 * trimmed of the punctuation at their ends ("world." → "world"). Tokens without letters or
 * digits ("&", "—") are spoken but get no timing.
 */
export function contractWords(text: string): string[] {
  return text
    .split(/\s+/)
    .filter((token) => /[\p{L}\p{N}]/u.test(token))
    .map((token) => token.replace(/^[^\p{L}\p{N}\p{M}]+|[^\p{L}\p{N}\p{M}]+$/gu, ''));
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

function pickVoice(voices: readonly EngineVoice[]): string {
  const english = voices.find((voice) => voice.language.toLowerCase().startsWith('en'));
  return (english ?? voices[0])?.id ?? '';
}

export function runTtsEngineContract(
  name: string,
  makeEngine: () => Promise<TtsEngine> | TtsEngine,
  options: TtsContractOptions = {},
): void {
  const sampleText = options.sampleText ?? DEFAULT_SAMPLE;
  const tolerance = options.durationTolerance ?? 0.02;

  // describe() and it() return promises the test runner itself awaits; `void` says so.
  void describe(`TtsEngine contract: ${name}`, () => {
    let engine: TtsEngine;
    let capabilities: TtsCapabilities;
    let voiceId: string;
    /** The sample text at default settings, synthesised alone: the reference duration. */
    let reference: AudioClip;
    const never = new AbortController().signal;
    const request = (extra: Partial<SynthesisRequest> = {}): SynthesisRequest => ({
      text: sampleText,
      voiceId,
      ...extra,
    });

    before(async () => {
      engine = await makeEngine();
      capabilities = engine.capabilities();
      voiceId = options.voiceId ?? pickVoice(await engine.listVoices());
      reference = await engine.synthesize(request(), never);
    });

    after(async () => {
      await engine?.dispose();
    });

    void it('reports consistent capabilities', () => {
      assert.ok(Number.isInteger(capabilities.sampleRate) && capabilities.sampleRate > 0);
      for (const param of capabilities.supportedParams) {
        assert.ok(TTS_PARAMS.includes(param), `unknown param ${param}`);
      }
      assert.equal(new Set(capabilities.supportedParams).size, capabilities.supportedParams.length);
      assert.equal(engine.id.length > 0, true);
      assert.equal(engine.type.length > 0, true);
    });

    void it('lists voices with unique ids and valid genders', async () => {
      const voices = await engine.listVoices();
      assert.ok(voices.length > 0, 'no voices');
      assert.equal(new Set(voices.map((voice) => voice.id)).size, voices.length, 'duplicate voice ids');
      for (const voice of voices) {
        assert.ok(voice.id && voice.name && voice.language, `incomplete voice ${JSON.stringify(voice)}`);
        assert.ok(VOICE_GENDERS.includes(voice.gender), `bad gender ${voice.gender}`);
      }
      assert.ok(
        voices.some((voice) => voice.id === voiceId),
        `voice ${voiceId} is not listed`,
      );
    });

    void it('is healthy', async () => {
      const health = await engine.health();
      assert.equal(health.available, true, health.reason);
    });

    void it('synthesises audible PCM at its sample rate with a plausible duration', () => {
      assert.ok(reference.samples instanceof Int16Array);
      assert.equal(reference.sampleRate, capabilities.sampleRate);
      assert.ok(rms(reference.samples) > RMS_FLOOR, `silent: RMS ${rms(reference.samples).toFixed(0)}`);
      const perChar = clipDurationSeconds(reference) / sampleText.length;
      assert.ok(perChar >= 0.03 && perChar <= 0.5, `implausible ${perChar.toFixed(3)} s per character`);
    });

    void it('reports one word timing per word, in order, inside the clip', async (t) => {
      if (!capabilities.wordTimestamps) return t.skip('no word timestamps');
      const clip = await engine.synthesize(request({ wordTimestamps: true }), never);
      const duration = clipDurationSeconds(clip);
      const words = clip.words ?? [];
      assert.deepEqual(
        words.map((word) => word.word.toLowerCase()),
        contractWords(sampleText).map((word) => word.toLowerCase()),
      );
      let previous = { start: 0, end: 0 };
      for (const word of words) {
        assert.ok(word.start >= 0 && word.start <= word.end, `bad timing ${JSON.stringify(word)}`);
        assert.ok(word.end <= duration + 0.01, `${word.word} ends after the clip`);
        assert.ok(
          word.start >= previous.start && word.start >= previous.end - 0.01,
          `${word.word} goes back in time`,
        );
        previous = word;
      }
      assert.ok((words.at(-1)?.end ?? 0) > duration / 2, 'the timings cover less than half the clip');
    });

    void it('speaks clearly faster at speed 2.0 than at 0.5', async (t) => {
      if (!capabilities.supportedParams.includes('speed')) return t.skip('no speed');
      const [fast, slow] = await Promise.all([
        engine.synthesize(request({ speed: 2 }), never),
        engine.synthesize(request({ speed: 0.5 }), never),
      ]);
      assert.ok(
        clipDurationSeconds(fast) < clipDurationSeconds(slow) * 0.6,
        `speed 2: ${clipDurationSeconds(fast).toFixed(2)} s, speed 0.5: ${clipDurationSeconds(slow).toFixed(2)} s`,
      );
    });

    void it('rejects an already-aborted signal with kind aborted', async () => {
      await rejectsWithKind(engine.synthesize(request(), AbortSignal.abort()), 'aborted');
    });

    void it('stops promptly when aborted mid-synthesis', async () => {
      const long = Array.from(
        { length: Math.ceil(LONG_TEXT_CHARS / (sampleText.length + 1)) },
        () => sampleText,
      ).join(' ');
      await assertAbortsPromptly((signal) => engine.synthesize(request({ text: long }), signal));
    });

    void it('rejects an unknown voice with kind voice_not_found', async () => {
      await rejectsWithKind(
        engine.synthesize(request({ voiceId: 'no-such-voice-42' }), never),
        'voice_not_found',
      );
    });

    void it('rejects empty text with kind invalid_input', async () => {
      await rejectsWithKind(engine.synthesize(request({ text: '' }), never), 'invalid_input');
      await rejectsWithKind(engine.synthesize(request({ text: '  \n ' }), never), 'invalid_input');
    });

    void it('serves 6 concurrent calls like sequential ones', async () => {
      const clips = await Promise.all(Array.from({ length: 6 }, () => engine.synthesize(request(), never)));
      const expected = clipDurationSeconds(reference);
      for (const clip of clips) {
        assert.ok(rms(clip.samples) > RMS_FLOOR, 'silent clip');
        const difference = Math.abs(clipDurationSeconds(clip) - expected) / expected;
        assert.ok(difference <= tolerance, `duration differs by ${(difference * 100).toFixed(1)} %`);
      }
    });

    void it('disposes, can be disposed twice, and then refuses work', async () => {
      await engine.dispose();
      await engine.dispose();
      await assert.rejects(engine.synthesize(request(), never), EngineError);
    });
  });
}
