import { EngineError, type EngineErrorKind } from '../ports/engine-error.js';

/** Why a program run failed; each maps to one EngineError kind (see PROGRAM_FAILURE_KINDS). */
export type ProgramFailure =
  'not_found' | 'spawn_failed' | 'aborted' | 'timeout' | 'exit_code' | 'killed' | 'output_limit' | 'closed';

/**
 * The mapping every program-backed adapter shares: a missing or unrunnable program and a
 * disposed runner cannot serve (`unavailable`, so a fallback chain moves on); a timeout
 * or a failed fork (EAGAIN: too many processes) may pass on a quieter machine (`transient`); a non-zero exit, a crash (a signal nobody
 * sent) and runaway output are `failed`; a cancelled call is `aborted`.
 */
export const PROGRAM_FAILURE_KINDS: Readonly<Record<ProgramFailure, EngineErrorKind>> = {
  not_found: 'unavailable',
  closed: 'unavailable',
  aborted: 'aborted',
  timeout: 'transient',
  spawn_failed: 'transient',
  exit_code: 'failed',
  killed: 'failed',
  output_limit: 'failed',
};

/**
 * A program run that failed, as an EngineError of the owner (the engine id, or `ffmpeg`
 * for the audio module). `stderr` holds the end of the program's diagnostics for logs; it
 * may name paths and build details, so it stays out of `message`.
 */
export class ProgramError extends EngineError {
  constructor(
    readonly failure: ProgramFailure,
    message: string,
    owner: string,
    readonly details: { exitCode?: number | null; exitSignal?: NodeJS.Signals | null; stderr?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(PROGRAM_FAILURE_KINDS[failure], message, owner, options);
    this.name = 'ProgramError';
  }
}
