import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeWav } from '../../../audio/wav.js';
import { type ProgramOptions, readProgramOptions } from '../../process/program-options.js';
import { ProcessRunner } from '../../process/process-runner.js';
import { ProgramVoices } from '../../process/program-voices.js';
import type { AudioClip } from '../../ports/audio-clip.js';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineFactory } from '../../ports/engine-factory.js';
import type { EngineHealth, EngineVoice } from '../../ports/engine-health.js';
import type { SynthesisRequest, TtsCapabilities, TtsEngine } from '../../ports/tts-engine.js';
import { CachedHealth } from '../cached-health.js';

const SAMPLE_RATE = 16000;
const INSTALL_HINT = 'apt-get install flite';
const DEFAULTS = { binary: 'flite', defaultVoice: 'slt' };
/**
 * The voices Debian's flite builds in, as `flite -lv` names them. Left out: `kal` (the
 * 8 kHz twin of kal16) and `awb_time` (a limited-domain voice that only speaks clock times).
 */
const VOICES: readonly EngineVoice[] = [
  { id: 'slt', name: 'US English female (CMU ARCTIC slt)', language: 'en-us', gender: 'female' },
  { id: 'rms', name: 'US English male (CMU ARCTIC rms)', language: 'en-us', gender: 'male' },
  { id: 'awb', name: 'Scottish English male (CMU ARCTIC awb)', language: 'en-gb-scotland', gender: 'male' },
  { id: 'kal16', name: 'US English male (diphone kal, 16 kHz)', language: 'en-us', gender: 'male' },
];

/**
 * flite (CMU Flite), one process per request: the text goes in a file, the WAV comes out
 * in another, both in the run's private directory (flite cannot write to a socket; see
 * ProcessRunner). flite quietly speaks with its default voice when asked for one it lacks,
 * so the voice is checked against `flite -lv` first. Speed is duration_stretch.
 */
export class FliteTtsEngine implements TtsEngine {
  readonly type = 'flite';
  private readonly runner: ProcessRunner;
  private readonly voices: ProgramVoices;
  private readonly cachedHealth = new CachedHealth(() => this.voices.health(this.options.defaultVoice));

  constructor(
    readonly id: string,
    private readonly options: ProgramOptions,
  ) {
    this.runner = new ProcessRunner({
      program: options.binary,
      owner: id,
      installHint: INSTALL_HINT,
      concurrency: options.maxConcurrent,
      timeoutMs: options.timeoutSeconds * 1000,
    });
    // `flite -lv` prints "Voices available: kal awb_time kal16 awb rms slt".
    this.voices = new ProgramVoices(id, async () => {
      const run = await this.runner.run(['-lv'], { what: 'list its voices' });
      const names = run.stdout.toString('utf8').replace(/^.*:/, '').trim().split(/\s+/);
      return VOICES.filter((voice) => names.includes(voice.id));
    });
  }

  capabilities(): TtsCapabilities {
    return {
      streaming: false,
      wordTimestamps: false,
      cloning: false,
      supportedParams: ['speed'],
      sampleRate: SAMPLE_RATE,
    };
  }

  listVoices(): Promise<EngineVoice[]> {
    return this.voices.list();
  }

  async synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<AudioClip> {
    if (signal.aborted) throw abortedError(this.id);
    if (!request.text?.trim()) throw new EngineError('invalid_input', 'The text is empty.', this.id);
    const speed = request.speed ?? 1;
    if (!(Number.isFinite(speed) && speed > 0))
      throw new EngineError('invalid_input', 'speed must be a positive number.', this.id);
    const voice = request.voiceId || this.options.defaultVoice;
    await this.voices.require(voice);
    return this.runner.inTempDir(async (directory) => {
      const [text, wav] = [join(directory, 'text.txt'), join(directory, 'speech.wav')];
      await writeFile(text, request.text);
      const stretch = ['--setf', `duration_stretch=${(1 / speed).toFixed(3)}`];
      await this.runner.run(['-voice', voice, ...stretch, '-f', text, '-o', wav], {
        signal,
        what: 'synthesise',
      });
      const clip = decodeWav(await readFile(wav));
      if (clip.sampleRate !== SAMPLE_RATE)
        throw new EngineError('failed', `flite wrote ${clip.sampleRate} Hz audio`, this.id);
      return { samples: clip.samples, sampleRate: SAMPLE_RATE };
    });
  }

  health(): Promise<EngineHealth> {
    return this.cachedHealth.get();
  }

  dispose(): Promise<void> {
    this.runner.close();
    this.cachedHealth.observe({ available: false, reason: 'the flite engine was shut down' });
    return Promise.resolve();
  }
}

/** `type: flite` in config.yaml's engines.tts (options: binary, default_voice, max_concurrent, timeout_seconds). */
export const fliteTtsEngineFactory: EngineFactory<TtsEngine> = {
  type: 'flite',
  kind: 'process',
  create: (definition) =>
    new FliteTtsEngine(definition.id, readProgramOptions(definition.options, 'flite', DEFAULTS)),
};
