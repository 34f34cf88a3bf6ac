import type { TimedText } from '../../../ports/stt-engine.js';

/*
 * Words as tone bursts: a stand-in for speech that a local fake transcription server can
 * "recognise" exactly, so a speech-to-text adapter's spec checks that the real audio
 * arrived intact (rate, length, sample format) and that timings come back in place. Each
 * word is a burst at its own frequency, separated by silence.
 */

/** The words the code book knows, each with its frequency in Hz (well apart, below 8 kHz/2). */
const CODE_BOOK: ReadonlyArray<readonly [string, number]> = [
  ['the', 300],
  ['quick', 450],
  ['brown', 600],
  ['fox', 750],
  ['jumps', 900],
  ['over', 1050],
  ['lazy', 1200],
  ['dog', 1350],
  ['hello', 1500],
  ['world', 1650],
];
export const TONE_WORD_SECONDS = 0.3;
export const TONE_GAP_SECONDS = 0.15;
const AMPLITUDE = 6000;
/** Frames quieter than this (RMS) are silence. */
const SILENCE_RMS = 500;
const FRAME_SECONDS = 0.01;

export const TONE_WORDS: readonly string[] = CODE_BOOK.map(([word]) => word);

/** The words as bursts at `sampleRate`, starting and ending with a gap. Unknown words throw. */
export function toneWordsAudio(words: readonly string[], sampleRate: number): Int16Array {
  const word = Math.round(TONE_WORD_SECONDS * sampleRate);
  const gap = Math.round(TONE_GAP_SECONDS * sampleRate);
  const samples = new Int16Array(gap + words.length * (word + gap));
  words.forEach((text, index) => {
    const entry = CODE_BOOK.find(([known]) => known === text.toLowerCase());
    if (!entry) throw new Error(`'${text}' is not a tone word (known: ${TONE_WORDS.join(', ')})`);
    const offset = gap + index * (word + gap);
    for (let i = 0; i < word; i++) {
      samples[offset + i] = Math.round(AMPLITUDE * Math.sin((2 * Math.PI * entry[1] * i) / sampleRate));
    }
  });
  return samples;
}

function nearestWord(frequency: number): string {
  let best = CODE_BOOK[0];
  for (const entry of CODE_BOOK)
    if (Math.abs(entry[1] - frequency) < Math.abs(best[1] - frequency)) best = entry;
  return best[0];
}

/** Finds the bursts in the audio and names each by its frequency (zero crossings), with its times. */
export function recogniseToneWords(samples: Int16Array, sampleRate: number): TimedText[] {
  const frame = Math.max(1, Math.round(FRAME_SECONDS * sampleRate));
  const words: TimedText[] = [];
  let start = -1;
  const close = (end: number) => {
    let crossings = 0;
    for (let i = start + 1; i < end; i++) if (samples[i - 1] < 0 !== samples[i] < 0) crossings++;
    const seconds = (end - start) / sampleRate;
    words.push({
      text: nearestWord(crossings / 2 / seconds),
      start: start / sampleRate,
      end: end / sampleRate,
    });
    start = -1;
  };
  for (let at = 0; at < samples.length; at += frame) {
    const end = Math.min(samples.length, at + frame);
    let sum = 0;
    for (let i = at; i < end; i++) sum += samples[i] * samples[i];
    const loud = Math.sqrt(sum / (end - at)) > SILENCE_RMS;
    if (loud && start < 0) start = at;
    if (!loud && start >= 0) close(at);
  }
  if (start >= 0) close(samples.length);
  return words;
}
