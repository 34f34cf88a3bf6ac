/**
 * What went wrong inside an engine, in terms the gateway can act on: input errors are the
 * client's (never retried), `transient` ones may succeed on retry, `unavailable` means
 * the engine cannot serve at all right now (fallback to the next engine).
 */
export type EngineErrorKind =
  'invalid_input' | 'voice_not_found' | 'unavailable' | 'transient' | 'aborted' | 'failed';

export class EngineError extends Error {
  constructor(
    readonly kind: EngineErrorKind,
    message: string,
    /** The engine id, for logs and fallback decisions. */
    readonly engineId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

/**
 * The engine failed (transient, failed) or cannot serve (unavailable), as opposed to the
 * client's mistakes (invalid_input, voice_not_found) or a cancelled request: what the
 * breaker counts and what lets the next engine of a fallback chain serve.
 */
export function isEngineFault(error: EngineError): boolean {
  return error.kind === 'transient' || error.kind === 'failed' || error.kind === 'unavailable';
}

/** The error every engine throws when its AbortSignal fires. */
export function abortedError(engineId: string): EngineError {
  return new EngineError('aborted', 'The request was cancelled.', engineId);
}
