import type { TimedText } from '../../ports/stt-engine.js';

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
 * Parses pocketsphinx_continuous's stdout with `-time yes`: for each utterance, a line
 * with the hypothesis, then one token line per word or filler with its start and end
 * (seconds from the start of the input). A segment's text is the hypothesis; its span
 * runs from its first to its last real word.
 */
export function parsePocketsphinxOutput(stdout: string): PocketsphinxResult {
  const segments: TimedText[] = [];
  const words: TimedText[] = [];
  let current: { text: string; words: TimedText[] } | null = null;
  const close = (): void => {
    if (current && current.words.length > 0) {
      segments.push({
        text: current.text || current.words.map((w) => w.text).join(' '),
        start: current.words[0].start,
        end: current.words[current.words.length - 1].end,
      });
    }
    current = null;
  };
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const token = TOKEN_LINE.exec(line);
    if (token) {
      current ??= { text: '', words: [] };
      if (isFiller(token[1])) continue;
      const word = { text: wordOf(token[1]), start: round(Number(token[2])), end: round(Number(token[3])) };
      current.words.push(word);
      words.push(word);
      continue;
    }
    close();
    if (line !== '') current = { text: line.replace(/\s+/g, ' '), words: [] };
  }
  close();
  return { segments, words };
}
