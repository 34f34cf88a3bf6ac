import type { IntentDefinition, IntentsCatalog, SlotValue } from './intents-catalog.js';
import type { TemplateNode } from './sentence-template.js';
import { spokenWords } from './spoken-words.js';

/** What a sentence matched: the intent and its slot values. */
export interface IntentMatch {
  intent: IntentDefinition;
  /** Slot name → the value matched. */
  slots: ReadonlyMap<string, SlotValue>;
}

type Slots = ReadonlyMap<string, SlotValue>;
interface Partial {
  at: number;
  slots: Slots;
}

/**
 * Matches a whole sentence against the catalog's templates, like Home Assistant's local
 * sentence matching: the input's words (spokenWords) must be exactly one of a template's
 * sentences. Intents are tried in catalog order, their sentences in order; the first
 * full match wins.
 */
export class IntentMatcher {
  constructor(private readonly catalog: IntentsCatalog) {}

  match(sentence: string): IntentMatch | undefined {
    const words = spokenWords(sentence);
    if (words.length === 0) return undefined;
    for (const intent of this.catalog.intents) {
      for (const { template } of intent.sentences) {
        for (const end of this.walk(template, words, { at: 0, slots: new Map() })) {
          if (end.at === words.length) return { intent, slots: end.slots };
        }
      }
    }
    return undefined;
  }

  /** Every way `node` can match `words` from `from.at` (lazily, so the first full match stops the search). */
  private *walk(node: TemplateNode, words: readonly string[], from: Partial): Generator<Partial> {
    switch (node.kind) {
      case 'word':
        if (words[from.at] === node.word) yield { at: from.at + 1, slots: from.slots };
        return;
      case 'slot':
        for (const value of this.catalog.lists.get(node.name) ?? []) {
          for (const spoken of value.spoken) {
            if (spoken.every((word, index) => words[from.at + index] === word)) {
              yield { at: from.at + spoken.length, slots: new Map(from.slots).set(node.name, value) };
            }
          }
        }
        return;
      case 'sequence':
        yield* this.walkSequence(node.items, 0, words, from);
        return;
      case 'choice':
        for (const option of node.options) yield* this.walk(option, words, from);
        if (node.optional) yield from;
        return;
    }
  }

  private *walkSequence(
    items: readonly TemplateNode[],
    index: number,
    words: readonly string[],
    from: Partial,
  ): Generator<Partial> {
    if (index === items.length) {
      yield from;
      return;
    }
    for (const next of this.walk(items[index], words, from)) {
      yield* this.walkSequence(items, index + 1, words, next);
    }
  }
}
