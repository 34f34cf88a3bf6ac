import { numberToWords, ordinalWords } from './number-words.js';

/** The parts of a moment on a wall clock in a time zone (the host's when none is given). */
function wallClock(now: Date, timeZone: string | undefined): Record<string, string> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    weekday: 'long',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(now);
  return Object.fromEntries(parts.map((part) => [part.type, part.value]));
}

/** Throws a RangeError for a name Intl does not know as an IANA time zone. */
export function checkTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}

/**
 * The time as it is said, for a TTS engine to read: "three o'clock in the afternoon",
 * "nine oh five in the morning", "twelve thirty at night".
 */
export function spokenTime(now: Date, timeZone?: string): string {
  const clock = wallClock(now, timeZone);
  const hour = Number(clock.hour) % 24;
  const minute = Number(clock.minute);
  const twelve = hour % 12 === 0 ? 12 : hour % 12;
  if (minute === 0 && hour === 12) return 'twelve noon';
  if (minute === 0 && hour === 0) return 'midnight';
  const minutes =
    minute === 0 ? "o'clock" : minute < 10 ? `oh ${numberToWords(minute)}` : numberToWords(minute);
  const partOfDay =
    hour < 5
      ? 'at night'
      : hour < 12
        ? 'in the morning'
        : hour < 18
          ? 'in the afternoon'
          : hour < 21
            ? 'in the evening'
            : 'at night';
  return `${numberToWords(twelve)} ${minutes} ${partOfDay}`;
}

/** The date as it is said: "Tuesday, the fourteenth of May, 2024". */
export function spokenDate(now: Date, timeZone?: string): string {
  const clock = wallClock(now, timeZone);
  return `${clock.weekday}, the ${ordinalWords(Number(clock.day))} of ${clock.month}, ${clock.year}`;
}
