import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type GrammarLimits, grammarProblem, vocabularyProblem } from './grammar-limits.js';

const LIMITS: GrammarLimits = { maxRules: 256, maxExpansion: 3000, maxDepth: 32 };

/** `<a0> = the | news; <aN> = <aN-1> <aN-1>; …`: each rule doubles the graph. */
function doublingGrammar(levels: number): string {
  let text = '#JSGF V1.0; grammar g; <a0> = the | news ;';
  for (let n = 1; n <= levels; n++) text += ` <a${n}> = <a${n - 1}> <a${n - 1}> ;`;
  return `${text} public <s> = <a${levels}> ;`;
}

describe('grammarProblem', () => {
  it('accepts the command grammars shipped with pocketsphinx', () => {
    for (const file of ['goforward.gram', 'cards/cards.gram']) {
      const text = readFileSync(`/usr/share/pocketsphinx/test/data/${file}`, 'utf8');
      assert.equal(grammarProblem(text, LIMITS), undefined, file);
    }
  });

  it('reads weights, tags, quoted words, <NULL>, repeats, comments and right recursion', () => {
    const grammar = [
      '#JSGF V1.0 UTF-8 en;',
      '/* a block',
      '   comment */ grammar robot; // a line comment',
      'public <command> = /0.7/ <move> {move} | /0.3/ stop { stop; } | <NULL> ;',
      '<move> = go ( forward | backward )+ [ "ten meters" ] <robot.speed>* ;',
      '<speed> = slowly | fast ;',
      '<digits> = <digit> <digits> | <digit> ;',
      '<digit> = one | two | three ;',
    ].join('\n');
    assert.equal(grammarProblem(grammar, LIMITS), undefined);
  });

  it('refuses the doubling bomb (the walk stops at the limit instead of expanding it)', () => {
    const bomb = doublingGrammar(17);
    assert.equal(bomb.length, 408);
    const problem = grammarProblem(bomb, LIMITS);
    assert.equal(problem?.limit, 'maxExpansion');
    assert.match(problem.message, /more than 3000 words and rule references/);
    // 2^1000 positions: only a walk that stops at the limit can answer at all.
    const huge = grammarProblem(doublingGrammar(1000), { ...LIMITS, maxRules: 2000, maxDepth: 64 });
    assert.equal(huge?.limit, 'maxExpansion');
    // The same doubling a few levels deep stays well inside the limit.
    assert.equal(grammarProblem(doublingGrammar(8), LIMITS), undefined);
  });

  it('counts every copy of a rule, as the decoder makes them', () => {
    // 2 words × 3 references + 3 references + 1 word = 10 positions.
    const grammar = '#JSGF V1.0; grammar g; <w> = a | b ; public <s> = <w> <w> <w> c ;';
    assert.equal(grammarProblem(grammar, { ...LIMITS, maxExpansion: 10 }), undefined);
    assert.equal(grammarProblem(grammar, { ...LIMITS, maxExpansion: 9 })?.limit, 'maxExpansion');
  });

  it('stays cheap on a doubling chain that links back to its top (recursion is one link)', () => {
    let text = '#JSGF V1.0; grammar g; public <s> = x <a40> | y ;';
    text += ' <a0> = the | news | <s> ;';
    for (let n = 1; n <= 40; n++) text += ` <a${n}> = <a${n - 1}> <a${n - 1}> ;`;
    const problem = grammarProblem(text, { ...LIMITS, maxDepth: 64 });
    assert.equal(problem?.limit, 'maxExpansion');
  });

  it('refuses too many rules, too deep nesting, imports and text that is not JSGF', () => {
    const many = Array.from({ length: 5 }, (_, n) => `<r${n}> = w${n} ;`).join(' ');
    assert.equal(
      grammarProblem(`#JSGF V1.0; grammar g; ${many}`, { ...LIMITS, maxRules: 4 })?.limit,
      'maxRules',
    );
    assert.equal(grammarProblem(`#JSGF V1.0; grammar g; ${many}`, { ...LIMITS, maxRules: 5 }), undefined);

    const brackets = `#JSGF V1.0; grammar g; public <s> = ${'('.repeat(40)} x ${')'.repeat(40)} ;`;
    assert.equal(grammarProblem(brackets, LIMITS)?.limit, 'maxDepth');
    // Far deeper than a call stack could follow: refused, never a RangeError.
    const abyss = `#JSGF V1.0; grammar g; public <s> = ${'['.repeat(30_000)} x ;`;
    assert.equal(grammarProblem(abyss, LIMITS)?.limit, 'maxDepth');
    const chain = Array.from({ length: 40 }, (_, n) => `<c${n}> = <c${n + 1}> ;`).join(' ');
    assert.equal(grammarProblem(`#JSGF V1.0; grammar g; ${chain} <c40> = end ;`, LIMITS)?.limit, 'maxDepth');

    const imports = '#JSGF V1.0; grammar g; import <other.*>; public <s> = <other.x> ;';
    assert.match(grammarProblem(imports, LIMITS)?.message ?? '', /may not import/);
    for (const text of [
      'this is not jsgf',
      '#JSGF V1.0; grammar g;',
      '#JSGF V1.0; <s> = ( a ;',
      '<s> = a / b ;',
    ]) {
      const problem = grammarProblem(text, LIMITS);
      assert.match(problem?.message ?? '', /not valid JSGF/, text);
      assert.equal(problem?.limit, undefined);
    }
  });
});

describe('vocabularyProblem', () => {
  it('counts the words of every phrase against the expansion limit', () => {
    assert.equal(vocabularyProblem(['go', 'ten meters'], { ...LIMITS, maxExpansion: 3 }), undefined);
    // The grammar made of it lists each distinct phrase once.
    assert.equal(
      vocabularyProblem(['go', 'Go', ' go ', 'ten  meters'], { ...LIMITS, maxExpansion: 3 }),
      undefined,
    );
    assert.equal(
      vocabularyProblem(['go', 'ten meters', 'stop'], { ...LIMITS, maxExpansion: 3 })?.limit,
      'maxExpansion',
    );
  });
});
