import type { Logger } from 'pino';
import { EngineError } from '../../ports/engine-error.js';
import { ProgramError } from '../../process/program-error.js';
import { ProcessRunner } from '../../process/process-runner.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import type { DecodeJob, PocketsphinxDecoder } from './pocketsphinx-decoder.js';
import { INSTALL_HINT, modelFilesProblem } from './pocketsphinx-model.js';
import type { PocketsphinxOptions } from './pocketsphinx-options.js';
import { type DecodedUtterance, parseCliOutput } from './pocketsphinx-output.js';

/** The diagnostic lines kept from a run (its ERROR lines name the problem; INFO lines are many). */
const ERROR_LINES = /^(ERROR|FATAL)/;

/** pocketsphinx_continuous per request: `-infile` the raw audio, words with times on stdout (`-time yes`). */
export class PocketsphinxCliDecoder implements PocketsphinxDecoder {
  readonly mode = 'process' as const;
  private readonly runner: ProcessRunner;

  constructor(
    private readonly engineId: string,
    private readonly options: PocketsphinxOptions,
    private readonly logger: Logger,
  ) {
    this.runner = new ProcessRunner({
      program: options.binary,
      owner: engineId,
      installHint: INSTALL_HINT,
      concurrency: 'caller', // the engine's max_concurrent queue bounds decodes, warm or not
    });
  }

  async decode(job: DecodeJob, signal: AbortSignal): Promise<DecodedUtterance[]> {
    const args = ['-infile', job.input, '-time', 'yes', '-hmm', this.options.hmm, '-dict', this.options.dict];
    args.push(...(job.jsgf !== undefined ? ['-jsgf', job.jsgf] : ['-lm', this.options.lm]));
    for (const [flag, value] of Object.entries(this.options.decoderOptions)) args.push(`-${flag}`, value);
    try {
      const run = await this.runner.run(args, { signal, stderrLines: ERROR_LINES, what: 'decode' });
      return parseCliOutput(run.stdout.toString('utf8'));
    } catch (error) {
      if (error instanceof ProgramError && error.failure === 'exit_code')
        throw this.failure(error, job.jsgf !== undefined);
      throw error;
    }
  }

  async probe(): Promise<EngineHealth> {
    // `-help yes` prints its flags and exits (code 1) in ~30 ms, loading no model.
    const startsUp = await this.runner.probe(['-help', 'yes'], { acceptExitCodes: [1] });
    if (!startsUp.available) return startsUp;
    const problem = await modelFilesProblem(this.options);
    return problem ? { available: false, reason: problem } : { available: true };
  }

  dispose(): void {
    this.runner.close();
  }

  /** What a non-zero exit means: a grammar problem is the client's, anything else the engine's. */
  private failure(error: ProgramError, withGrammar: boolean): EngineError {
    const detail = (error.details.stderr ?? '').split('\n').join('; ');
    const code = error.details.exitCode;
    this.logger.warn({ engine: this.engineId, code, errors: error.details.stderr }, 'pocketsphinx failed');
    if (withGrammar) {
      const missing = /The word '([^']+)' is missing in the dictionary/.exec(detail);
      if (missing) {
        const message = `the word '${missing[1]}' is not in the recogniser's dictionary`;
        return new EngineError('invalid_input', message, this.engineId);
      }
      if (/jsgf|grammar|fsg/i.test(detail))
        return new EngineError('invalid_input', 'the grammar is not valid JSGF', this.engineId);
    }
    return new EngineError('failed', `pocketsphinx exited with code ${code}`, this.engineId);
  }
}
