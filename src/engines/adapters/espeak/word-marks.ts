import type { WordTiming } from '../../ports/audio-clip.js';

/*
 * Word timings via SSML marks. espeak's own word events carry a text position that drifts
 * after entities, tags and emoji, and espeak splits or merges words its own way ("3.5" gives
 * three events), so they cannot be mapped back to the caller's words reliably. Instead each
 * word of the input is wrapped in <mark name="…s"/>word<mark name="…e"/>: the marks come
 * back with audio positions and their names say which word they belong to.
 *
 * A word is a whitespace-separated token with at least one letter or digit, trimmed of the
 * punctuation at its ends ("world." → "world", "<3" → "3"); tokens without letters or
 * digits ("&", "—", emoji) are spoken but get no timing.
 */

const MARK_PREFIX = '__sgw';
const startMark = (index: number) => `${MARK_PREFIX}${index}s`;
const endMark = (index: number) => `${MARK_PREFIX}${index}e`;

/** SSML for espeak with every word wrapped in marks, and the words in order. */
export interface MarkedInput {
  input: string;
  words: string[];
}

/** What the synthesis reported, in milliseconds. */
export interface SynthesisEvents {
  marks: ReadonlyMap<string, number>;
  /** Audio positions of espeak's own word events, ascending. */
  wordStartsMs: readonly number[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** One unit of escaped XML text: an entity reference or one code point. */
const UNIT = /&(?:#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|[\s\S]/gu;
const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
/** Tags, comments and CDATA of SSML; the text between them is what gets spoken. */
const MARKUP = /(<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[^>]*>)/;

function decodeUnit(unit: string): string {
  if (unit.length === 1 || !unit.startsWith('&')) return unit;
  const body = unit.slice(1, -1);
  if (!body.startsWith('#')) return ENTITIES[body] ?? '';
  const codePoint = body.startsWith('#x') ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '';
}

/**
 * Wraps the words of one run of escaped XML text. The raw units are copied unchanged (so the
 * caller's SSML means exactly what it did) and decoded only to decide what is a word.
 */
function markTextRun(raw: string, words: string[]): string {
  return raw.replace(/\S+/g, (token) => {
    const units = token.match(UNIT) ?? [];
    const decoded = units.map(decodeUnit);
    if (!HAS_WORD_CHAR.test(decoded.join(''))) return token;
    const first = decoded.findIndex((unit) => WORD_CHAR.test(unit));
    const last = decoded.findLastIndex((unit) => WORD_CHAR.test(unit));
    const index = words.length;
    words.push(decoded.slice(first, last + 1).join(''));
    return (
      units.slice(0, first).join('') +
      `<mark name="${startMark(index)}"/>` +
      units.slice(first, last + 1).join('') +
      `<mark name="${endMark(index)}"/>` +
      units.slice(last + 1).join('')
    );
  });
}

/** The input for espeak with marks around each word; `text` is SSML when `ssml` is set. */
export function markWords(text: string, ssml: boolean, escape: (plain: string) => string): MarkedInput {
  const words: string[] = [];
  if (!ssml) return { input: markTextRun(escape(text), words), words };
  // split() with a capture group alternates text (even indexes) and markup (odd indexes).
  const parts = text.split(MARKUP);
  const input = parts.map((part, i) => (i % 2 === 0 ? markTextRun(part, words) : part)).join('');
  return { input, words };
}

/**
 * Timings for `words` from the marks. Two espeak quirks are handled: a start mark right after
 * a sentence-ending "." is dropped (espeak reads past it while deciding whether the sentence
 * ends), and a start mark after other pauses (quotes, brackets) fires at the start of the
 * pause. In both cases espeak's first own word event inside the word's span is the true start.
 * End marks arrive reliably and sit where the word's sound ends (before any pause).
 */
export function alignWords(
  words: readonly string[],
  events: SynthesisEvents,
  durationSeconds: number,
): WordTiming[] {
  const totalMs = durationSeconds * 1000;
  const timings: WordTiming[] = [];
  let previousEndMs = 0;
  for (let i = 0; i < words.length; i++) {
    const markedStart = events.marks.get(startMark(i));
    const markedEnd = events.marks.get(endMark(i));
    const lower = markedStart ?? previousEndMs;
    const upper = markedEnd ?? nextMarkMs(events, i + 1, words.length) ?? totalMs;
    const wordEvent = events.wordStartsMs.find((ms) => ms >= lower && ms < upper);
    const startMs = Math.min(Math.max(wordEvent ?? lower, previousEndMs), totalMs);
    const endMs = Math.min(Math.max(markedEnd ?? upper, startMs), totalMs);
    timings.push({ word: words[i], start: startMs / 1000, end: endMs / 1000 });
    previousEndMs = endMs;
  }
  return timings;
}

/** Where the next word with any mark begins: the bound of a word whose end mark is missing. */
function nextMarkMs(events: SynthesisEvents, from: number, count: number): number | undefined {
  for (let j = from; j < count; j++) {
    const ms = events.marks.get(startMark(j)) ?? events.marks.get(endMark(j));
    if (ms !== undefined) return ms;
  }
  return undefined;
}
