import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as yaml from 'js-yaml';
import { EngineOptionsError } from '../../ports/engine-factory.js';
import {
  parseSentenceTemplate,
  SLOT_NAME,
  type TemplateNode,
  templateSlots,
  TemplateSyntaxError,
} from './sentence-template.js';
import { spokenWords } from './spoken-words.js';

/** One value of a slot list: what the client gets, and the words that say it. */
export interface SlotValue {
  /** Reported in the reply's slots (`out:`; the spoken text itself for plain entries). */
  value: string;
  /** Said in replies: the first spoken form as written ("living room"). */
  spokenName: string;
  /** Every way to say it, as words ("living room", "lounge"). */
  spoken: ReadonlyArray<readonly string[]>;
}

export interface IntentSentence {
  /** As written, for messages. */
  text: string;
  template: TemplateNode;
}

export interface IntentDefinition {
  name: string;
  sentences: readonly IntentSentence[];
  /** `{slot}`, `{time}` and `{date}` are filled in when it is said. */
  response: string;
}

/** A closed set of sentences and what to answer to each. */
export interface IntentsCatalog {
  intents: readonly IntentDefinition[];
  lists: ReadonlyMap<string, readonly SlotValue[]>;
  /** The answer when nothing matches (the reply then says understood: false). */
  noMatchReply: string;
}

/** Values a response can name besides the intent's slots, filled in from the gateway's clock. */
export const BUILT_IN_VALUES = ['time', 'date'] as const;
export const DEFAULT_NO_MATCH_REPLY = "Sorry, I didn't understand that.";

const INTENT_KEYS = ['name', 'sentences', 'response'];
/** The keys an intents document (the file, or the inline options) may hold. */
export const DOCUMENT_KEYS = ['intents', 'lists', 'no_match_reply'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(where: string, problem: string): never {
  throw new EngineOptionsError(`${where}: ${problem}`);
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(where, 'must be a non-empty string');
  return value.trim();
}

function spokenForm(phrase: string, where: string): string[] {
  const words = spokenWords(phrase);
  if (words.length === 0) fail(where, `'${phrase}' holds no words`);
  return words;
}

function parseSlotValue(entry: unknown, where: string): SlotValue {
  if (typeof entry === 'string' || typeof entry === 'number') {
    const phrase = String(entry).trim();
    return { value: phrase, spokenName: phrase, spoken: [spokenForm(phrase, where)] };
  }
  if (!isRecord(entry)) fail(where, 'must be a string or { in: …, out: … }');
  for (const key of Object.keys(entry)) {
    if (key !== 'in' && key !== 'out') fail(`${where}.${key}`, 'is not a slot value key (known: in, out)');
  }
  const spokenIn = Array.isArray(entry.in) ? entry.in : [entry.in];
  if (spokenIn.length === 0) fail(`${where}.in`, 'must name at least one way to say the value');
  const phrases = spokenIn.map((phrase, index) =>
    text(
      typeof phrase === 'number' ? String(phrase) : phrase,
      Array.isArray(entry.in) ? `${where}.in[${index}]` : `${where}.in`,
    ),
  );
  const out = typeof entry.out === 'number' ? String(entry.out) : text(entry.out, `${where}.out`);
  return {
    value: out,
    spokenName: phrases[0],
    spoken: phrases.map((phrase, index) => spokenForm(phrase, `${where}.in[${index}]`)),
  };
}

function parseLists(raw: unknown, where: string, into: Map<string, SlotValue[]>): void {
  if (raw === undefined) return;
  if (!isRecord(raw)) fail(where, 'must be a mapping of list names to their values');
  for (const [name, values] of Object.entries(raw)) {
    const at = `${where}.${name}`;
    if (!SLOT_NAME.test(name)) fail(at, 'a list name may hold lower-case letters, digits and _ only');
    if ((BUILT_IN_VALUES as readonly string[]).includes(name)) fail(at, `'${name}' is a built-in value`);
    if (!Array.isArray(values) || values.length === 0) fail(at, 'must be a non-empty list of values');
    const parsed = values.map((value, index) => parseSlotValue(value, `${at}[${index}]`));
    const outs = parsed.map((value) => value.value);
    const twice = outs.find((value, index) => outs.indexOf(value) !== index);
    if (twice !== undefined) fail(at, `lists the value '${twice}' twice`);
    into.set(name, parsed);
  }
}

function responseNames(response: string, where: string): string[] {
  const names: string[] = [];
  for (const piece of response.split(/(\{[^{}]*\})/)) {
    if (piece.startsWith('{')) {
      const name = piece.slice(1, -1).trim();
      if (!SLOT_NAME.test(name)) fail(where, `'${piece}' is not a slot name`);
      names.push(name);
    } else if (piece.includes('{') || piece.includes('}')) {
      fail(where, 'unbalanced braces');
    }
  }
  return names;
}

function parseIntent(raw: unknown, where: string): IntentDefinition & { where: string } {
  if (!isRecord(raw)) fail(where, 'must be { name, sentences, response }');
  for (const key of Object.keys(raw)) {
    if (!INTENT_KEYS.includes(key))
      fail(`${where}.${key}`, `is not an intent key (known: ${INTENT_KEYS.join(', ')})`);
  }
  const name = text(raw.name, `${where}.name`);
  const at = `${where} (${name})`;
  if (!Array.isArray(raw.sentences) || raw.sentences.length === 0) {
    fail(`${at}.sentences`, 'must be a non-empty list of sentence templates');
  }
  const sentences = raw.sentences.map((sentence, index) => {
    const template = text(sentence, `${at}.sentences[${index}]`);
    try {
      return { text: template, template: parseSentenceTemplate(template) };
    } catch (error) {
      if (error instanceof TemplateSyntaxError) fail(`${at}.sentences[${index}]`, error.message);
      throw error;
    }
  });
  return { name, sentences, response: text(raw.response, `${at}.response`), where: at };
}

/** Where an intents document comes from: inline options, or a YAML file. */
export interface IntentsSource {
  document: Readonly<Record<string, unknown>>;
  /** Prefix for messages: "options" or "options.intents_file (/abs/intents.yaml)". */
  where: string;
}

/** Reads `intents_file`; a relative path resolves against `baseDir` (config.yaml's folder). */
export function readIntentsFile(path: string, baseDir: string): IntentsSource {
  const absolute = isAbsolute(path) ? path : resolve(baseDir, path);
  const where = `options.intents_file (${absolute})`;
  let loaded: unknown;
  try {
    loaded = yaml.load(readFileSync(absolute, 'utf8'));
  } catch (error) {
    fail(
      where,
      error instanceof yaml.YAMLException
        ? `is not valid YAML: ${error.message}`
        : `cannot be read: ${(error as Error).message}`,
    );
  }
  if (!isRecord(loaded)) fail(where, 'must be a mapping with intents:, lists: and no_match_reply:');
  for (const key of Object.keys(loaded)) {
    if (!DOCUMENT_KEYS.includes(key))
      fail(`${where} ${key}`, `is not a key of an intents file (known: ${DOCUMENT_KEYS.join(', ')})`);
  }
  return { document: loaded, where };
}

/**
 * Builds the catalog from its sources in order (the file first, then the inline options):
 * intents add up (a name may appear once), a list or no_match_reply given later replaces
 * the earlier one. Every template is parsed and every slot checked against the lists.
 */
export function buildIntentsCatalog(sources: readonly IntentsSource[]): IntentsCatalog {
  const lists = new Map<string, SlotValue[]>();
  const intents: Array<IntentDefinition & { where: string }> = [];
  let noMatchReply = DEFAULT_NO_MATCH_REPLY;
  for (const { document, where } of sources) {
    parseLists(document.lists, `${where}.lists`, lists);
    if (document.no_match_reply !== undefined)
      noMatchReply = text(document.no_match_reply, `${where}.no_match_reply`);
    if (document.intents === undefined) continue;
    if (!Array.isArray(document.intents))
      fail(`${where}.intents`, 'must be a list of { name, sentences, response }');
    document.intents.forEach((raw, index) => intents.push(parseIntent(raw, `${where}.intents[${index}]`)));
  }
  if (intents.length === 0) {
    throw new EngineOptionsError(
      'options: no intents are defined (give options.intents_file or options.intents)',
    );
  }
  const names = new Set<string>();
  for (const intent of intents) {
    if (names.has(intent.name)) fail(intent.where, `the intent name '${intent.name}' is used twice`);
    names.add(intent.name);
    const slots = new Set<string>();
    intent.sentences.forEach(({ template }, index) => {
      for (const slot of templateSlots(template)) {
        if ((BUILT_IN_VALUES as readonly string[]).includes(slot)) {
          fail(
            `${intent.where}.sentences[${index}]`,
            `{${slot}} is a built-in value for responses, not a slot list`,
          );
        }
        if (!lists.has(slot)) {
          fail(
            `${intent.where}.sentences[${index}]`,
            `the slot {${slot}} has no list (define lists.${slot})`,
          );
        }
        slots.add(slot);
      }
    });
    for (const name of responseNames(intent.response, `${intent.where}.response`)) {
      if (!slots.has(name) && !(BUILT_IN_VALUES as readonly string[]).includes(name)) {
        fail(
          `${intent.where}.response`,
          `{${name}} is neither a slot of its sentences nor one of ${BUILT_IN_VALUES.join(', ')}`,
        );
      }
    }
  }
  return { intents: intents.map(({ where: _where, ...intent }) => intent), lists, noMatchReply };
}
