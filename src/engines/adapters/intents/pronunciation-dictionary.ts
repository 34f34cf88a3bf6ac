import { existsSync, readFileSync } from 'node:fs';

/** Debian's pocketsphinx-en-us dictionary: the one the default pocketsphinx entry decodes with. */
export const DEBIAN_POCKETSPHINX_DICTIONARY = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';

/**
 * The words of `words` that a CMU-format pronunciation dictionary (`word PH ON ES`,
 * alternatives as `word(2)`) does not hold, or undefined when the dictionary is not there
 * (no pocketsphinx installed: nothing to check against).
 */
export function wordsMissingFromDictionary(
  words: readonly string[],
  dictionaryPath = DEBIAN_POCKETSPHINX_DICTIONARY,
): string[] | undefined {
  if (!existsSync(dictionaryPath)) return undefined;
  const known = new Set<string>();
  for (const line of readFileSync(dictionaryPath, 'utf8').split('\n')) {
    const end = line.search(/[\s(]/);
    if (end > 0) known.add(line.slice(0, end).toLowerCase());
  }
  return words.filter((word) => !known.has(word));
}
