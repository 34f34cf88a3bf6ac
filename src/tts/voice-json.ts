import type { VoiceEntity } from './voice.entity.js';

/** A voice as the API shows it (GET /tts/voices, /admin/voices). */
export function voiceJson(voice: VoiceEntity) {
  return {
    name: voice.friendlyName,
    engine: voice.engine,
    engine_voice_id: voice.engineVoiceId,
    language: voice.language,
    gender: voice.gender,
    description: voice.description,
  };
}
