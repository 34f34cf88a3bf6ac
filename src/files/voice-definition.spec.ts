import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../common/app-error.js';
import { parseVoiceDefinition } from './voice-definition.js';

const VALID = {
  name: 'narrator',
  engine: 'espeak',
  engine_voice_id: 'en-us',
  language: 'en-us',
  gender: 'female',
};

function refusal(text: string): AppError {
  try {
    parseVoiceDefinition(Buffer.from(text));
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  assert.fail(`accepted: ${text}`);
}

describe('parseVoiceDefinition', () => {
  it('reads the GET /tts/voices shape as JSON or YAML', () => {
    const json = parseVoiceDefinition(Buffer.from(JSON.stringify({ ...VALID, description: null })));
    assert.equal(json.syntax, 'json');
    assert.equal(json.definition.name, 'narrator');
    const yamlText = 'name: narrator\nengine: espeak\nengine_voice_id: en-us\nlanguage: en-us\n';
    const read = parseVoiceDefinition(Buffer.from(yamlText));
    assert.equal(read.syntax, 'yaml');
    assert.equal(read.definition.engine_voice_id, 'en-us');
  });

  it('refuses what is not one valid definition, naming the fields', () => {
    assert.equal(refusal('{"name": ').code, 'VALIDATION_FAILED');
    assert.match(refusal('- a\n- b\n').message, /one mapping/);
    assert.match(refusal('just words').message, /one mapping/);
    const missing = refusal(JSON.stringify({ name: 'x' }));
    assert.match(JSON.stringify(missing.details), /engine_voice_id/);
    const unknown = refusal(JSON.stringify({ ...VALID, shell: 'rm -rf /' }));
    assert.match(JSON.stringify(unknown.details), /shell/);
    const badName = refusal(JSON.stringify({ ...VALID, name: '../etc/passwd' }));
    assert.match(JSON.stringify(badName.details), /"name"/);
    assert.match(refusal(JSON.stringify({ ...VALID, gender: 'robot' })).code, /VALIDATION_FAILED/);
    assert.throws(
      () => parseVoiceDefinition(Buffer.from([0xff, 0xfe, 0x41])),
      (error: unknown) => error instanceof AppError && /UTF-8/.test(error.message),
    );
  });
});
