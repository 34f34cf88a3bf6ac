/** Whether an engine can serve now; `reason` tells an operator what to do when it cannot. */
export interface EngineHealth {
  available: boolean;
  reason?: string;
}

/**
 * How an engine runs, for the migration flags: `library` engines run in-process (WASM,
 * native bindings; allowed by features.library_integration), `process` engines drive a
 * local program, `remote` engines call a server over HTTP.
 */
export type EngineKind = 'library' | 'process' | 'remote';

export type VoiceGender = 'male' | 'female' | 'neutral' | 'unknown';
export const VOICE_GENDERS: readonly VoiceGender[] = ['male', 'female', 'neutral', 'unknown'];

export interface EngineVoice {
  /** The engine's own voice id. */
  id: string;
  name: string;
  /** BCP-47-ish language tag, e.g. en-us. */
  language: string;
  gender: VoiceGender;
  description?: string;
}
