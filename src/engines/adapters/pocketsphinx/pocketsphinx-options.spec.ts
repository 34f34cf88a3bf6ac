import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../ports/engine-error.js';
import { parsePocketsphinxOptions } from './pocketsphinx-options.js';
import { vocabularyGrammar } from './vocabulary-grammar.js';

describe('parsePocketsphinxOptions', () => {
  it('defaults to Debian’s US English model', () => {
    const options = parsePocketsphinxOptions({});
    assert.equal(options.binary, 'pocketsphinx_continuous');
    assert.equal(options.hmm, '/usr/share/pocketsphinx/model/en-us/en-us');
    assert.equal(options.lm, '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin');
    assert.equal(options.dict, '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict');
    assert.equal(options.language, 'en');
    assert.equal(options.maxConcurrent, 2);
  });

  it('derives model paths from model_dir and passes decoder flags as words', () => {
    const options = parsePocketsphinxOptions({
      model_dir: '/models/x',
      decoder_options: { beam: 1e-60, bestpath: false },
    });
    assert.equal(options.lm, '/models/x/en-us.lm.bin');
    assert.deepEqual(options.decoderOptions, { beam: '1e-60', bestpath: 'no' });
  });

  it('refuses unknown keys, bad values and flags the adapter owns, naming the option', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ modeldir: '/x' }, /options\.modeldir is not a pocketsphinx option/],
      [{ max_concurrent: 0 }, /options\.max_concurrent must be an integer from 1 to 64/],
      [{ language: 'english' }, /options\.language must be an ISO 639-1 code/],
      [{ decoder_options: { infile: '/etc/passwd' } }, /decoder_options\.infile is set by the adapter/],
      [{ decoder_options: { 'bad-flag': 1 } }, /not a decoder flag name/],
      [{ decoder_options: { beam: '1e-60 -lm /x' } }, /single word or number/],
      [{ decoder_options: [] }, /must be a mapping/],
    ];
    for (const [raw, message] of cases) assert.throws(() => parsePocketsphinxOptions(raw), message);
  });
});

describe('vocabularyGrammar', () => {
  it('accepts any sequence of the phrases, lower-cased and de-duplicated', () => {
    assert.equal(
      vocabularyGrammar(['Go', 'go', ' ten  meters ']),
      '#JSGF V1.0;\ngrammar vocabulary;\npublic <utterance> = ( go | ten meters )+ ;\n',
    );
  });

  it('refuses JSGF syntax and empty vocabularies as the client’s error', () => {
    for (const vocabulary of [['go ) | <x>'], ['a;b'], [], ['  ']]) {
      assert.throws(
        () => vocabularyGrammar(vocabulary),
        (error: unknown) => error instanceof EngineError && error.kind === 'invalid_input',
      );
    }
  });
});
