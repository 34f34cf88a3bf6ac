import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pcmBytes } from '../../../audio/pcm.js';
import { ConcurrencyLimiter } from '../../../common/concurrency-limiter.js';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import type {
  SttAudio,
  SttCapabilities,
  SttEngine,
  TranscribeOptions,
  Transcript,
} from '../../ports/stt-engine.js';
import type { PocketsphinxOptions } from './pocketsphinx-options.js';
import { parsePocketsphinxOutput } from './pocketsphinx-output.js';
import { vocabularyGrammar } from './vocabulary-grammar.js';

/** The only rate the Debian en-us model (and pocketsphinx_continuous on raw input) decodes. */
export const POCKETSPHINX_SAMPLE_RATE = 16_000;
/** How to get the program and model on Debian, for the unavailable reason. */
export const INSTALL_HINT = 'apt-get install pocketsphinx pocketsphinx-en-us';
/** Diagnostic lines kept from a failed run (its ERROR lines name the problem). */
const MAX_ERROR_LINES = 5;
const HEALTH_CACHE_MS = 10_000;

interface DecoderRun {
  stdout: string;
  errors: string[];
  code: number | null;
}

/** Whether the program starts at all (`-help yes` prints its flags and exits in ~30 ms, loading no model). */
function startsUp(binary: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(binary, ['-help', 'yes'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('close', () => resolve(true));
  });
}

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * CMU pocketsphinx through Debian's `pocketsphinx_continuous`: one decoder process per
 * request, 16 kHz mono s16le in a private temporary file (`-infile`), words with times
 * on stdout (`-time yes`). One process per request was measured against the alternatives
 * (bench/stt.bench.ts): model loading is ~0.2 s of CPU, a small share of decoding
 * (~0.3× real time), and separate processes decode in parallel, cannot leak state
 * between requests and die cleanly on abort.
 *
 * A request's `grammar` (JSGF) or `vocabulary` replaces the language model with a
 * grammar written to a private temporary file: command-style recognition, far more
 * accurate than the open-vocabulary model. Words outside the dictionary are the
 * client's error (invalid_input, the message names the word).
 */
export class PocketsphinxSttEngine implements SttEngine {
  readonly type = 'pocketsphinx';
  private readonly limiter: ConcurrencyLimiter;
  private readonly running = new Set<() => void>();
  private healthProbe?: { at: number; result: Promise<EngineHealth> };
  private disposed = false;

  constructor(
    readonly id: string,
    private readonly options: PocketsphinxOptions,
    private readonly logger: Logger,
  ) {
    this.limiter = new ConcurrencyLimiter(options.maxConcurrent);
  }

  capabilities(): SttCapabilities {
    return {
      kind: 'process',
      sampleRate: POCKETSPHINX_SAMPLE_RATE,
      languages: [this.options.language],
      wordTimestamps: true,
      supportedParams: ['grammar', 'vocabulary'],
    };
  }

  health(): Promise<EngineHealth> {
    const now = Date.now();
    if (!this.healthProbe || now - this.healthProbe.at > HEALTH_CACHE_MS) {
      this.healthProbe = { at: now, result: this.probe() };
    }
    return this.healthProbe.result;
  }

  dispose(): Promise<void> {
    this.disposed = true;
    for (const kill of this.running) kill();
    return Promise.resolve();
  }

  async transcribe(audio: SttAudio, options: TranscribeOptions, signal: AbortSignal): Promise<Transcript> {
    if (signal.aborted) throw abortedError(this.id);
    if (this.disposed) throw new EngineError('unavailable', 'the engine was shut down', this.id);
    if (audio.samples.length === 0) throw new EngineError('invalid_input', 'the audio is empty', this.id);
    if (audio.sampleRate !== POCKETSPHINX_SAMPLE_RATE) {
      throw new EngineError(
        'invalid_input',
        `audio must be ${POCKETSPHINX_SAMPLE_RATE} Hz (got ${audio.sampleRate} Hz)`,
        this.id,
      );
    }
    const language = options.language?.toLowerCase().split('-')[0];
    if (language && language !== this.options.language) {
      throw new EngineError(
        'invalid_input',
        `this engine recognises '${this.options.language}' only`,
        this.id,
      );
    }
    const health = await this.health();
    if (!health.available) throw new EngineError('unavailable', health.reason ?? 'unavailable', this.id);

    const grammar =
      options.grammar ?? (options.vocabulary?.length ? vocabularyGrammar(options.vocabulary) : undefined);
    let release: (() => void) | undefined;
    let folder: string | undefined;
    try {
      release = await this.limiter.acquire(signal);
      // The program opens its input by name; Node's stdio pipes are sockets, which it cannot
      // open as /dev/stdin, so the samples go through a private file (raw: no .wav suffix).
      folder = await mkdtemp(join(tmpdir(), 'speech-gateway-pocketsphinx-'));
      const input = join(folder, 'audio.raw');
      await writeFile(input, pcmBytes(audio.samples));
      const args = ['-infile', input, '-time', 'yes', '-hmm', this.options.hmm, '-dict', this.options.dict];
      if (grammar !== undefined) {
        const file = join(folder, 'request.gram');
        await writeFile(file, grammar);
        args.push('-jsgf', file);
      } else {
        args.push('-lm', this.options.lm);
      }
      for (const [flag, value] of Object.entries(this.options.decoderOptions)) args.push(`-${flag}`, value);
      const run = await this.run(args, signal);
      if (run.code !== 0) throw this.failure(run, grammar !== undefined);
      // A decode that worked proves the program and model are there: no probe while they keep working.
      this.healthProbe = { at: Date.now(), result: Promise.resolve({ available: true }) };
      const { segments, words } = parsePocketsphinxOutput(run.stdout);
      return {
        text: segments.map((segment) => segment.text).join(' '),
        language: this.options.language,
        durationSeconds: audio.samples.length / audio.sampleRate,
        segments,
        words,
      };
    } catch (error) {
      if (signal.aborted) throw abortedError(this.id);
      throw error;
    } finally {
      release?.();
      if (folder) await rm(folder, { recursive: true, force: true });
    }
  }

  /** What a non-zero exit means: a grammar problem is the client's, anything else the engine's. */
  private failure(run: DecoderRun, withGrammar: boolean): EngineError {
    const detail = run.errors.join('; ');
    this.logger.warn({ engine: this.id, code: run.code, errors: run.errors }, 'pocketsphinx failed');
    if (withGrammar) {
      const missing = /The word '([^']+)' is missing in the dictionary/.exec(detail);
      if (missing)
        return new EngineError(
          'invalid_input',
          `the word '${missing[1]}' is not in the recogniser's dictionary`,
          this.id,
        );
      if (/jsgf|grammar|fsg/i.test(detail))
        return new EngineError('invalid_input', 'the grammar is not valid JSGF', this.id);
    }
    return new EngineError('failed', `pocketsphinx exited with code ${run.code}`, this.id);
  }

  /** One decoder process; killed when the signal aborts or the engine is disposed. */
  private run(args: string[], signal: AbortSignal): Promise<DecoderRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
      const kill = (): void => void child.kill('SIGKILL');
      this.running.add(kill);
      signal.addEventListener('abort', kill, { once: true });
      child.once('error', (error) => {
        this.running.delete(kill);
        signal.removeEventListener('abort', kill);
        reject(
          new EngineError(
            'unavailable',
            `${this.options.binary} could not be started (${INSTALL_HINT})`,
            this.id,
            { cause: error },
          ),
        );
      });
      child.once('close', (code) => {
        this.running.delete(kill);
        signal.removeEventListener('abort', kill);
        if (signal.aborted) reject(abortedError(this.id));
        else resolve({ stdout: Buffer.concat(stdout).toString('utf8'), errors, code });
      });
    });
  }

  private async probe(): Promise<EngineHealth> {
    if (!(await startsUp(this.options.binary)))
      return { available: false, reason: `${this.options.binary} is not installed (${INSTALL_HINT})` };
    for (const [what, path] of [
      ['acoustic model', join(this.options.hmm, 'mdef')],
      ['language model', this.options.lm],
      ['dictionary', this.options.dict],
    ] as const) {
      if (!(await readable(path)))
        return { available: false, reason: `the ${what} ${path} is missing (${INSTALL_HINT})` };
    }
    return { available: true };
  }
}
