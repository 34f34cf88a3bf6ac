import { decodeWav } from '../../../audio/wav.js';
import { EngineError } from '../../ports/engine-error.js';
import { ProcessRunner } from '../../process/process-runner.js';
import { ESPEAK_SAMPLE_RATE } from './espeak-params.js';

/** What the installed program offers, learned once from `espeak-ng --voices`. */
export type NativeProbe = { found: true; voices: ReadonlySet<string> } | { found: false; reason: string };

export interface NativeSynthesisJob {
  /** SSML (plain text arrives already escaped). */
  input: string;
  /** espeak identifier, e.g. gmw/en-US. */
  voice: string;
  rate: number;
  pitch: number;
  /** Stop once the clip has more samples than this (the caller wants no more). */
  maxSamples?: number;
}

/** Bytes of the WAV header espeak-ng writes before the samples. */
const WAV_HEADER_BYTES = 44;
const INSTALL_HINT = 'apt-get install espeak-ng';

/**
 * The espeak-ng program, one process per request, run by the ProcessRunner (no shell, own
 * process group killed on abort, queue of at most `maxConcurrent`). It is 2.5–3× faster
 * than the WASM build on long text (1000+ characters) and a crash only takes one request
 * with it, but each spawn costs 20–50 ms in a process the size of the gateway, most of it
 * blocking the event loop while the kernel copies the page tables: on short text warm WASM
 * is faster (see bench/espeak.bench.ts). Text goes in on stdin, never in argv (no option
 * injection from text starting with "-", no argv length limit). It reports no word
 * timings. Errors are EngineErrors of `engineId`.
 */
export class EspeakNativeCli {
  private probed?: Promise<NativeProbe>;
  private readonly runner: ProcessRunner;

  constructor(
    private readonly engineId: string,
    private readonly binary: string,
    maxConcurrent: number,
  ) {
    this.runner = new ProcessRunner({
      program: binary,
      owner: engineId,
      installHint: INSTALL_HINT,
      concurrency: maxConcurrent,
    });
  }

  /** Whether the program runs, and its voices (identifiers); asked once, then cached. */
  probe(): Promise<NativeProbe> {
    this.probed ??= this.runner
      .probe(['--voices'])
      .then((probe): NativeProbe =>
        probe.available
          ? { found: true, voices: parseVoiceList(probe.stdout ?? '') }
          : { found: false, reason: `'${this.binary} --voices' failed: ${probe.reason}` },
      );
    return this.probed;
  }

  async synthesize(job: NativeSynthesisJob, signal: AbortSignal): Promise<Int16Array> {
    // -m: read SSML like the WASM build; -b 1: the input is UTF-8; --stdout: WAV on stdout.
    const voice = ['-v', job.voice, '-s', String(job.rate), '-p', String(job.pitch)];
    const args = [...voice, '-m', '-b', '1', '--stdout'];
    // Past the limit the rest is not wanted: the program is stopped, what it wrote kept.
    const run = await this.runner.run(args, {
      stdin: job.input,
      signal,
      what: 'synthesise',
      ...(job.maxSamples === undefined
        ? {}
        : { maxStdoutBytes: WAV_HEADER_BYTES + 2 * job.maxSamples + 2, atStdoutLimit: 'stop' as const }),
    });
    const pcm = decodeWav(run.stdout);
    if (pcm.sampleRate !== ESPEAK_SAMPLE_RATE) {
      throw new EngineError('failed', `espeak-ng wrote ${pcm.sampleRate} Hz audio`, this.engineId);
    }
    return pcm.samples;
  }

  /** Kills running processes; their requests fail `unavailable`. */
  close(): void {
    this.runner.close();
  }
}

/** Voice identifiers (the File column) of `espeak-ng --voices`. */
export function parseVoiceList(output: string): Set<string> {
  const voices = new Set<string>();
  for (const line of output.split('\n').slice(1)) {
    // Pty Language Age/Gender VoiceName File [Other languages]; names use _ for spaces.
    const file = line.trim().split(/\s+/)[4];
    if (file) voices.add(file);
  }
  return voices;
}
