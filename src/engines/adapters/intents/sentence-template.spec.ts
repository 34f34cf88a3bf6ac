import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numberToWords, ordinalWords } from './number-words.js';
import { parseSentenceTemplate, templateSlots, TemplateSyntaxError } from './sentence-template.js';
import { spokenWords } from './spoken-words.js';

void describe('spokenWords', () => {
  void it('lower-cases, drops punctuation, keeps inner apostrophes and splits hyphens', () => {
    assert.deepEqual(spokenWords("  What's the TIME, please?! "), ["what's", 'the', 'time', 'please']);
    assert.deepEqual(spokenWords('Turn on the living-room light.'), [
      'turn',
      'on',
      'the',
      'living',
      'room',
      'light',
    ]);
    assert.deepEqual(spokenWords("'quoted' o'clock"), ['quoted', "o'clock"]);
  });

  void it('spells out whole numbers as a recogniser writes them', () => {
    assert.deepEqual(spokenWords('set 25 or 7 or 100'), [
      'set',
      'twenty',
      'five',
      'or',
      'seven',
      'or',
      'one',
      'hundred',
    ]);
    assert.equal(numberToWords(0), 'zero');
    assert.equal(numberToWords(2024), 'two thousand twenty four');
    assert.equal(numberToWords(105), 'one hundred five');
    assert.equal(ordinalWords(1), 'first');
    assert.equal(ordinalWords(12), 'twelfth');
    assert.equal(ordinalWords(23), 'twenty third');
    assert.equal(ordinalWords(30), 'thirtieth');
  });
});

void describe('parseSentenceTemplate', () => {
  void it('reads alternatives, optional parts, slots and nesting', () => {
    assert.deepEqual(parseSentenceTemplate('(turn | switch) on [the] {area} light'), {
      kind: 'sequence',
      items: [
        {
          kind: 'choice',
          optional: false,
          options: [
            { kind: 'word', word: 'turn' },
            { kind: 'word', word: 'switch' },
          ],
        },
        { kind: 'word', word: 'on' },
        { kind: 'choice', optional: true, options: [{ kind: 'word', word: 'the' }] },
        { kind: 'slot', name: 'area' },
        { kind: 'word', word: 'light' },
      ],
    });
    const nested = parseSentenceTemplate('[(please | kindly) [now]] stop');
    assert.equal(nested.kind, 'sequence');
    assert.deepEqual([...templateSlots(parseSentenceTemplate('{a} and [{b} | {a}]'))], ['a', 'b']);
  });

  for (const [template, problem] of [
    ['(turn on', /'\(' is not closed/],
    ['turn on)', /'\)' without its opening/],
    ['[turn on)', /'\[' closed by '\)'/],
    ['(turn | ) on', /empty alternative/],
    ['turn [] on', /empty alternative/],
    ['| on', /empty alternative/],
    ['turn on {area', /unbalanced braces/],
    ['turn on {Area Name}', /is not a slot name/],
    ['?!', /holds no words/],
    [`${'('.repeat(17)}x${')'.repeat(17)}`, /nest more than 16/],
  ] as const) {
    void it(`refuses "${template.slice(0, 20)}" naming the template`, () => {
      assert.throws(
        () => parseSentenceTemplate(template),
        (error: unknown) =>
          error instanceof TemplateSyntaxError &&
          problem.test(error.message) &&
          error.message.includes(template),
      );
    });
  }
});
