import { spokenWords } from './spoken-words.js';

/**
 * One sentence template, parsed: `(turn | switch) on [the] {area} light` is a sequence of
 * a choice, a word, an optional choice, a slot and a word. Alternatives and optional
 * parts hold whole words; they nest.
 */
export type TemplateNode =
  | { kind: 'word'; word: string }
  | { kind: 'slot'; name: string }
  | { kind: 'sequence'; items: TemplateNode[] }
  | { kind: 'choice'; options: TemplateNode[]; optional: boolean };

/** Why a template cannot be read; the message quotes the template. */
export class TemplateSyntaxError extends Error {
  constructor(template: string, problem: string) {
    super(`sentence "${template}": ${problem}`);
    this.name = 'TemplateSyntaxError';
  }
}

/** Slot names: what `{…}` may hold in sentences and responses. */
export const SLOT_NAME = /^[a-z_][a-z0-9_]*$/;
/** Deepest nesting of ( ) and [ ] (the recognition grammar has its own depth limit). */
export const MAX_TEMPLATE_DEPTH = 16;

type Token =
  | { kind: 'open' | 'close'; bracket: string }
  | { kind: 'bar' }
  | { kind: 'slot'; name: string }
  | { kind: 'words'; words: string[] };

const CLOSING: Readonly<Record<string, string>> = { '(': ')', '[': ']' };

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  for (const piece of template.split(/(\{[^{}]*\}|[()[\]|{}])/)) {
    if (piece === '(' || piece === '[') tokens.push({ kind: 'open', bracket: piece });
    else if (piece === ')' || piece === ']') tokens.push({ kind: 'close', bracket: piece });
    else if (piece === '|') tokens.push({ kind: 'bar' });
    else if (piece === '{' || piece === '}') {
      throw new TemplateSyntaxError(template, `unbalanced braces: a '${piece}' without its pair`);
    } else if (piece.startsWith('{')) {
      const name = piece.slice(1, -1).trim();
      if (!SLOT_NAME.test(name)) {
        throw new TemplateSyntaxError(
          template,
          `'${piece}' is not a slot name (lower-case letters, digits, _)`,
        );
      }
      tokens.push({ kind: 'slot', name });
    } else {
      const words = spokenWords(piece);
      if (words.length > 0) tokens.push({ kind: 'words', words });
    }
  }
  return tokens;
}

class TemplateParser {
  private at = 0;
  private depth = 0;

  constructor(
    private readonly template: string,
    private readonly tokens: Token[],
  ) {}

  parse(): TemplateNode {
    const node = this.alternatives();
    const stray = this.tokens[this.at];
    if (stray?.kind === 'close') this.fail(`unbalanced brackets: a '${stray.bracket}' without its opening`);
    return node;
  }

  private alternatives(): TemplateNode {
    const options = [this.sequence()];
    while (this.tokens[this.at]?.kind === 'bar') {
      this.at++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0] : { kind: 'choice', options, optional: false };
  }

  private sequence(): TemplateNode {
    const items: TemplateNode[] = [];
    for (;;) {
      const token = this.tokens[this.at];
      if (token === undefined || token.kind === 'bar' || token.kind === 'close') break;
      this.at++;
      if (token.kind === 'words') items.push(...token.words.map((word) => ({ kind: 'word', word }) as const));
      else if (token.kind === 'slot') items.push({ kind: 'slot', name: token.name });
      else items.push(this.group(token.bracket));
    }
    if (items.length === 0) {
      this.fail(
        this.tokens.length === 0
          ? 'it holds no words'
          : 'an empty alternative (nothing between brackets or around a |)',
      );
    }
    return items.length === 1 ? items[0] : { kind: 'sequence', items };
  }

  private group(open: string): TemplateNode {
    const close = CLOSING[open];
    if (++this.depth > MAX_TEMPLATE_DEPTH) this.fail(`brackets nest more than ${MAX_TEMPLATE_DEPTH} deep`);
    const inner = this.alternatives();
    const token = this.tokens[this.at];
    if (token === undefined) this.fail(`unbalanced brackets: a '${open}' is not closed`);
    if (token.kind !== 'close' || token.bracket !== close) {
      this.fail(`unbalanced brackets: '${open}' closed by '${token.kind === 'close' ? token.bracket : '?'}'`);
    }
    this.at++;
    this.depth--;
    if (open === '[') {
      return { kind: 'choice', options: inner.kind === 'choice' ? inner.options : [inner], optional: true };
    }
    return inner;
  }

  private fail(problem: string): never {
    throw new TemplateSyntaxError(this.template, problem);
  }
}

export function parseSentenceTemplate(template: string): TemplateNode {
  return new TemplateParser(template, tokenize(template)).parse();
}

/** The slot names a template refers to, each once. */
export function templateSlots(node: TemplateNode, into = new Set<string>()): Set<string> {
  switch (node.kind) {
    case 'word':
      break;
    case 'slot':
      into.add(node.name);
      break;
    case 'sequence':
      for (const item of node.items) templateSlots(item, into);
      break;
    case 'choice':
      for (const option of node.options) templateSlots(option, into);
      break;
  }
  return into;
}
