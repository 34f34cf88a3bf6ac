import { AppError } from '../common/app-error.js';
import { RemoteEngineError } from './adapters/remote/remote-engine-error.js';
import { EngineError } from './ports/engine-error.js';
import { CircuitOpenError, EngineBusyError } from './resilience/resilience-errors.js';

export interface EngineErrorWording {
  /** What the engine was asked to do, for the failure message: "transcribe the audio". */
  task: string;
  /** How the client's input was refused; default 400 VALIDATION_FAILED quoting the engine. */
  invalidInput?: (error: EngineError) => AppError;
}

/**
 * Whether an engine's message may be shown to a client. A remote engine's quotes its server
 * (upstream text, which may echo internal addresses or credentials): never. Local engines'
 * messages are written for clients (no paths, keys or process output).
 */
export function isClientSafe(error: EngineError): boolean {
  return !(error instanceof RemoteEngineError);
}

/**
 * The client-facing error for an engine's failure: busy → 503 ENGINE_BUSY, breaker open or
 * unavailable → 503 ENGINE_UNAVAILABLE (all with Retry-After), the client's input → 400,
 * cancelled → 499, anything else → 502 ENGINE_FAILED. A local engine's message is quoted
 * for input errors; a remote engine's never is (the answer names the engine only) and goes
 * to the log as the AppError's cause.
 */
export function appErrorForEngine(error: EngineError, wording: EngineErrorWording): AppError {
  const logged = { cause: error };
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
    case 'voice_not_found': {
      if (isClientSafe(error)) {
        return (
          wording.invalidInput?.(error) ??
          new AppError('VALIDATION_FAILED', `The engine refused the request: ${error.message}`)
        );
      }
      // The wording sees a stand-in message; the engine's own goes to the log as the cause.
      const shown = new EngineError(
        error.kind,
        `engine '${error.engineId}' refused it (its answer is in the server log)`,
        error.engineId,
      );
      const answer =
        wording.invalidInput?.(shown) ??
        new AppError('VALIDATION_FAILED', `The engine refused the request: ${shown.message}.`);
      return new AppError(answer.code, answer.message, answer.details, answer.headers, logged);
    }
    case 'unavailable':
      return new AppError(
        'ENGINE_UNAVAILABLE',
        `Engine '${error.engineId}' is unavailable.`,
        { engine: error.engineId },
        { 'Retry-After': '30' },
        logged,
      );
    case 'aborted':
      return new AppError('REQUEST_CANCELLED', 'The client cancelled the request.');
    case 'transient':
    case 'failed':
      return new AppError(
        'ENGINE_FAILED',
        `Engine '${error.engineId}' failed to ${wording.task}.`,
        { engine: error.engineId },
        undefined,
        logged,
      );
  }
}
