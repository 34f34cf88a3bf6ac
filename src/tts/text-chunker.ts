/**
 * Splits text into chunks of at most `maxChars`, cutting at the strongest boundary that
 * fits: paragraph, sentence, clause, then word; a single word longer than the limit is
 * cut hard. Chunks keep their punctuation, so each is spoken with natural intonation.
 *
 * `firstMaxChars` (streams): the first chunk is cut again, the same way, to at most this
 * many characters, so the first audio is synthesised (and sent) sooner; the rest of what
 * was the first chunk becomes the second. Only text longer than `firstMaxChars` is cut.
 */
export function splitIntoChunks(text: string, maxChars: number, firstMaxChars?: number): string[] {
  const chunks = splitEvenly(text, maxChars);
  const first = chunks[0];
  if (firstMaxChars === undefined || firstMaxChars <= 0 || first === undefined) return chunks;
  if (first.length <= firstMaxChars) return chunks;
  const [head, ...rest] = splitEvenly(first, firstMaxChars);
  return [head, rest.join(' '), ...chunks.slice(1)].filter((chunk) => chunk.length > 0);
}

function splitEvenly(text: string, maxChars: number): string[] {
  const chunks: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const units = splitKeeping(paragraph.replace(/\s+/g, ' ').trim(), SENTENCE_END);
    pack(
      units,
      maxChars,
      chunks,
      (unit) => splitKeeping(unit, CLAUSE_END),
      (unit) => unit.split(' '),
    );
  }
  return chunks.filter((chunk) => chunk.length > 0);
}

// A sentence ends at . ! ? … (and CJK equivalents) followed by space, or closing quotes/brackets then space.
const SENTENCE_END = /(?<=[.!?…。！？]["'”’)\]]*)\s+/;
const CLAUSE_END = /(?<=[,;:—–、，；：])\s+/;

function splitKeeping(text: string, boundary: RegExp): string[] {
  return text.split(boundary).filter((part) => part.length > 0);
}

/** Greedily packs units into chunks ≤ max, breaking oversized units with the finer splitters. */
function pack(
  units: string[],
  max: number,
  out: string[],
  ...finer: Array<(unit: string) => string[]>
): void {
  let current = '';
  const flush = () => {
    if (current) out.push(current);
    current = '';
  };
  for (const unit of units) {
    if (unit.length > max) {
      flush();
      const [next, ...rest] = finer;
      if (next) pack(next(unit), max, out, ...rest);
      else for (let i = 0; i < unit.length; i += max) out.push(unit.slice(i, i + max));
      continue;
    }
    const joined = current ? `${current} ${unit}` : unit;
    if (joined.length <= max) current = joined;
    else {
      flush();
      current = unit;
    }
  }
  flush();
}
