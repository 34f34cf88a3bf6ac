import { type ChildProcess, spawn } from 'node:child_process';
import { ESPEAK_SAMPLE_RATE } from './espeak-params.js';
import { ConcurrencyLimiter } from '../../../common/concurrency-limiter.js';
import { decodeWav } from '../../../audio/wav.js';

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

/** Why a native call failed, for the engine to turn into an EngineError of the right kind. */
export class NativeCliError extends Error {
  constructor(
    readonly reason: 'aborted' | 'failed' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'NativeCliError';
  }
}

const MAX_STDERR = 2000;

interface Run {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The program was stopped because its output passed the byte limit. */
  capped: boolean;
}

/** Bytes of the WAV header espeak-ng writes before the samples. */
const WAV_HEADER_BYTES = 44;

/**
 * The espeak-ng program, one process per request. It is 2.5–3× faster than the WASM build
 * on long text (1000+ characters) and a crash only takes one request with it, but each
 * spawn costs 20–50 ms in a process the size of the gateway, most of it blocking the event
 * loop while the kernel copies the page tables: on short text warm WASM is faster (see
 * bench/espeak.bench.ts). Text goes in on stdin, never in argv (no option injection from
 * text starting with "-", no argv length limit). It reports no word timings.
 */
export class EspeakNativeCli {
  private probed?: Promise<NativeProbe>;
  private readonly limiter: ConcurrencyLimiter;
  private readonly children = new Set<ChildProcess>();
  private closed = false;

  constructor(
    private readonly binary: string,
    maxConcurrent: number,
  ) {
    this.limiter = new ConcurrencyLimiter(maxConcurrent);
  }

  /** Whether the program runs, and its voices (identifiers); asked once, then cached. */
  probe(): Promise<NativeProbe> {
    this.probed ??= this.run(['--voices'], '').then(
      (run): NativeProbe => {
        if (run.code !== 0) {
          return { found: false, reason: `'${this.binary} --voices' failed: ${run.stderr.trim()}` };
        }
        return { found: true, voices: parseVoiceList(run.stdout.toString('utf8')) };
      },
      (error: unknown): NativeProbe => ({
        found: false,
        reason: `'${this.binary}' cannot run: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
    return this.probed;
  }

  async synthesize(job: NativeSynthesisJob, signal: AbortSignal): Promise<Int16Array> {
    let release: () => void;
    try {
      release = await this.limiter.acquire(signal);
    } catch (error) {
      if (signal.aborted) throw new NativeCliError('aborted', 'aborted');
      throw error;
    }
    try {
      if (this.closed) throw new NativeCliError('closed', 'the espeak engine was disposed');
      // -m: read SSML like the WASM build; -b 1: the input is UTF-8; --stdout: WAV on stdout.
      const voice = ['-v', job.voice, '-s', String(job.rate), '-p', String(job.pitch)];
      const args = [...voice, '-m', '-b', '1', '--stdout'];
      const maxBytes = job.maxSamples === undefined ? undefined : WAV_HEADER_BYTES + 2 * job.maxSamples + 2;
      const run = await this.run(args, job.input, signal, maxBytes);
      if (run.code !== 0 && !run.capped) {
        throw new NativeCliError(
          'failed',
          `espeak-ng exited with ${run.code ?? run.signal}: ${run.stderr.trim()}`,
        );
      }
      const pcm = decodeWav(run.stdout);
      if (pcm.sampleRate !== ESPEAK_SAMPLE_RATE) {
        throw new NativeCliError('failed', `espeak-ng wrote ${pcm.sampleRate} Hz audio`);
      }
      return pcm.samples;
    } finally {
      release();
    }
  }

  /** Kills running processes; their requests fail with reason 'closed'. */
  close(): void {
    this.closed = true;
    for (const child of this.children) child.kill('SIGKILL');
  }

  private run(args: string[], input: string, signal?: AbortSignal, maxStdoutBytes?: number): Promise<Run> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new NativeCliError('aborted', 'aborted'));
        return;
      }
      const child = spawn(this.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      this.children.add(child);
      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      let capped = false;
      let stderr = '';
      const onAbort = () => {
        child.kill('SIGKILL');
        reject(new NativeCliError('aborted', 'aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => {
        if (capped) return;
        stdout.push(chunk);
        stdoutBytes += chunk.length;
        // Past the limit the rest is not wanted: stop the program, keep what it wrote.
        if (maxStdoutBytes !== undefined && stdoutBytes > maxStdoutBytes) {
          capped = true;
          child.kill('SIGKILL');
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8');
      });
      // EPIPE when the program exits (or is killed) before reading all of stdin: 'close' reports it.
      child.stdin.on('error', () => undefined);
      child.on('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        this.children.delete(child);
        reject(error);
      });
      child.on('close', (code, exitSignal) => {
        signal?.removeEventListener('abort', onAbort);
        this.children.delete(child);
        if (this.closed && exitSignal) reject(new NativeCliError('closed', 'the espeak engine was disposed'));
        resolve({ stdout: Buffer.concat(stdout), stderr, code, signal: exitSignal, capped });
      });
      child.stdin.end(input, 'utf8');
    });
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
