import { AppError } from '../common/app-error.js';
import { type EngineError } from './ports/engine-error.js';
import { CircuitOpenError, EngineBusyError } from './resilience/resilience-errors.js';

export interface EngineErrorWording {
  /** What the engine was asked to do, for the failure message: "transcribe the audio". */
  task: string;
  /** How the client's input was refused; default 400 VALIDATION_FAILED quoting the engine. */
  invalidInput?: (error: EngineError) => AppError;
}

/**
 * The client-facing error for an engine's failure: busy → 503 ENGINE_BUSY, breaker open or
 * unavailable → 503 ENGINE_UNAVAILABLE (all with Retry-After), the client's input → 400,
 * cancelled → 499, anything else → 502 ENGINE_FAILED. Engine messages are written for
 * clients (no paths, keys or process output), so quoting them for input errors is safe.
 */
export function appErrorForEngine(error: EngineError, wording: EngineErrorWording): AppError {
  if (error instanceof EngineBusyError) {
    return new AppError(
      'ENGINE_BUSY',
      `Engine '${error.engineId}' is at its concurrency limit (resilience.bulkhead); try again shortly.`,
      { engine: error.engineId },
      { 'Retry-After': String(error.retryAfterSeconds) },
    );
  }
  if (error instanceof CircuitOpenError) {
    return new AppError(
      'ENGINE_UNAVAILABLE',
      `Engine '${error.engineId}' failed repeatedly; its circuit breaker is open.`,
      { engine: error.engineId, reason: 'circuit breaker open' },
      { 'Retry-After': String(Math.max(1, Math.ceil(error.retryAfterSeconds))) },
    );
  }
  switch (error.kind) {
    case 'invalid_input':
    case 'voice_not_found':
      return (
        wording.invalidInput?.(error) ??
        new AppError('VALIDATION_FAILED', `The engine refused the request: ${error.message}`)
      );
    case 'unavailable':
      return new AppError('ENGINE_UNAVAILABLE', `Engine '${error.engineId}' is unavailable.`, undefined, {
        'Retry-After': '30',
      });
    case 'aborted':
      return new AppError('REQUEST_CANCELLED', 'The client cancelled the request.');
    case 'transient':
    case 'failed':
      return new AppError('ENGINE_FAILED', `Engine '${error.engineId}' failed to ${wording.task}.`);
  }
}
