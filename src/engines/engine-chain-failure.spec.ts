import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RemoteEngineError } from './adapters/remote/remote-engine-error.js';
import { engineChainExhausted } from './engine-chain-failure.js';
import { EngineError, isEngineFault } from './ports/engine-error.js';
import { CircuitOpenError, EngineBusyError } from './resilience/resilience-errors.js';

const wording = { label: 'text-to-speech', task: 'synthesise the text' };

describe('engine chains', () => {
  it('fall back after engine faults (unavailable, transient, failed), never after the client’s errors', () => {
    for (const kind of ['unavailable', 'transient', 'failed'] as const) {
      assert.equal(isEngineFault(new EngineError(kind, 'x', 'e')), true, kind);
    }
    for (const kind of ['invalid_input', 'voice_not_found', 'aborted'] as const) {
      assert.equal(isEngineFault(new EngineError(kind, 'x', 'e')), false, kind);
    }
    assert.equal(isEngineFault(new CircuitOpenError('e', 3)), true);
    assert.equal(isEngineFault(new EngineBusyError('e', 1)), true);
  });

  it('answer with the one engine’s own error when only one was tried', () => {
    const busy = engineChainExhausted([{ engine: 'e', error: new EngineBusyError('e', 2) }], wording);
    assert.equal(busy.code, 'ENGINE_BUSY');
    const failed = engineChainExhausted(
      [{ engine: 'e', error: new EngineError('failed', 'boom', 'e') }],
      wording,
    );
    assert.equal(failed.code, 'ENGINE_FAILED');
    const gone = engineChainExhausted([{ engine: 'e', error: 'disabled in config.yaml' }], wording);
    assert.equal(gone.code, 'ENGINE_UNAVAILABLE');
    assert.equal(gone.message, "Engine 'e' cannot synthesise the text now: disabled in config.yaml.");
    assert.equal(gone.headers?.['Retry-After'], '30');
  });

  it('answer 503 with every reason and the soonest Retry-After when all engines of a chain failed', () => {
    const error = engineChainExhausted(
      [
        { engine: 'primary', error: new CircuitOpenError('primary', 12) },
        { engine: 'second', error: new RemoteEngineError('transient', 'HTTP 429', 'second', 4) },
        { engine: 'espeak', error: new EngineError('failed', 'crashed', 'espeak') },
      ],
      wording,
    );
    assert.equal(error.code, 'ENGINE_UNAVAILABLE');
    assert.equal(error.headers?.['Retry-After'], '4');
    assert.match(
      error.message,
      /primary: circuit breaker open; second: the remote engine failed or timed out; espeak: crashed/,
    );
    const noHints = engineChainExhausted(
      [
        { engine: 'a', error: new EngineError('failed', 'x', 'a') },
        { engine: 'b', error: 'not built' },
      ],
      wording,
    );
    assert.equal(noHints.headers?.['Retry-After'], '30');
  });

  it('never quote a remote engine’s server text to the client; the log gets it as the cause', () => {
    const leak = 'POST /audio/speech answered HTTP 500: http://10.0.0.7:9000 said so';
    const error = engineChainExhausted(
      [
        { engine: 'cloud', error: new RemoteEngineError('transient', leak, 'cloud') },
        { engine: 'other', error: new RemoteEngineError('unavailable', leak, 'other') },
      ],
      wording,
    );
    assert.equal(error.code, 'ENGINE_UNAVAILABLE');
    assert.doesNotMatch(`${error.message} ${JSON.stringify(error.details)}`, /10\.0\.0\.7|said so/);
    assert.match(String((error.cause as Error).message), /cloud: POST \/audio\/speech answered HTTP 500/);
  });
});
