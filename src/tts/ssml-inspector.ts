/**
 * What SSML markup asks of the engine that bears on how long the audio gets: its pauses
 * and its speaking rates. It reads markup the way espeak-ng (the one engine that takes
 * SSML) does, not the way an XML parser would, because that is what decides the audio:
 *
 * - a tag is `<` followed by a letter, `/`, `!` or `?`, up to the first `>` (comments
 *   included: `<!-- > <break time="9s"/> -->` is a comment and then a real break);
 * - tag names are case-insensitive, attribute names are not, and an attribute is found
 *   wherever its name follows a space, even inside another attribute's value. Every such
 *   occurrence is read, and the longest pause (slowest rate) among them counts;
 * - `<break time>` is a number and `s` or `ms`; `strength` a named level;
 * - `<prosody rate>` is a named rate (relative to the voice's rate), a percentage, a
 *   factor or semitones (relative to the rate in force); nested rates multiply.
 *
 * Markup it cannot read for certain is refused rather than guessed at, and so is
 * `<audio>`: espeak-ng would read the named file from the server's disk (and the installed
 * program hands it to a shell command). Everything else passes through untouched.
 */

/** Pause per break strength, seconds: above espeak-ng's own (0.07–0.8 s), as other engines pause longer. */
const BREAK_STRENGTH_SECONDS: Readonly<Record<string, number>> = {
  none: 0,
  'x-weak': 0.25,
  weak: 0.5,
  medium: 0.75,
  strong: 1,
  'x-strong': 1.5,
};
/** A bare <break/> is a medium one. */
const DEFAULT_BREAK_SECONDS = BREAK_STRENGTH_SECONDS.medium ?? 0.75;

/** Named rates, as fractions of the voice's own rate (espeak-ng's values). */
const NAMED_RATES: Readonly<Record<string, number>> = {
  default: 1,
  medium: 1,
  'x-slow': 0.6,
  slow: 0.8,
  fast: 1.25,
  'x-fast': 1.6,
};

/** Longer tags are cut by espeak-ng and the rest read as text: refused, so nothing hides there. */
const MAX_TAG_LENGTH = 256;

const TIME = /^(\d+(?:\.\d+)?)(ms|s)$/i;
const RATE = /^([+-]?)(\d+(?:\.\d+)?|\.\d+)(%|st)?$/;

export interface SsmlInspection {
  /** The longest single pause, seconds. */
  longestPauseSeconds: number;
  /** All pauses together, seconds. */
  totalPauseSeconds: number;
  /** The slowest rate any text is spoken at, as a fraction of the request's own rate (1 = unchanged). */
  slowestRate: number;
}

export interface SsmlLimits {
  maxBreakSeconds: number;
  maxTotalPauseSeconds: number;
  minProsodyRatePercent: number;
}

/** Markup the gateway will not pass to an engine; the message is shown to the client. */
export class SsmlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SsmlRefused';
  }
}

interface Tag {
  /** Lower-cased, without a leading `/`. */
  name: string;
  closing: boolean;
  selfClosing: boolean;
  /** Everything after the name, starting with the whitespace that ends it. */
  attributes: string;
}

/** Pauses and rates of SSML `text`; throws SsmlRefused for markup it will not pass on. */
export function inspectSsml(text: string): SsmlInspection {
  const inspection: SsmlInspection = { longestPauseSeconds: 0, totalPauseSeconds: 0, slowestRate: 1 };
  /** Rates in force: the request's own, then one per open <prosody>. */
  const rates: number[] = [1];
  for (const tag of tagsOf(text)) {
    if (tag.name === 'audio' && !tag.closing) {
      throw new SsmlRefused('<audio> is not supported: the gateway does not play files.');
    }
    if (tag.name === 'break' && !tag.closing) {
      const seconds = breakSeconds(tag.attributes);
      inspection.longestPauseSeconds = Math.max(inspection.longestPauseSeconds, seconds);
      inspection.totalPauseSeconds += seconds;
    }
    if (tag.name === 'prosody') {
      if (tag.closing) {
        if (rates.length > 1) rates.pop();
      } else if (!tag.selfClosing) {
        // A self-closing <prosody/> changes nothing (espeak-ng ignores it).
        const current = rates[rates.length - 1] ?? 1;
        const rate = prosodyRate(tag.attributes, current);
        rates.push(rate);
        inspection.slowestRate = Math.min(inspection.slowestRate, rate);
      }
    }
  }
  return inspection;
}

/** Why the inspected markup exceeds the limits (the client's wording), or undefined. */
export function ssmlLimitViolation(inspection: SsmlInspection, limits: SsmlLimits): string | undefined {
  if (inspection.longestPauseSeconds > limits.maxBreakSeconds) {
    return `a <break> of ${round(inspection.longestPauseSeconds)} s is longer than the ${limits.maxBreakSeconds} s allowed (routers.core.tts.ssml.max_break_seconds)`;
  }
  if (inspection.totalPauseSeconds > limits.maxTotalPauseSeconds) {
    return `the breaks add up to ${round(inspection.totalPauseSeconds)} s, more than the ${limits.maxTotalPauseSeconds} s allowed (routers.core.tts.ssml.max_total_pause_seconds)`;
  }
  if (inspection.slowestRate * 100 < limits.minProsodyRatePercent) {
    return `a <prosody rate> of ${round(inspection.slowestRate * 100)}% is slower than the ${limits.minProsodyRatePercent}% allowed (routers.core.tts.ssml.min_prosody_rate_percent)`;
  }
  return undefined;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function* tagsOf(text: string): Generator<Tag> {
  let at = text.indexOf('<');
  while (at !== -1) {
    const next = text.charAt(at + 1);
    if (!/^[A-Za-z/!?]$/.test(next)) {
      at = text.indexOf('<', at + 1);
      continue;
    }
    const end = text.indexOf('>', at + 1);
    // espeak-ng reads an unterminated tag to the end of the text: nothing after it is spoken.
    const body = text.slice(at + 1, end === -1 ? text.length : end);
    if (body.length > MAX_TAG_LENGTH) {
      throw new SsmlRefused(`a tag is longer than ${MAX_TAG_LENGTH} characters.`);
    }
    if (body.includes('<')) {
      throw new SsmlRefused(`a tag contains '<' (write &lt; for the character): <${body.slice(0, 40)}.`);
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const nameLength = inner.search(/\s/) === -1 ? inner.length : inner.search(/\s/);
    const rawName = inner.slice(0, nameLength).toLowerCase();
    const closing = rawName.startsWith('/');
    yield {
      name: closing ? rawName.slice(1) : rawName,
      closing,
      selfClosing,
      attributes: `${inner.slice(nameLength)} `,
    };
    if (end === -1) return;
    at = text.indexOf('<', end + 1);
  }
}

/**
 * Every value espeak-ng could take for attribute `name`: wherever the name follows
 * whitespace, then optional `=`, then a quoted value or a bare word.
 */
function attributeValues(attributes: string, name: string): string[] {
  const values: string[] = [];
  let at = attributes.indexOf(name);
  while (at !== -1) {
    if (at > 0 && /\s/.test(attributes.charAt(at - 1))) {
      let i = at + name.length;
      while (/\s/.test(attributes.charAt(i))) i++;
      if (attributes.charAt(i) === '=') i++;
      while (/\s/.test(attributes.charAt(i))) i++;
      const quote = attributes.charAt(i);
      if (quote === '"' || quote === "'") {
        const close = attributes.indexOf(quote, i + 1);
        values.push(attributes.slice(i + 1, close === -1 ? attributes.length : close));
      } else {
        const rest = attributes.slice(i);
        const stop = rest.search(/[\s/]/);
        values.push(stop === -1 ? rest : rest.slice(0, stop));
      }
    }
    at = attributes.indexOf(name, at + 1);
  }
  return values;
}

function breakSeconds(attributes: string): number {
  const times = attributeValues(attributes, 'time');
  const strengths = attributeValues(attributes, 'strength');
  let seconds = times.length === 0 && strengths.length === 0 ? DEFAULT_BREAK_SECONDS : 0;
  for (const time of times) {
    const match = TIME.exec(time);
    if (!match) {
      throw new SsmlRefused(
        `<break time="${time.slice(0, 40)}"> is not a time: write seconds or milliseconds, e.g. "2s" or "500ms".`,
      );
    }
    const value = Number(match[1]);
    seconds = Math.max(seconds, match[2]?.toLowerCase() === 'ms' ? value / 1000 : value);
  }
  for (const strength of strengths) {
    const value = Object.hasOwn(BREAK_STRENGTH_SECONDS, strength)
      ? BREAK_STRENGTH_SECONDS[strength]
      : undefined;
    if (value === undefined) {
      throw new SsmlRefused(
        `<break strength="${strength.slice(0, 40)}"> is not a strength: use one of ${Object.keys(BREAK_STRENGTH_SECONDS).join(', ')}.`,
      );
    }
    seconds = Math.max(seconds, value);
  }
  return seconds;
}

/** The rate a <prosody> sets, as a fraction of the request's rate; the slowest reading when several. */
function prosodyRate(attributes: string, current: number): number {
  let slowest: number | undefined;
  for (const value of attributeValues(attributes, 'rate')) {
    const rate = rateOf(value, current);
    slowest = slowest === undefined ? rate : Math.min(slowest, rate);
  }
  return slowest ?? current;
}

function rateOf(value: string, current: number): number {
  if (Object.hasOwn(NAMED_RATES, value)) return NAMED_RATES[value] ?? 1;
  const match = RATE.exec(value.trim());
  if (!match) {
    throw new SsmlRefused(
      `<prosody rate="${value.slice(0, 40)}"> is not a rate: use x-slow … x-fast, a percentage ("80%", "-20%") or a factor ("0.8").`,
    );
  }
  const sign = match[1] === '-' ? -1 : match[1] === '+' ? 1 : 0;
  const number = Number(match[2]);
  switch (match[3]) {
    case '%':
      return (current * (sign === 0 ? number : 100 + sign * number)) / 100;
    case 'st':
      return current * 2 ** ((sign * number) / 12);
    default:
      return current * (sign === 0 ? number : 1 + sign * number);
  }
}
