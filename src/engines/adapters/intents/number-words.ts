const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
/** Ordinals of the words that change (the rest add "th"). */
const ORDINAL_ENDINGS: Readonly<Record<string, string>> = {
  one: 'first',
  two: 'second',
  three: 'third',
  five: 'fifth',
  eight: 'eighth',
  nine: 'ninth',
  twelve: 'twelfth',
};

/** Largest number spelled out; longer digit strings stay digits (and match nothing spoken). */
export const MAX_SPELLED_NUMBER = 999_999;

/**
 * A whole number 0–999,999 in words, separated by spaces as a recogniser writes them
 * ("twenty five", "one hundred five", "two thousand twenty four").
 */
export function numberToWords(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SPELLED_NUMBER) {
    throw new RangeError(`${value} is not a whole number from 0 to ${MAX_SPELLED_NUMBER}`);
  }
  if (value < 20) return ONES[value];
  if (value < 100) {
    const rest = value % 10;
    return rest === 0 ? TENS[value / 10] : `${TENS[Math.floor(value / 10)]} ${ONES[rest]}`;
  }
  if (value < 1000) {
    const rest = value % 100;
    const hundreds = `${ONES[Math.floor(value / 100)]} hundred`;
    return rest === 0 ? hundreds : `${hundreds} ${numberToWords(rest)}`;
  }
  const rest = value % 1000;
  const thousands = `${numberToWords(Math.floor(value / 1000))} thousand`;
  return rest === 0 ? thousands : `${thousands} ${numberToWords(rest)}`;
}

/** "first", "second", "twenty third", "thirtieth". */
export function ordinalWords(value: number): string {
  const words = numberToWords(value).split(' ');
  const last = words.pop() as string;
  const ordinal = ORDINAL_ENDINGS[last] ?? (last.endsWith('y') ? `${last.slice(0, -1)}ieth` : `${last}th`);
  return [...words, ordinal].join(' ');
}
