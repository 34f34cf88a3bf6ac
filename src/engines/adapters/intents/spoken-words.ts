import { MAX_SPELLED_NUMBER, numberToWords } from './number-words.js';

/**
 * The words of a text as a recogniser would write them, so typed and spoken input compare
 * alike: lower-case, punctuation dropped (apostrophes inside a word kept: "what's",
 * "o'clock"), hyphens and other marks split words, and whole numbers up to 999,999
 * spelled out ("10" → "ten", "25" → "twenty five").
 */
export function spokenWords(text: string): string[] {
  const words: string[] = [];
  for (const token of text.toLowerCase().split(/[^\p{L}\p{N}\p{M}']+/u)) {
    const word = token.replace(/^'+|'+$/g, '');
    if (word === '') continue;
    if (/^\d+$/.test(word) && Number(word) <= MAX_SPELLED_NUMBER) {
      words.push(...numberToWords(Number(word)).split(' '));
    } else {
      words.push(word);
    }
  }
  return words;
}
