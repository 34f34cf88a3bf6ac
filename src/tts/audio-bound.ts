import type { SsmlInspection } from './ssml-inspector.js';

/**
 * Seconds of audio one character may become, measured on espeak-ng at its normal rate:
 * ordinary prose is about 0.06 s a character, but digits are read as numbers
 * ("1234567890" is 5.8 s), symbols and spelled letters as words ("{}" with punctuation
 * read out 0.63 s, "WWW" 0.42 s), and some non-ASCII characters as long names ("ǅ" 1.1 s,
 * "㍻" 0.9 s). Markup characters count too, which pays for the pauses tags such as <p> add.
 */
const ASCII_CHARACTER_SECONDS = 0.7;
const OTHER_CHARACTER_SECONDS = 1.5;

export interface AudioEstimate {
  /** What the text usually takes: characters at the configured rate, plus its SSML pauses. */
  ordinarySeconds: number;
  /** The most audio the text should be able to become (see ASCII_CHARACTER_SECONDS). */
  upperBoundSeconds: number;
}

/**
 * How long the audio of `text` may get, before any engine runs. Speech scales with 1/speed
 * and with the slowest SSML rate; pauses keep their length at any speed (espeak-ng keeps
 * them constant), so they shrink for nobody and grow for slow speeds only.
 */
export function estimateAudio(
  text: string,
  options: { speed: number; charsPerSecond: number; ssml?: SsmlInspection },
): AudioEstimate {
  const { speed, charsPerSecond, ssml } = options;
  let weight = 0;
  for (const character of text) {
    weight += (character.codePointAt(0) ?? 0) < 0x80 ? ASCII_CHARACTER_SECONDS : OTHER_CHARACTER_SECONDS;
  }
  const pauses = ssml?.totalPauseSeconds ?? 0;
  const slowest = Math.min(1, Math.max(ssml?.slowestRate ?? 1, Number.MIN_VALUE));
  const ordinarySeconds = text.length / charsPerSecond / speed + pauses;
  const upperBoundSeconds = weight / (speed * slowest) + pauses / Math.min(1, speed);
  return {
    ordinarySeconds,
    upperBoundSeconds: Math.max(upperBoundSeconds, ordinarySeconds),
  };
}
