import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ConcurrencyLimiter } from '../common/concurrency-limiter.js';
import { ProgramError } from '../engines/process/program-error.js';
import { startProgram, type ProgramExit } from '../engines/process/program-process.js';
import { ProcessRunner } from '../engines/process/process-runner.js';
import { FfmpegError } from './audio-error.js';

/** How to get ffmpeg where it is missing (the npm build is the other way: see ffmpeg-locator.ts). */
const FFMPEG_INSTALL_HINT = 'apt-get install ffmpeg';

/** The process runner for one ffmpeg; `limiter` is the transcoder's, shared with its streams. */
export function ffmpegRunner(ffmpegPath: string, limiter?: ConcurrencyLimiter): ProcessRunner {
  return new ProcessRunner({
    program: ffmpegPath,
    owner: 'ffmpeg',
    installHint: FFMPEG_INSTALL_HINT,
    concurrency: limiter ?? 4,
  });
}

function failure(what: string, exit: ProgramExit, stderr: string): Error {
  if (exit.spawnError)
    return new FfmpegError(`ffmpeg could not be started to ${what}`, null, exit.spawnError.message);
  const status = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  return new FfmpegError(`ffmpeg failed to ${what} (${status})`, exit.code, stderr);
}

/**
 * One ffmpeg run through the process runner (a slot of its limiter, no shell, its own
 * process group): `input` on stdin, stdout collected. On abort the process is killed and
 * the promise rejects with the abort reason only after it has exited, so a settled call
 * never leaves a process (or its slot) behind. Other failures are FfmpegErrors (exit code
 * and stderr for the logs); `what` names the job in them.
 */
export async function runFfmpeg(
  runner: ProcessRunner,
  args: readonly string[],
  input: Uint8Array,
  what: string,
  signal?: AbortSignal,
): Promise<Buffer> {
  signal?.throwIfAborted();
  try {
    return (await runner.run(args, { stdin: input, signal, what })).stdout;
  } catch (error) {
    signal?.throwIfAborted();
    if (!(error instanceof ProgramError)) throw error;
    const { exitCode, exitSignal, stderr } = error.details;
    if (error.failure === 'not_found' || error.failure === 'spawn_failed') {
      throw new FfmpegError(`ffmpeg could not be started to ${what}`, null, error.message);
    }
    const status = exitSignal ? `signal ${exitSignal}` : `exit code ${exitCode}`;
    throw new FfmpegError(`ffmpeg failed to ${what} (${status})`, exitCode ?? null, stderr ?? '');
  }
}

/** An ffmpeg already running (spawned ahead of its input, so its start-up overlaps other work). */
export interface StartedFfmpeg {
  /** Feeds `input` and yields stdout, as streamFfmpeg does. Call at most once. */
  run(input: AsyncIterable<Uint8Array>, what: string, signal?: AbortSignal): AsyncGenerator<Buffer>;
  /** Kills a process that will not be run; resolves once it has exited. */
  cancel(): Promise<void>;
}

/** Starts ffmpeg now (no shell, own process group); feed it with run() or end it with cancel(). */
export function startFfmpeg(ffmpegPath: string, args: readonly string[]): StartedFfmpeg {
  const program = startProgram(ffmpegPath, args, { stdin: 'pipe' });
  return {
    run: (input, what, signal) => feedFfmpeg(program, input, what, signal),
    cancel: async () => {
      program.kill();
      await program.exited;
    },
  };
}

/**
 * A long-lived ffmpeg fed from `input` (pulled only as fast as ffmpeg reads its stdin)
 * whose stdout chunks are yielded as they appear; started like every program
 * (startProgram: no shell, own process group), its slot held by the caller. The process
 * is killed when the signal aborts, when `input` throws (its error is rethrown to the
 * consumer, after the output so far) and when the consumer stops iterating; in every case
 * the generator settles only after the process has exited.
 */
export async function* streamFfmpeg(
  ffmpegPath: string,
  args: readonly string[],
  input: AsyncIterable<Uint8Array>,
  what: string,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  signal?.throwIfAborted();
  yield* startFfmpeg(ffmpegPath, args).run(input, what, signal);
}

async function* feedFfmpeg(
  program: ReturnType<typeof startProgram>,
  input: AsyncIterable<Uint8Array>,
  what: string,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  const kill = (): void => program.kill();
  if (signal?.aborted) {
    kill();
    await program.exited;
    signal.throwIfAborted();
  }
  let inputError: { error: unknown } | undefined;
  async function* guarded(): AsyncGenerator<Uint8Array> {
    try {
      yield* input;
    } catch (error) {
      inputError = { error };
      kill(); // without this ffmpeg would see EOF and end a truncated stream as if it were complete
      throw error;
    }
  }
  const source = Readable.from(guarded(), { objectMode: false });
  // Failures surface through inputError or the exit status; the pipeline's own rejection
  // (EPIPE, premature close) only repeats them.
  if (program.stdin) pipeline(source, program.stdin).catch(() => undefined);
  signal?.addEventListener('abort', kill, { once: true });
  let completed = false;
  try {
    for await (const chunk of program.stdout) yield chunk as Buffer;
    const exit = await program.exited;
    signal?.throwIfAborted();
    if (inputError) throw inputError.error;
    if (exit.code !== 0) throw failure(what, exit, program.stderr());
    completed = true;
  } finally {
    signal?.removeEventListener('abort', kill);
    if (!completed) {
      kill();
      source.destroy();
      await program.exited;
    }
  }
}
