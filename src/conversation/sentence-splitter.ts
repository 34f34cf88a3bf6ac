/** Words ending in a full stop that do not end a sentence ("Dr. Smith", "e.g. this"). */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'no',
  'fig',
  'approx',
  'inc',
  'ltd',
  'co',
]);

/**
 * A sentence end: terminators (and closing quotes or brackets) followed by white space, a
 * line break, or a CJK full stop (no space follows those).
 */
const BOUNDARY = /([.!?…]+["'”’)\]]*)(\s+)|(\n+)|([。！？]+)/g;

/** Where a sentence too long to wait for may be cut instead: after a clause mark or a space. */
const CLAUSE = /[,;:–—]\s+/g;

export interface SentenceSplitterOptions {
  /**
   * A sentence still open at this many characters is cut at its last clause mark (or
   * space) so speech is never held back by one endless sentence. Default 250.
   */
  maxChars?: number;
}

/**
 * Cuts text that arrives in pieces (a chat engine's deltas) into sentences as soon as
 * each is complete, so the first can be spoken while the rest is still being written.
 * A full stop ends a sentence only once the white space after it has arrived: "3." may
 * still become "3.5". Pieces with nothing to speak (punctuation alone) are left out.
 */
export class SentenceSplitter {
  private buffer = '';
  private readonly maxChars: number;

  constructor(options: SentenceSplitterOptions = {}) {
    this.maxChars = options.maxChars ?? 250;
  }

  /** Adds a piece of text; answers the sentences it completed, in order. */
  push(delta: string): string[] {
    this.buffer += delta;
    const sentences: string[] = [];
    let start = 0;
    BOUNDARY.lastIndex = 0;
    for (let match = BOUNDARY.exec(this.buffer); match; match = BOUNDARY.exec(this.buffer)) {
      const terminator = match[1];
      const end = terminator !== undefined ? match.index + terminator.length : match.index + match[0].length;
      if (terminator !== undefined && terminator.startsWith('.') && terminator.length === 1) {
        if (isAbbreviation(this.buffer.slice(start, match.index))) continue;
      }
      const sentence = this.buffer.slice(start, end).trim();
      if (speakable(sentence)) sentences.push(sentence);
      start = match.index + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
    const cut = this.cutLongSentence();
    if (cut) sentences.push(cut);
    return sentences;
  }

  /** The text left once the whole reply has arrived (undefined when there is none). */
  flush(): string | undefined {
    const rest = this.buffer.trim();
    this.buffer = '';
    return speakable(rest) ? rest : undefined;
  }

  private cutLongSentence(): string | undefined {
    if (this.buffer.length < this.maxChars) return undefined;
    let at = -1;
    CLAUSE.lastIndex = 0;
    for (
      let match = CLAUSE.exec(this.buffer);
      match && match.index < this.maxChars;
      match = CLAUSE.exec(this.buffer)
    ) {
      at = match.index + match[0].length;
    }
    if (at <= 0) at = this.buffer.lastIndexOf(' ', this.maxChars) + 1;
    if (at <= 0) at = this.buffer.length; // one endless word: cut it whole
    const sentence = this.buffer.slice(0, at).trim();
    this.buffer = this.buffer.slice(at);
    return speakable(sentence) ? sentence : undefined;
  }
}

/** Punctuation alone is nothing to speak. */
function speakable(sentence: string): boolean {
  return /[\p{L}\p{N}]/u.test(sentence);
}

/** Whether the text before a single full stop ends in an abbreviation or an initial ("J."). */
function isAbbreviation(before: string): boolean {
  const word = /(\S+)$/.exec(before)?.[1];
  if (!word) return false;
  if (/^\p{Lu}$/u.test(word)) return true;
  return ABBREVIATIONS.has(word.toLowerCase().replace(/^["'(“‘]+/, ''));
}

/** A whole text's sentences (the splitter fed at once). */
export function splitSentences(text: string, options?: SentenceSplitterOptions): string[] {
  const splitter = new SentenceSplitter(options);
  const sentences = splitter.push(text);
  const rest = splitter.flush();
  return rest ? [...sentences, rest] : sentences;
}
