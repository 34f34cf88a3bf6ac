import type { TimedText } from '../../ports/stt-engine.js';

/** One utterance as either decoder reports it: the hypothesis and every token with its times. */
export interface DecodedUtterance {
  text: string;
  /** Words and fillers, as [token, start s, end s]. */
  words: Array<[string, number, number]>;
}

export interface PocketsphinxResult {
  /** One per utterance pocketsphinx found (it splits the audio at silences). */
  segments: TimedText[];
  words: TimedText[];
}

/** `word start end posterior`, as `-time yes` prints for every token of an utterance. */
const TOKEN_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) ([\d.eE+-]+)$/;

/** Silence, sentence marks and noise: `<s>`, `</s>`, `<sil>`, `[SPEECH]`, `[NOISE]`, `++BREATH++`. */
function isFiller(token: string): boolean {
  return /^(<.*>|\[.*\]|\+\+.*\+\+)$/.test(token);
}

/** "was(2)" is the second pronunciation of "was". */
function wordOf(token: string): string {
  return token.replace(/\(\d+\)$/, '');
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/**
 * Utterances from pocketsphinx_continuous's stdout with `-time yes`: for each, a line with
 * the hypothesis, then one token line per word or filler with its start and end.
 */
export function parseCliOutput(stdout: string): DecodedUtterance[] {
  const utterances: DecodedUtterance[] = [];
  let current: DecodedUtterance | null = null;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const token = TOKEN_LINE.exec(line);
    if (token) {
      if (!current) {
        current = { text: '', words: [] };
        utterances.push(current);
      }
      current.words.push([token[1], Number(token[2]), Number(token[3])]);
      continue;
    }
    current = null;
    if (line !== '') {
      current = { text: line.replace(/\s+/g, ' '), words: [] };
      utterances.push(current);
    }
  }
  return utterances;
}

/**
 * Segments and words from decoded utterances: fillers dropped, pronunciation variants
 * named by their word; a segment's text is the hypothesis and its span runs from its first
 * to its last real word (utterances without words are silence and give no segment).
 */
export function resultOf(utterances: readonly DecodedUtterance[]): PocketsphinxResult {
  const segments: TimedText[] = [];
  const words: TimedText[] = [];
  for (const utterance of utterances) {
    const own = utterance.words
      .filter(([token]) => !isFiller(token))
      .map(([token, start, end]) => ({ text: wordOf(token), start: round(start), end: round(end) }));
    if (own.length === 0) continue;
    words.push(...own);
    segments.push({
      text: utterance.text.trim() || own.map((w) => w.text).join(' '),
      start: own[0].start,
      end: own[own.length - 1].end,
    });
  }
  return { segments, words };
}

/** pocketsphinx_continuous -time yes output → segments and words. */
export function parsePocketsphinxOutput(stdout: string): PocketsphinxResult {
  return resultOf(parseCliOutput(stdout));
}
