import { EngineError } from '../../ports/engine-error.js';

/** A vocabulary entry: words of letters and apostrophes, separated by single spaces. */
const PHRASE = /^[a-z']+( [a-z']+)*$/;
export const MAX_VOCABULARY_PHRASES = 1000;

/**
 * A JSGF grammar that accepts any sequence of the given words or phrases, so recognition
 * can only ever produce them (commands, names, digits). Entries are lower-cased and
 * checked so no JSGF syntax can be injected through them.
 */
export function vocabularyGrammar(vocabulary: readonly string[]): string {
  const phrases = [
    ...new Set(vocabulary.map((entry) => entry.trim().toLowerCase().replace(/\s+/g, ' '))),
  ].filter(Boolean);
  if (phrases.length === 0 || phrases.length > MAX_VOCABULARY_PHRASES) {
    throw new EngineError(
      'invalid_input',
      `the vocabulary must list 1 to ${MAX_VOCABULARY_PHRASES} words or phrases`,
      'vocabulary',
    );
  }
  const bad = phrases.find((phrase) => !PHRASE.test(phrase));
  if (bad !== undefined) {
    throw new EngineError(
      'invalid_input',
      `vocabulary entry '${bad.slice(0, 40)}' may hold only letters, apostrophes and spaces`,
      'vocabulary',
    );
  }
  return `#JSGF V1.0;\ngrammar vocabulary;\npublic <utterance> = ( ${phrases.join(' | ')} )+ ;\n`;
}
