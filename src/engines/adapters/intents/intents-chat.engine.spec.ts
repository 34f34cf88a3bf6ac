import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { SttGrammarConfig } from '../../../config/config.schema.js';
import { grammarProblem } from '../../../stt/grammar-limits.js';
import { CHAT_ENGINE_FACTORIES } from '../../chat-engine-factories.js';
import type { ChatReply, ChatTurn } from '../../ports/chat-engine.js';
import type { EngineContext } from '../../ports/engine-factory.js';
import { runChatEngineContract } from '../../testing/chat-engine.contract.js';
import { throwsNamingOption } from '../../testing/engine-assertions.js';
import { TEST_ENGINE_CONTEXT } from '../../testing/test-engine-context.js';
import { IntentsChatEngine } from './intents-chat.engine.js';
import { intentsGrammar, intentsVocabulary } from './intents-grammar.js';
import { parseIntentsOptions } from './intents-options.js';
import { intentsChatEngineFactory } from './intents.factory.js';
import { DEBIAN_POCKETSPHINX_DICTIONARY, wordsMissingFromDictionary } from './pronunciation-dictionary.js';

/** The repository's config/ folder (this file runs from dist/src/engines/adapters/intents/). */
const CONFIG_DIR = fileURLToPath(new URL('../../../../../config/', import.meta.url));
const DEFAULTS = { intents_file: 'intents.yaml' };
const never = new AbortController().signal;
const context = (logger = pino({ level: 'silent' })): EngineContext => ({
  ...TEST_ENGINE_CONTEXT,
  logger,
  configDir: CONFIG_DIR,
});

function defaultEngine(now?: () => Date): IntentsChatEngine {
  return new IntentsChatEngine(
    'intents',
    { ...parseIntentsOptions(DEFAULTS, CONFIG_DIR), timeZone: 'UTC' },
    now,
  );
}

function say(engine: IntentsChatEngine, ...turns: Array<string | ChatTurn>): Promise<ChatReply> {
  const history = turns.map((turn) =>
    typeof turn === 'string' ? { role: 'user' as const, content: turn } : turn,
  );
  return engine.reply({ history }, never);
}

runChatEngineContract('intents (config/intents.yaml)', () =>
  intentsChatEngineFactory.create({ id: 'intents', options: DEFAULTS }, context()),
);
runChatEngineContract(
  'intents (no match)',
  () => intentsChatEngineFactory.create({ id: 'intents', options: DEFAULTS }, context()),
  { userText: 'make me a sandwich' },
);

void describe('IntentsChatEngine', () => {
  void it('is listed as type intents, an in-process (library) engine', () => {
    assert.equal(
      CHAT_ENGINE_FACTORIES.find((factory) => factory.type === 'intents'),
      intentsChatEngineFactory,
    );
    assert.equal(intentsChatEngineFactory.kind, 'library');
  });

  void it('answers the default intents with their slots, however the sentence is typed', async () => {
    const engine = defaultEngine(() => new Date('2024-05-14T13:05:00Z'));
    assert.deepEqual(await say(engine, 'Hello there!'), {
      text: 'Hello! How can I help you?',
      understood: true,
      intent: 'greeting',
      slots: {},
    });
    assert.deepEqual(await say(engine, 'Turn on the living-room lights.'), {
      text: 'Turning on the living room light.',
      understood: true,
      intent: 'light_on',
      slots: { area: 'living_room' },
    });
    const lounge = await say(engine, 'switch the LOUNGE light off');
    assert.equal(lounge.intent, 'light_off');
    assert.deepEqual(lounge.slots, { area: 'living_room' });
    assert.equal((await say(engine, 'What time is it?')).text, 'It is one oh five in the afternoon.');
    assert.equal(
      (await say(engine, "what's the date today")).text,
      'Today is Tuesday, the fourteenth of May, 2024.',
    );
    assert.equal((await say(engine, 'what can you do')).intent, 'help');
  });

  void it('answers the last user turn and ignores system turns', async () => {
    const engine = defaultEngine();
    const reply = await say(
      engine,
      'hello',
      { role: 'assistant', content: 'Hello! How can I help you?' },
      'turn off the kitchen light',
      { role: 'system', content: 'hello' },
    );
    assert.equal(reply.intent, 'light_off');
    assert.deepEqual(reply.slots, { area: 'kitchen' });
  });

  void it('gives no_match_reply with understood: false for anything else', async () => {
    const reply = await say(defaultEngine(), 'turn on the attic light');
    assert.deepEqual(reply, {
      text: "Sorry, I didn't understand that. Say help to hear what I can do.",
      understood: false,
    });
  });

  void it('matches digits and words alike, and takes inline intents and lists with the file', async () => {
    const engine = new IntentsChatEngine(
      'intents',
      parseIntentsOptions(
        {
          ...DEFAULTS,
          intents: [
            {
              name: 'timer',
              sentences: ['set [a] timer for {minutes} minutes'],
              response: 'Timer set for {minutes} minutes.',
            },
          ],
          lists: { minutes: [5, 10, { in: 'half an hour', out: 30 }] },
          no_match_reply: 'Pardon?',
        },
        CONFIG_DIR,
      ),
    );
    assert.deepEqual(await say(engine, 'Set a timer for 10 minutes'), {
      text: 'Timer set for 10 minutes.',
      understood: true,
      intent: 'timer',
      slots: { minutes: '10' },
    });
    assert.equal((await say(engine, 'set timer for ten minutes')).slots?.minutes, '10');
    assert.equal((await say(engine, 'set timer for half an hour minutes')).slots?.minutes, '30');
    assert.equal((await say(engine, 'hi')).intent, 'greeting');
    assert.equal((await say(engine, 'set a timer for 7 minutes')).text, 'Pardon?');
  });

  void it('reports its id as its model unless models are given', () => {
    assert.deepEqual(defaultEngine().capabilities().models, ['intents']);
    const engine = intentsChatEngineFactory.create(
      { id: 'home', options: { ...DEFAULTS, models: ['home-v1'] } },
      context(),
    );
    assert.deepEqual(engine.capabilities().models, ['home-v1']);
  });
});

void describe('intents options', () => {
  const inline =
    (intents: unknown, extra: Record<string, unknown> = {}) =>
    () =>
      parseIntentsOptions({ intents, ...extra }, CONFIG_DIR);
  const light = { name: 'light', sentences: ['turn on {area}'], response: 'ok' };

  void it('refuses unknown keys, bad zones and a missing file, naming the option', () => {
    throwsNamingOption(
      () => parseIntentsOptions({ ...DEFAULTS, intent_file: 'x' }, CONFIG_DIR),
      'intent_file',
    );
    throwsNamingOption(
      () => parseIntentsOptions({ ...DEFAULTS, time_zone: 'Mars/Olympus' }, CONFIG_DIR),
      'time_zone',
    );
    throwsNamingOption(
      () => parseIntentsOptions({ intents_file: 'no-such.yaml' }, CONFIG_DIR),
      join(CONFIG_DIR, 'no-such.yaml'),
    );
    throwsNamingOption(() => parseIntentsOptions({}, CONFIG_DIR), 'no intents are defined');
  });

  void it('names the intent and template of every mistake', () => {
    throwsNamingOption(
      inline([{ name: 'a', sentences: ['(turn on'], response: 'ok' }]),
      'options.intents[0] (a).sentences[0]: sentence "(turn on": unbalanced brackets',
    );
    throwsNamingOption(
      inline([{ name: 'a', sentences: ['turn ( | on)'], response: 'ok' }]),
      'empty alternative',
    );
    throwsNamingOption(
      inline([light]),
      'options.intents[0] (light).sentences[0]: the slot {area} has no list (define lists.area)',
    );
    throwsNamingOption(
      inline([light], { lists: { area: [] } }),
      'options.lists.area: must be a non-empty list',
    );
    throwsNamingOption(
      inline([light], { lists: { area: [{ in: 'x', out: 'y', alias: 'z' }] } }),
      'options.lists.area[0].alias',
    );
    throwsNamingOption(
      inline([light], { lists: { area: ['hall', { in: 'corridor', out: 'hall' }] } }),
      "lists the value 'hall' twice",
    );
    throwsNamingOption(
      inline([
        { name: 'a', sentences: ['hi'], response: 'ok' },
        { name: 'a', sentences: ['yo'], response: 'ok' },
      ]),
      "options.intents[1] (a): the intent name 'a' is used twice",
    );
    throwsNamingOption(
      inline([{ name: 'a', sentences: ['hi'], response: 'It is {area}.' }]),
      'options.intents[0] (a).response: {area} is neither a slot',
    );
    throwsNamingOption(
      inline([{ name: 'a', sentences: ['hi'], response: 'It is {time.' }]),
      'options.intents[0] (a).response: unbalanced braces',
    );
    throwsNamingOption(
      inline([{ name: 'a', sentences: [], response: 'ok' }]),
      'options.intents[0] (a).sentences',
    );
    throwsNamingOption(inline([{ name: 'a', sentences: ['hi'] }]), 'options.intents[0] (a).response');
    throwsNamingOption(
      inline([{ name: 'a', sentences: ['hi'], response: 'ok', reply: 'x' }]),
      'options.intents[0].reply',
    );
    throwsNamingOption(
      inline([{ name: 'a', sentences: ['what is {time}'], response: 'ok' }]),
      '{time} is a built-in value',
    );
  });

  void it("resolves a relative intents_file against config.yaml's folder and names the file in its errors", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'intents-'));
    try {
      await writeFile(
        join(dir, 'mine.yaml'),
        'intents:\n  - { name: ping, sentences: [ping], response: pong }\n',
      );
      const engine = intentsChatEngineFactory.create(
        { id: 'i', options: { intents_file: 'mine.yaml' } },
        { ...context(), configDir: dir },
      );
      assert.equal(
        (await engine.reply({ history: [{ role: 'user', content: 'Ping!' }] }, never)).text,
        'pong',
      );
      await writeFile(
        join(dir, 'bad.yaml'),
        'intents:\n  - { name: ping, sentences: ["[ping"], response: pong }\n',
      );
      throwsNamingOption(
        () => parseIntentsOptions({ intents_file: 'bad.yaml' }, dir),
        `options.intents_file (${join(dir, 'bad.yaml')}).intents[0] (ping).sentences[0]`,
      );
      await writeFile(join(dir, 'odd.yaml'), 'intents: []\nresponses: {}\n');
      throwsNamingOption(() => parseIntentsOptions({ intents_file: 'odd.yaml' }, dir), 'responses');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  void it('warns about words missing from the pronunciation dictionary but still builds', (t) => {
    if (wordsMissingFromDictionary([]) === undefined) return t.skip(`no ${DEBIAN_POCKETSPHINX_DICTIONARY}`);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const engine = intentsChatEngineFactory.create(
      {
        id: 'odd',
        options: { intents: [{ name: 'odd', sentences: ['frobnicate the zorblax'], response: 'ok' }] },
      },
      context(logger),
    );
    assert.ok(engine);
    assert.equal(lines.length, 1);
    const logged = JSON.parse(lines[0]) as { words: string[]; msg: string };
    assert.deepEqual(logged.words, ['frobnicate', 'zorblax']);
    assert.match(logged.msg, /pocketsphinx's dictionary/);
  });
});

void describe('recognition grammar', () => {
  const options = parseIntentsOptions(DEFAULTS, CONFIG_DIR);
  const grammar = intentsGrammar(options.catalog);

  void it("of the default intents fits routers.core.stt.grammar's default limits", () => {
    const limits = new SttGrammarConfig();
    assert.equal(grammarProblem(grammar, limits), undefined);
    assert.match(grammar, /^#JSGF V1\.0;\ngrammar intents;\npublic <command> = /);
  });

  void it("uses only words of pocketsphinx's English dictionary for the default intents", (t) => {
    const missing = wordsMissingFromDictionary(intentsVocabulary(options.catalog));
    if (missing === undefined)
      return t.skip(`no ${DEBIAN_POCKETSPHINX_DICTIONARY} (apt-get install pocketsphinx-en-us)`);
    assert.deepEqual(missing, []);
  });

  void it('holds spoken words only, quoting JSGF keywords', () => {
    const custom = parseIntentsOptions(
      {
        intents: [{ name: 'x', sentences: ['Make it PUBLIC, 2 times!', '{thing} please'], response: 'ok' }],
        lists: { thing: ['Tea', { in: ['coffee', 'a latte'], out: 'coffee' }] },
      },
      CONFIG_DIR,
    );
    const text = intentsGrammar(custom.catalog);
    assert.match(text, /<intent_0> = make it "public" two times \| <list_thing> please; \/\/ x/);
    assert.match(text, /<list_thing> = tea \| coffee \| a latte;/);
    assert.equal(grammarProblem(text, new SttGrammarConfig()), undefined);
    assert.equal(new IntentsChatEngine('i', custom).recognitionGrammar(), text);
  });
});
