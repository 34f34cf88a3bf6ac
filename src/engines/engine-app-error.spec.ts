import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../common/app-error.js';
import { RemoteEngineError } from './adapters/remote/remote-engine-error.js';
import { appErrorForEngine } from './engine-app-error.js';
import { EngineError } from './ports/engine-error.js';

const LEAK = 'POST /audio/speech answered HTTP 400: see http://10.1.2.3:8000/v1, key SK-ABC';
const quoting = {
  task: 'synthesise the text',
  invalidInput: (error: EngineError) =>
    new AppError('VALIDATION_FAILED', `The engine refused: ${error.message}`),
};

describe('appErrorForEngine', () => {
  it('quotes a local engine’s input error to the client', () => {
    const answer = appErrorForEngine(
      new EngineError('invalid_input', 'The text is empty.', 'espeak'),
      quoting,
    );
    assert.equal(answer.code, 'VALIDATION_FAILED');
    assert.match(answer.message, /The text is empty\./);
  });

  it('never shows a remote engine’s server text, whatever the kind; keeps it as the cause for the log', () => {
    for (const kind of ['invalid_input', 'voice_not_found', 'unavailable', 'transient', 'failed'] as const) {
      const error = new RemoteEngineError(kind, LEAK, 'cloud');
      const answer = appErrorForEngine(error, quoting);
      const shown = `${answer.message} ${JSON.stringify(answer.details ?? null)}`;
      assert.doesNotMatch(shown, /10\.1\.2\.3|SK-ABC|HTTP 400/, kind);
      assert.match(shown, /cloud/, `${kind} names the engine`);
      assert.equal(answer.cause, error, kind);
    }
  });

  it('maps remote failures to the generic engine codes', () => {
    assert.equal(
      appErrorForEngine(new RemoteEngineError('transient', LEAK, 'c'), quoting).code,
      'ENGINE_FAILED',
    );
    assert.equal(
      appErrorForEngine(new RemoteEngineError('failed', LEAK, 'c'), quoting).code,
      'ENGINE_FAILED',
    );
    assert.equal(
      appErrorForEngine(new RemoteEngineError('unavailable', LEAK, 'c'), quoting).code,
      'ENGINE_UNAVAILABLE',
    );
    assert.equal(
      appErrorForEngine(new RemoteEngineError('invalid_input', LEAK, 'c'), quoting).code,
      'VALIDATION_FAILED',
    );
  });
});
