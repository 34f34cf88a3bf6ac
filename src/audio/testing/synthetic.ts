/*
 * Deterministic test and benchmark signals (not shipped behaviour; used by the specs in
 * src/audio and by bench/audio.bench.ts).
 */
import { seededRandom } from '../../common/testing/seeded-random.js';
import type { AudioClip } from '../../engines/ports/audio-clip.js';

/** A sine tone plus white noise; `amplitude` and `noise` are fractions of full scale. */
export function toneWithNoise(
  seconds: number,
  sampleRate: number,
  options: { frequency?: number; amplitude?: number; noise?: number; seed?: number } = {},
): AudioClip {
  const { frequency = 220, amplitude = 0.3, noise = 0.05, seed = 1 } = options;
  const random = seededRandom(seed);
  const samples = new Int16Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < samples.length; i++) {
    const value =
      amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate) + noise * (2 * random() - 1);
    samples[i] = Math.round(value * 32767);
  }
  return { samples, sampleRate };
}

/**
 * Something an encoder treats like speech: a voiced buzz (harmonics of a gliding 100–180 Hz
 * pitch, shaped by three formant-like peaks) in 4–5 syllables a second, with noisy
 * "fricatives" between some syllables and short pauses between words.
 */
export function speechLike(seconds: number, sampleRate: number, seed = 7): AudioClip {
  const random = seededRandom(seed);
  const samples = new Int16Array(Math.round(seconds * sampleRate));
  const formants = [500, 1500, 2500];
  let phase = 0;
  for (let i = 0; i < samples.length; i++) {
    const t = i / sampleRate;
    const pitch = 140 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * pitch) / sampleRate;
    let voiced = 0;
    for (let h = 1; h * pitch < 4000; h++) {
      const weight = formants.reduce((w, f) => w + 1 / (1 + ((h * pitch - f) / 150) ** 2), 0) / h;
      voiced += weight * Math.sin(h * phase);
    }
    const syllable = (t * 4.5) % 1;
    const envelope = Math.sin(Math.PI * Math.min(1, syllable / 0.7)) ** 2;
    const word = (t * 1.5) % 1 < 0.85 ? 1 : 0; // a pause after every third syllable or so
    const fricative = syllable > 0.75 && Math.floor(t * 4.5) % 3 === 1 ? (2 * random() - 1) * 0.15 : 0;
    samples[i] = Math.round((0.25 * voiced * envelope + fricative) * word * 32767 * 0.6);
  }
  return { samples, sampleRate };
}
