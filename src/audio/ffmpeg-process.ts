import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FfmpegError } from './audio-error.js';

/** Enough of ffmpeg's stderr to see why it failed, bounded so a chatty build cannot grow memory. */
const STDERR_TAIL_BYTES = 4096;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  /** Settles once the process has exited and its pipes are closed (never rejects). */
  exited: Promise<Exit & { spawnError?: Error }>;
  stderr: () => string;
}

/**
 * Every stream and the process itself have an 'error' listener for their whole life: an
 * error event nobody listens to would end the gateway. A failure is reported once, by
 * the exit status (or the spawn error).
 */
function start(ffmpegPath: string, args: readonly string[]): Running {
  const child = spawn(ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let tail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    tail = (tail + text).slice(-STDERR_TAIL_BYTES);
  });
  // Writing to a process that already exited fails with EPIPE; the exit status says why it exited.
  child.stdin.on('error', () => undefined);
  child.stdout.on('error', () => undefined);
  child.stderr.on('error', () => undefined);
  const exited = new Promise<Exit & { spawnError?: Error }>((resolve) => {
    // `on`, not `once`: a later error (a failed kill) must find a listener too.
    child.on('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, stderr: () => tail.trim() };
}

/** SIGKILL, never throwing (it runs from abort listeners, where a throw would be uncaught). */
function killer(child: ChildProcessWithoutNullStreams): () => void {
  return () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone, or not ours to kill any more: its exit is reported by 'close'
    }
  };
}

function failure(what: string, exit: Exit & { spawnError?: Error }, stderr: string): Error {
  if (exit.spawnError)
    return new FfmpegError(`ffmpeg could not be started to ${what}`, null, exit.spawnError.message);
  const status = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  return new FfmpegError(`ffmpeg failed to ${what} (${status})`, exit.code, stderr);
}

/**
 * One ffmpeg run: `input` on stdin, stdout collected. On abort the process is killed and
 * the promise rejects with the abort reason only after it has exited, so a settled call
 * never leaves a process (or its concurrency slot) behind. `what` names the job in errors.
 */
export async function runFfmpeg(
  ffmpegPath: string,
  args: readonly string[],
  input: Uint8Array,
  what: string,
  signal?: AbortSignal,
): Promise<Buffer> {
  signal?.throwIfAborted();
  const { child, exited, stderr } = start(ffmpegPath, args);
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  const kill = killer(child);
  signal?.addEventListener('abort', kill, { once: true });
  try {
    child.stdin.end(input);
    const exit = await exited;
    signal?.throwIfAborted();
    if (exit.code !== 0) throw failure(what, exit, stderr());
    return Buffer.concat(output);
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}

/**
 * A long-lived ffmpeg fed from `input` (pulled only as fast as ffmpeg reads its stdin)
 * whose stdout chunks are yielded as they appear. The process is killed when the signal
 * aborts, when `input` throws (its error is rethrown to the consumer, after the output
 * so far) and when the consumer stops iterating; in every case the generator settles
 * only after the process has exited.
 */
export async function* streamFfmpeg(
  ffmpegPath: string,
  args: readonly string[],
  input: AsyncIterable<Uint8Array>,
  what: string,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  signal?.throwIfAborted();
  const { child, exited, stderr } = start(ffmpegPath, args);
  const kill = killer(child);
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
  pipeline(source, child.stdin).catch(() => undefined);
  signal?.addEventListener('abort', kill, { once: true });
  let completed = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const exit = await exited;
    signal?.throwIfAborted();
    if (inputError) throw inputError.error;
    if (exit.code !== 0) throw failure(what, exit, stderr());
    completed = true;
  } finally {
    signal?.removeEventListener('abort', kill);
    if (!completed) {
      kill();
      source.destroy();
      await exited;
    }
  }
}
