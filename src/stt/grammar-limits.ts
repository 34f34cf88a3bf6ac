/**
 * How much work a JSGF grammar asks of a decoder, measured before any decoder sees it.
 * pocketsphinx turns a grammar into a finite-state graph by copying every rule in place
 * of each reference to it, so a few hundred characters (`<a1> = <a0> <a0>; <a2> = <a1>
 * <a1>; …`) can double their way to millions of states: seconds of CPU and gigabytes of
 * memory. The grammar is parsed here (JSGF as pocketsphinx reads it) and measured the same
 * way, stopping as soon as a limit is passed, so the measurement itself stays cheap.
 */

export interface GrammarLimits {
  /** Rule definitions. */
  maxRules: number;
  /** Words and rule references once every reference is replaced by its rule (the graph's size). */
  maxExpansion: number;
  /** Nesting of brackets and rule references inside one another. */
  maxDepth: number;
}

export type GrammarLimitName = keyof GrammarLimits;

/** Why a grammar is refused: the message is safe to show the client. */
export interface GrammarProblem {
  message: string;
  /** The limit passed; absent when the grammar cannot be read at all. */
  limit?: GrammarLimitName;
}

type Node =
  | { kind: 'atom' } // a word, "a quoted phrase", <NULL> or <VOID>
  | { kind: 'ref'; name: string }
  | { kind: 'list'; items: Node[] } // a sequence or a set of alternatives: sizes add up
  | { kind: 'group'; inner: Node }; // ( … ) or [ … ]: one level deeper

interface Rule {
  name: string;
  body: Node;
}

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'rule'; name: string }
  | { kind: 'punct'; text: string }
  | { kind: 'keyword'; text: 'header' | 'grammar' | 'import' | 'public' }
  | { kind: 'skip' } // tags and weights: no effect on the graph's size
  | { kind: 'end' };

/** Thrown inside this module only; grammarProblem() turns it into its answer. */
class Refusal extends Error {
  constructor(readonly problem: GrammarProblem) {
    super(problem.message);
  }
}

function refuse(message: string, limit?: GrammarLimitName): never {
  throw new Refusal(limit ? { message, limit } : { message });
}

const PUNCTUATION = new Set([';', '=', '|', '*', '+', '(', ')', '[', ']']);
/** What ends a bare word, as in pocketsphinx's scanner. */
const WORD_END = /[\s;=|*+<>()[\]{}/"]/;

/** JSGF's tokens, as pocketsphinx's scanner reads them. */
class Lexer {
  private at = 0;

  constructor(private readonly text: string) {}

  next(): Token {
    const text = this.text;
    for (;;) {
      while (this.at < text.length && /\s/.test(text[this.at])) this.at++;
      if (text.startsWith('//', this.at)) {
        const end = text.indexOf('\n', this.at);
        this.at = end < 0 ? text.length : end + 1;
      } else if (text.startsWith('/*', this.at)) {
        const end = text.indexOf('*/', this.at + 2);
        this.at = end < 0 ? text.length : end + 2;
      } else break;
    }
    if (this.at >= text.length) return { kind: 'end' };
    const start = this.at;
    const char = text[start];
    if (PUNCTUATION.has(char)) {
      this.at++;
      return { kind: 'punct', text: char };
    }
    if (char === '<') {
      const end = text.indexOf('>', start + 1);
      const name = end < 0 ? '' : text.slice(start + 1, end);
      if (name === '' || name.includes('<')) this.fail('a rule name <…> is not closed');
      this.at = end + 1;
      return { kind: 'rule', name: name.trim() };
    }
    if (char === '{' || char === '"') {
      this.at = this.closing(char === '{' ? '}' : '"', start + 1);
      return char === '{' ? { kind: 'skip' } : { kind: 'word', text: text.slice(start, this.at) };
    }
    if (char === '/') {
      const weight = /^\/[0-9]*(\.[0-9]+)?\//.exec(text.slice(start, start + 64));
      if (!weight) this.fail("a '/' that starts no weight or comment");
      this.at += weight[0].length;
      return { kind: 'skip' };
    }
    while (this.at < text.length && !WORD_END.test(text[this.at])) this.at++;
    if (this.at === start) this.fail(`unexpected '${char}'`);
    const word = text.slice(start, this.at);
    if (word === '#JSGF') return { kind: 'keyword', text: 'header' };
    if (word === 'grammar' || word === 'import' || word === 'public') return { kind: 'keyword', text: word };
    return { kind: 'word', text: word };
  }

  /** Where a `{tag}` or `"quoted word"` ends (a backslash escapes the next character). */
  private closing(close: string, from: number): number {
    for (let at = from; at < this.text.length; at++) {
      if (this.text[at] === '\\') at++;
      else if (this.text[at] === close) return at + 1;
    }
    this.fail(`a '${close === '}' ? '{' : '"'}' is not closed`);
  }

  fail(what: string): never {
    const line = this.text.slice(0, this.at).split('\n').length;
    refuse(`The grammar is not valid JSGF: ${what} (line ${line}).`);
  }
}

/** The rules of a grammar, parsed as pocketsphinx's parser reads them (imports refused). */
class Parser {
  private token: Token;
  readonly rules: Rule[] = [];
  grammarName?: string;

  constructor(
    private readonly lexer: Lexer,
    private readonly limits: GrammarLimits,
  ) {
    this.token = lexer.next();
  }

  parse(): void {
    if (this.isKeyword('header')) this.skipStatement();
    if (this.isKeyword('grammar')) {
      this.advance();
      if (this.token.kind === 'word') this.grammarName = this.token.text;
      this.skipStatement();
    }
    while (this.token.kind !== 'end') {
      if (this.isKeyword('import')) {
        refuse('The grammar may not import other grammars: send one self-contained grammar.');
      }
      if (this.isKeyword('public')) this.advance();
      const token = this.token;
      if (token.kind !== 'rule') this.lexer.fail('a rule definition <name> = …; was expected');
      this.advance();
      this.expect('=');
      if (this.rules.length >= this.limits.maxRules) {
        refuse(`The grammar defines more than ${this.limits.maxRules} rules.`, 'maxRules');
      }
      this.rules.push({ name: this.localName(token.name), body: this.alternatives(0) });
      this.expect(';');
    }
  }

  /** `<grammar.rule>` naming this grammar is `<rule>`. */
  localName(name: string): string {
    const dot = name.lastIndexOf('.');
    if (dot > 0 && this.grammarName !== undefined && name.slice(0, dot) === this.grammarName) {
      return name.slice(dot + 1);
    }
    return name;
  }

  private alternatives(depth: number): Node {
    const options = [this.sequence(depth)];
    while (this.isPunct('|')) {
      this.advance();
      options.push(this.sequence(depth));
    }
    return options.length === 1 ? options[0] : { kind: 'list', items: options };
  }

  private sequence(depth: number): Node {
    while (this.token.kind === 'skip') this.advance(); // a weight
    const items: Node[] = [];
    for (;;) {
      const item = this.item(depth);
      if (!item) break;
      items.push(item);
    }
    if (items.length === 0) this.lexer.fail('an empty expansion');
    return items.length === 1 ? items[0] : { kind: 'list', items };
  }

  /** One word, reference or bracketed group with its `*`, `+` and tags; undefined at the end of a sequence. */
  private item(depth: number): Node | undefined {
    const token = this.token;
    let node: Node;
    if (token.kind === 'word') {
      this.advance();
      node = { kind: 'atom' };
    } else if (token.kind === 'rule') {
      this.advance();
      node =
        token.name === 'NULL' || token.name === 'VOID'
          ? { kind: 'atom' }
          : { kind: 'ref', name: this.localName(token.name) };
    } else if (this.isPunct('(') || this.isPunct('[')) {
      const close = this.isPunct('(') ? ')' : ']';
      if (depth + 1 > this.limits.maxDepth) {
        refuse(`The grammar nests brackets more than ${this.limits.maxDepth} deep.`, 'maxDepth');
      }
      this.advance();
      node = { kind: 'group', inner: this.alternatives(depth + 1) };
      this.expect(close);
    } else {
      return undefined;
    }
    // `*` and `+` loop back in the graph (no copies); tags change nothing.
    while (this.isPunct('*') || this.isPunct('+') || this.token.kind === 'skip') this.advance();
    return node;
  }

  private isPunct(text: string): boolean {
    return this.token.kind === 'punct' && this.token.text === text;
  }

  private isKeyword(text: string): boolean {
    return this.token.kind === 'keyword' && this.token.text === text;
  }

  private advance(): void {
    this.token = this.lexer.next();
  }

  private expect(text: string): void {
    if (!this.isPunct(text)) this.lexer.fail(`'${text}' was expected`);
    this.advance();
  }

  /** Header and `grammar name;` statements: everything up to their `;`. */
  private skipStatement(): void {
    while (this.token.kind !== 'end' && !this.isPunct(';')) this.advance();
    this.expect(';');
  }
}

interface Measure {
  /** Words and references, every reference expanded. */
  size: number;
  /** Deepest nesting below this node. */
  depth: number;
  /** Shallowest position on the rule stack that a recursive reference inside points back to. */
  reach: number;
}

/**
 * Expands references as pocketsphinx does: a rule is copied at each reference to it, a
 * reference to a rule already being expanded (recursion) is one link back. Sizes stop at
 * the limit (the walk ends there), and a rule whose expansion does not depend on where it
 * is used (no link back above it) is measured once.
 */
class Expansion {
  private readonly rules = new Map<string, Node>();
  private readonly stack: string[] = [];
  private readonly measured = new Map<string, { size: number; depth: number }>();

  constructor(
    rules: readonly Rule[],
    private readonly limits: GrammarLimits,
  ) {
    for (const rule of rules) this.rules.set(rule.name, rule.body);
  }

  /** The largest expansion of any rule. */
  largest(rules: readonly Rule[]): number {
    let largest = 0;
    for (const rule of rules) largest = Math.max(largest, this.measureRule(rule.name, rule.body, 0).size);
    return largest;
  }

  private measureRule(name: string, body: Node, depth: number): Measure {
    const known = this.measured.get(name);
    if (known) {
      this.checkDepth(depth + known.depth);
      return { size: known.size, depth: depth + known.depth, reach: Infinity };
    }
    const position = this.stack.length;
    this.stack.push(name);
    let inner: Measure;
    try {
      inner = this.measure(body, depth);
    } finally {
      this.stack.pop();
    }
    const own = { size: inner.size, depth: inner.depth - depth };
    if (inner.reach >= position) this.measured.set(name, own);
    return { size: own.size, depth: inner.depth, reach: inner.reach >= position ? Infinity : inner.reach };
  }

  private measure(node: Node, depth: number): Measure {
    switch (node.kind) {
      case 'atom':
        return { size: 1, depth, reach: Infinity };
      case 'group':
        this.checkDepth(depth + 1);
        return this.measure(node.inner, depth + 1);
      case 'list': {
        let size = 0;
        let deepest = depth;
        let reach = Infinity;
        for (const item of node.items) {
          const part = this.measure(item, depth);
          size = this.checkSize(size + part.size);
          deepest = Math.max(deepest, part.depth);
          reach = Math.min(reach, part.reach);
        }
        return { size, depth: deepest, reach };
      }
      case 'ref': {
        const back = this.stack.indexOf(node.name);
        if (back >= 0) return { size: 1, depth, reach: back };
        const body = this.rules.get(node.name);
        // An undefined rule is the decoder's error to report; it costs nothing here.
        if (!body) return { size: 1, depth, reach: Infinity };
        this.checkDepth(depth + 1);
        const rule = this.measureRule(node.name, body, depth + 1);
        return { size: this.checkSize(1 + rule.size), depth: rule.depth, reach: rule.reach };
      }
    }
  }

  private checkSize(size: number): number {
    if (size > this.limits.maxExpansion) {
      refuse(
        `The grammar expands to more than ${this.limits.maxExpansion} words and rule references.`,
        'maxExpansion',
      );
    }
    return size;
  }

  private checkDepth(depth: number): void {
    if (depth > this.limits.maxDepth) {
      refuse(`The grammar nests rules and brackets more than ${this.limits.maxDepth} deep.`, 'maxDepth');
    }
  }
}

/** What is wrong with a grammar under these limits, or undefined when a decoder may take it. */
export function grammarProblem(grammar: string, limits: GrammarLimits): GrammarProblem | undefined {
  try {
    const parser = new Parser(new Lexer(grammar), limits);
    parser.parse();
    if (parser.rules.length === 0) refuse('The grammar is not valid JSGF: it defines no rule.');
    new Expansion(parser.rules, limits).largest(parser.rules);
    return undefined;
  } catch (error) {
    if (error instanceof Refusal) return error.problem;
    throw error;
  }
}

/**
 * A vocabulary becomes a grammar of its distinct phrases (any of them, repeated), whose
 * graph holds each of their words once: those count against the same expansion limit.
 */
export function vocabularyProblem(
  vocabulary: readonly string[],
  limits: GrammarLimits,
): GrammarProblem | undefined {
  const phrases = new Set(vocabulary.map((phrase) => phrase.trim().toLowerCase().replace(/\s+/g, ' ')));
  let words = 0;
  for (const phrase of phrases) words += phrase.split(' ').filter(Boolean).length;
  if (words > limits.maxExpansion) {
    return {
      message: `The vocabulary holds more than ${limits.maxExpansion} words in all.`,
      limit: 'maxExpansion',
    };
  }
  return undefined;
}
