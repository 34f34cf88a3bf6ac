import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../common/app-error.js';
import { requestedVoice } from './voice-alias.js';

describe('requestedVoice', () => {
  it('takes voice, voice_name or voice_id', () => {
    assert.equal(requestedVoice({}), undefined);
    assert.equal(requestedVoice({ voice: 'en-us' }), 'en-us');
    assert.equal(requestedVoice({ voice_name: 'en-gb' }), 'en-gb');
    assert.equal(requestedVoice({ voice_id: 'de' }), 'de');
    assert.equal(requestedVoice({ voice: 'de', voice_id: 'de', voice_name: 'de' }), 'de');
  });

  it('refuses aliases that name different voices, naming the fields', () => {
    assert.throws(
      () => requestedVoice({ voice: 'en-us', voice_id: 'de' }),
      (error: unknown) =>
        error instanceof AppError &&
        error.code === 'VALIDATION_FAILED' &&
        JSON.stringify(error.details).includes('voice_id'),
    );
    assert.throws(() => requestedVoice({ voice_name: 'en-us', voice_id: 'de' }), AppError);
  });
});
