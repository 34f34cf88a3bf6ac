import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../common/app-error.js';
import { parseTranscribeOptions } from './transcribe.dto.js';

function refusedFields(raw: Record<string, unknown>): string[] {
  try {
    parseTranscribeOptions(raw);
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'VALIDATION_FAILED');
    return (error.details as { fields: Array<{ field: string }> }).fields.map((field) => field.field);
  }
  assert.fail('accepted');
}

describe('parseTranscribeOptions', () => {
  it('reads every option from text fields', () => {
    const options = parseTranscribeOptions({
      model: 'pocketsphinx',
      language: 'en',
      response_format: 'verbose_json',
      temperature: '0.2',
      timestamp_granularities: ['word'],
      vocabulary: 'go, ten meters',
      timestamps: 'true',
    });
    assert.equal(options.model, 'pocketsphinx');
    assert.equal(options.temperature, 0.2);
    assert.deepEqual(options.vocabulary, ['go', 'ten meters']);
    assert.equal(options.timestamps, true);
  });

  it('refuses names that are not options, prototype names included', () => {
    assert.deepEqual(refusedFields({ colour: 'red', language: 'en' }), ['colour']);
    // Own properties named like the prototype's, as a spread of parsed form fields makes them.
    const hostile = { ...(JSON.parse('{"__proto__": {"grammar": 5}, "constructor": "x"}') as object) };
    assert.deepEqual(refusedFields(hostile as Record<string, unknown>), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>)['grammar'], undefined);
  });

  it('refuses NUL and lone surrogates in free-text fields, naming the field', () => {
    assert.deepEqual(refusedFields({ prompt: 'hello\u0000world' }), ['prompt']);
    assert.deepEqual(refusedFields({ language: 'en', prompt: 'x\ud800' }), ['prompt']);
    assert.deepEqual(refusedFields({ vocabulary: ['go', 'st\u0000op'] }), ['vocabulary[1]']);
  });
});
