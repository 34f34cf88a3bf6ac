import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConcurrencyLimiter } from '../../common/concurrency-limiter.js';
import type { EngineHealth } from '../ports/engine-health.js';
import { ProgramError } from './program-error.js';
import { type ProgramExit, type RunningProgram, startProgram } from './program-process.js';

/*
 * The one way the gateway runs a local program (ffmpeg, espeak-ng, pocketsphinx, flite):
 *
 * - no shell: arguments go to the program as they are; text never becomes a command;
 * - a process group per run: an AbortSignal, a timeout, dispose() or too much output
 *   SIGKILL the group (the program and anything it forked), and the call settles only once
 *   the program has exited, so a settled call never leaves a process (or its slot) behind;
 * - stdout collected up to a byte limit (fail, or stop and keep what came), the end of
 *   stderr kept for logs;
 * - a private temporary directory (mode 0700, under the OS temp dir) for files, removed
 *   afterwards whatever happened: inTempDir();
 * - a ConcurrencyLimiter (src/common/concurrency-limiter.ts) so a burst queues instead of
 *   forking a process per request; a cancelled request leaves the queue;
 * - failures as ProgramError, an EngineError of the owner with the shared mapping
 *   (PROGRAM_FAILURE_KINDS): a missing program is `unavailable` with the install hint.
 *
 * Node's stdio pipes are sockets (socketpair), not pipes: a program that insists on a file
 * name cannot be given /dev/stdin or /dev/stdout — opening them fails with ENXIO — and
 * one that seeks its output (WAV headers, MP3 Xing headers) cannot on a pipe either. Such
 * programs read and write files in the run's private directory (flite writes its WAV with
 * -o there; ffmpeg writes seekable formats there).
 */

export interface ProcessRunnerOptions {
  /** Program name (looked up on PATH) or absolute path. */
  program: string;
  /** Whose errors these are: the engine id (or `ffmpeg` for the audio module). */
  owner: string;
  /** How to get the program, quoted when it is missing: `apt-get install flite`. */
  installHint: string;
  /**
   * Programs running at once (further runs queue), a limiter shared with other runners, or
   * `caller` when the adapter already bounds its calls (its own queue holds them). Default 2.
   */
  concurrency?: number | ConcurrencyLimiter | 'caller';
  /** Default limit for one run, in ms; none when absent. */
  timeoutMs?: number;
}

export interface RunOptions {
  /** Written to the program's stdin, which is then closed; absent: stdin is /dev/null. */
  stdin?: Uint8Array | string;
  signal?: AbortSignal;
  /** Overrides the runner's timeoutMs for this run. */
  timeoutMs?: number;
  /** Default 256 MiB. */
  maxStdoutBytes?: number;
  /** `fail` (default): more output fails the run; `stop`: kill the program, return what it wrote (truncated). */
  atStdoutLimit?: 'fail' | 'stop';
  /** stderr kept (default 4 KiB, the end) and, for chatty programs, only the lines that match. */
  maxStderrBytes?: number;
  stderrLines?: RegExp;
  /** Exit codes the caller handles itself (default: only 0 is success). */
  acceptExitCodes?: readonly number[];
  cwd?: string;
  /** What the run does, for messages: "synthesise", "decode mp3". */
  what?: string;
}

export interface ProgramResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  /** The output passed maxStdoutBytes and the program was stopped (atStdoutLimit: stop). */
  truncated: boolean;
}

const DEFAULT_MAX_STDOUT = 256 * 1024 * 1024;
/** How long a health probe may take. */
const PROBE_TIMEOUT_MS = 10_000;

export class ProcessRunner {
  readonly program: string;
  private readonly limiter?: ConcurrencyLimiter;
  private readonly running = new Set<RunningProgram>();
  private closed = false;

  constructor(private readonly options: ProcessRunnerOptions) {
    this.program = options.program;
    const concurrency = options.concurrency ?? 2;
    if (concurrency !== 'caller')
      this.limiter = typeof concurrency === 'number' ? new ConcurrencyLimiter(concurrency) : concurrency;
  }

  /** Runs the program once (after waiting for a slot); rejects with a ProgramError. */
  async run(args: readonly string[], options: RunOptions = {}): Promise<ProgramResult> {
    const { signal } = options;
    if (signal?.aborted) throw this.error('aborted', 'The request was cancelled.');
    let release: () => void = () => undefined;
    try {
      if (this.limiter) release = await this.limiter.acquire(signal);
    } catch (error) {
      throw this.error('aborted', 'The request was cancelled.', {}, error);
    }
    try {
      return await this.runNow(args, options);
    } finally {
      release();
    }
  }

  /** Runs `work` with a private directory (0700) that is removed afterwards, whatever happens. */
  async inTempDir<T>(work: (directory: string) => Promise<T>): Promise<T> {
    const safeOwner = this.options.owner.replace(/[^A-Za-z0-9_-]/g, '_');
    const directory = await mkdtemp(join(tmpdir(), `speech-gateway-${safeOwner}-`));
    try {
      return await work(directory);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }

  /**
   * Runs a quick command (`--version`, a voice list) as a health probe: available with its
   * output, or why not — with the install hint when the program is missing.
   */
  async probe(
    args: readonly string[],
    options: Pick<RunOptions, 'acceptExitCodes'> = {},
  ): Promise<EngineHealth & { stdout?: string }> {
    try {
      const run = await this.run(args, { ...options, timeoutMs: PROBE_TIMEOUT_MS, what: 'start' });
      return { available: true, stdout: run.stdout.toString('utf8') };
    } catch (error) {
      return { available: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Kills every running program (their calls fail `unavailable`) and refuses new runs. */
  close(): void {
    this.closed = true;
    for (const program of this.running) program.kill();
  }

  private async runNow(args: readonly string[], options: RunOptions): Promise<ProgramResult> {
    if (this.closed) throw this.error('closed', `The ${this.options.owner} engine was shut down.`);
    const { signal } = options;
    if (signal?.aborted) throw this.error('aborted', 'The request was cancelled.');
    const program = startProgram(this.program, args, {
      stdin: options.stdin === undefined ? 'ignore' : 'pipe',
      maxStderrBytes: options.maxStderrBytes,
      stderrLines: options.stderrLines,
      cwd: options.cwd,
    });
    this.running.add(program);
    const limit = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stopped: 'aborted' | 'timeout' | 'output_limit' | 'truncated' | undefined;
    const stop = (why: NonNullable<typeof stopped>): void => {
      stopped ??= why;
      program.kill();
    };
    program.stdout.on('data', (chunk: Buffer) => {
      if (stopped) return;
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes > limit) stop(options.atStdoutLimit === 'stop' ? 'truncated' : 'output_limit');
    });
    const onAbort = (): void => stop('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), timeoutMs);
    program.stdin?.end(options.stdin);
    let exit: ProgramExit;
    try {
      exit = await program.exited;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.running.delete(program);
    }
    const stdout = Buffer.concat(chunks);
    const stderr = program.stderr();
    return this.outcome(exit, stopped, { stdout, stderr, code: exit.code, truncated: false }, options);
  }

  private outcome(
    exit: ProgramExit,
    stopped: 'aborted' | 'timeout' | 'output_limit' | 'truncated' | undefined,
    result: ProgramResult,
    options: RunOptions,
  ): ProgramResult {
    const what = options.what ?? 'run';
    const details = { exitCode: exit.code, exitSignal: exit.signal, stderr: result.stderr };
    if (exit.spawnError) {
      const code = exit.spawnError.code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR') {
        const problem = code === 'ENOENT' ? 'is not installed' : 'cannot be run';
        const message = `${this.program} ${problem} (${this.options.installHint})`;
        throw this.error('not_found', message, details, exit.spawnError);
      }
      throw this.error('spawn_failed', `${this.program} could not be started`, details, exit.spawnError);
    }
    switch (stopped) {
      case 'aborted':
        throw this.error('aborted', 'The request was cancelled.', details);
      case 'timeout':
        throw this.error('timeout', `${this.program} did not ${what} in time`, details);
      case 'output_limit':
        throw this.error('output_limit', `${this.program} wrote more output than allowed`, details);
      case 'truncated':
        return { ...result, truncated: true };
      case undefined:
        break;
    }
    if (this.closed && exit.signal) {
      throw this.error('closed', `The ${this.options.owner} engine was shut down.`, details);
    }
    if (exit.signal) {
      throw this.error('killed', `${this.program} failed to ${what} (signal ${exit.signal})`, details);
    }
    if (exit.code !== 0 && !(exit.code !== null && options.acceptExitCodes?.includes(exit.code))) {
      throw this.error('exit_code', `${this.program} failed to ${what} (exit code ${exit.code})`, details);
    }
    return result;
  }

  private error(
    failure: ConstructorParameters<typeof ProgramError>[0],
    message: string,
    details: ConstructorParameters<typeof ProgramError>[3] = {},
    cause?: unknown,
  ): ProgramError {
    return new ProgramError(failure, message, this.options.owner, details, cause ? { cause } : undefined);
  }
}
