import { EngineError } from '../ports/engine-error.js';
import type { EngineHealth, EngineVoice } from '../ports/engine-health.js';

/**
 * A local program's voices, loaded once by `load` (typically: run its voice-list command
 * and keep the voices the adapter knows the language and gender of) and loaded again after
 * a failure. Checking a voice before running matters: some programs (flite) quietly speak
 * with their default voice when asked for one they lack.
 */
export class ProgramVoices {
  private loaded?: Promise<EngineVoice[]>;

  constructor(
    private readonly engineId: string,
    private readonly load: () => Promise<EngineVoice[]>,
  ) {}

  list(): Promise<EngineVoice[]> {
    this.loaded ??= this.load();
    this.loaded.catch(() => (this.loaded = undefined));
    return this.loaded;
  }

  /** The voice, or `voice_not_found` (the program's own failures pass through). */
  async require(voiceId: string): Promise<EngineVoice> {
    const voice = (await this.list()).find((known) => known.id === voiceId);
    if (!voice)
      throw new EngineError('voice_not_found', `${this.engineId} has no voice '${voiceId}'.`, this.engineId);
    return voice;
  }

  /** Available when the voices load and include the default one; otherwise why not. */
  async health(defaultVoice: string): Promise<EngineHealth> {
    try {
      if ((await this.list()).some((voice) => voice.id === defaultVoice)) return { available: true };
      return { available: false, reason: `options.default_voice '${defaultVoice}' is not one of its voices` };
    } catch (error) {
      return { available: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }
}
