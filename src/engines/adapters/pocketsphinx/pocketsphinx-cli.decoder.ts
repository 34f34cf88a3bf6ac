import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import type { DecodeJob, PocketsphinxDecoder } from './pocketsphinx-decoder.js';
import { INSTALL_HINT, modelFilesProblem } from './pocketsphinx-model.js';
import type { PocketsphinxOptions } from './pocketsphinx-options.js';
import { type DecodedUtterance, parseCliOutput } from './pocketsphinx-output.js';

/** Diagnostic lines kept from a failed run (its ERROR lines name the problem). */
const MAX_ERROR_LINES = 5;

interface CliRun {
  stdout: string;
  errors: string[];
  code: number | null;
}

/** Whether the program starts at all (`-help yes` prints its flags and exits in ~30 ms, loading no model). */
function startsUp(binary: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const child = spawn(binary, ['-help', 'yes'], { stdio: 'ignore' });
      child.on('error', () => resolve(false));
      child.once('close', () => resolve(true));
    } catch {
      resolve(false); // spawn throws at once for some failures (a bad path, too many processes)
    }
  });
}

/** SIGKILL, never throwing (it runs from abort listeners, where a throw would be uncaught). */
function killQuietly(child: ChildProcess): void {
  try {
    child.kill('SIGKILL');
  } catch {
    // already gone; 'close' reports the end
  }
}

/** pocketsphinx_continuous per request: `-infile` the raw audio, words with times on stdout (`-time yes`). */
export class PocketsphinxCliDecoder implements PocketsphinxDecoder {
  readonly mode = 'process' as const;
  private readonly running = new Set<() => void>();

  constructor(
    private readonly engineId: string,
    private readonly options: PocketsphinxOptions,
    private readonly logger: Logger,
  ) {}

  async decode(job: DecodeJob, signal: AbortSignal): Promise<DecodedUtterance[]> {
    const args = ['-infile', job.input, '-time', 'yes', '-hmm', this.options.hmm, '-dict', this.options.dict];
    args.push(...(job.jsgf !== undefined ? ['-jsgf', job.jsgf] : ['-lm', this.options.lm]));
    for (const [flag, value] of Object.entries(this.options.decoderOptions)) args.push(`-${flag}`, value);
    const run = await this.run(args, signal);
    if (run.code !== 0) throw this.failure(run, job.jsgf !== undefined);
    return parseCliOutput(run.stdout);
  }

  async probe(): Promise<EngineHealth> {
    if (!(await startsUp(this.options.binary)))
      return { available: false, reason: `${this.options.binary} is not installed (${INSTALL_HINT})` };
    const problem = await modelFilesProblem(this.options);
    return problem ? { available: false, reason: problem } : { available: true };
  }

  dispose(): void {
    for (const kill of this.running) kill();
  }

  /** What a non-zero exit means: a grammar problem is the client's, anything else the engine's. */
  private failure(run: CliRun, withGrammar: boolean): EngineError {
    const detail = run.errors.join('; ');
    this.logger.warn({ engine: this.engineId, code: run.code, errors: run.errors }, 'pocketsphinx failed');
    if (withGrammar) {
      const missing = /The word '([^']+)' is missing in the dictionary/.exec(detail);
      if (missing) {
        const message = `the word '${missing[1]}' is not in the recogniser's dictionary`;
        return new EngineError('invalid_input', message, this.engineId);
      }
      if (/jsgf|grammar|fsg/i.test(detail))
        return new EngineError('invalid_input', 'the grammar is not valid JSGF', this.engineId);
    }
    return new EngineError('failed', `pocketsphinx exited with code ${run.code}`, this.engineId);
  }

  /** One decoder process; killed when the signal aborts or the decoder is disposed. */
  private run(args: string[], signal: AbortSignal): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('error', () => undefined); // the exit status reports a failed run
      child.stderr.on('error', () => undefined);
      const stdout: Buffer[] = [];
      const errors: string[] = [];
      let pending = '';
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        const lines = (pending + text).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (/^(ERROR|FATAL)/.test(line) && errors.length < MAX_ERROR_LINES)
            errors.push(line.trim().slice(0, 300));
        }
      });
      const kill = (): void => killQuietly(child);
      this.running.add(kill);
      signal.addEventListener('abort', kill, { once: true });
      const settle = (): void => {
        this.running.delete(kill);
        signal.removeEventListener('abort', kill);
      };
      // `on`, not `once`: a later error (a failed kill) must find a listener too.
      child.on('error', (error) => {
        settle();
        const message = `${this.options.binary} could not be started (${INSTALL_HINT})`;
        reject(new EngineError('unavailable', message, this.engineId, { cause: error }));
      });
      child.once('close', (code) => {
        settle();
        if (signal.aborted) reject(abortedError(this.engineId));
        else resolve({ stdout: Buffer.concat(stdout).toString('utf8'), errors, code });
      });
    });
  }
}
