import type { IntentsCatalog } from './intents-catalog.js';
import type { TemplateNode } from './sentence-template.js';

/** Words JSGF reads as keywords: quoted, they are words again. */
const JSGF_KEYWORDS = new Set(['public', 'grammar', 'import']);

function jsgfWord(word: string): string {
  return JSGF_KEYWORDS.has(word) ? `"${word}"` : word;
}

function listRule(name: string): string {
  return `<list_${name}>`;
}

function expansion(node: TemplateNode): string {
  switch (node.kind) {
    case 'word':
      return jsgfWord(node.word);
    case 'slot':
      return listRule(node.name);
    case 'sequence':
      return node.items.map(expansion).join(' ');
    case 'choice': {
      const inner = node.options.map(expansion).join(' | ');
      return node.optional ? `[ ${inner} ]` : `( ${inner} )`;
    }
  }
}

/**
 * The JSGF grammar of every sentence the catalog understands: one rule per intent, one per
 * slot list (its spoken forms), and `<command>`, any one of the intents. Words are already
 * spoken words (lower-case letters, digits spelled out, no punctuation), so a recogniser
 * given this grammar writes exactly what the matcher reads.
 */
export function intentsGrammar(catalog: IntentsCatalog): string {
  const used = new Set<string>();
  const collect = (node: TemplateNode): void => {
    if (node.kind === 'slot') used.add(node.name);
    else if (node.kind === 'sequence') node.items.forEach(collect);
    else if (node.kind === 'choice') node.options.forEach(collect);
  };
  const intentRules = catalog.intents.map((intent, index) => {
    intent.sentences.forEach(({ template }) => collect(template));
    const body = intent.sentences.map(({ template }) => expansion(template)).join(' | ');
    return `<intent_${index}> = ${body}; // ${intent.name.replace(/[\r\n]/g, ' ')}`;
  });
  const listRules = [...used].map((name) => {
    const phrases = new Set(
      (catalog.lists.get(name) ?? []).flatMap((value) =>
        value.spoken.map((words) => words.map(jsgfWord).join(' ')),
      ),
    );
    return `${listRule(name)} = ${[...phrases].join(' | ')};`;
  });
  const command = catalog.intents.map((_intent, index) => `<intent_${index}>`).join(' | ');
  return [
    '#JSGF V1.0;',
    'grammar intents;',
    `public <command> = ${command};`,
    ...intentRules,
    ...listRules,
    '',
  ].join('\n');
}

/** Every word the grammar can recognise, each once, sorted. */
export function intentsVocabulary(catalog: IntentsCatalog): string[] {
  const words = new Set<string>();
  const collect = (node: TemplateNode): void => {
    if (node.kind === 'word') words.add(node.word);
    else if (node.kind === 'sequence') node.items.forEach(collect);
    else if (node.kind === 'choice') node.options.forEach(collect);
  };
  for (const intent of catalog.intents) intent.sentences.forEach(({ template }) => collect(template));
  for (const values of catalog.lists.values()) {
    for (const value of values) for (const spoken of value.spoken) spoken.forEach((word) => words.add(word));
  }
  return [...words].sort();
}
