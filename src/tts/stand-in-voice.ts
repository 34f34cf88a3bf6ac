import type { VoiceEntity } from './voice.entity.js';

type VoiceFacts = Pick<VoiceEntity, 'friendlyName' | 'engine' | 'engineVoiceId' | 'language'>;

const baseLanguage = (tag: string): string => tag.toLowerCase().split('-')[0] ?? '';

/**
 * The voice a fallback engine speaks a request in, when the voice asked for belongs to
 * another engine. Friendly names are unique across engines, so "the same voice" means the
 * fallback engine's voice with the same engine voice id (or named like the requested
 * friendly name); else one of the same language (exact tag first: en-us before en); else
 * `defaultVoice` (gen.default_voice) when that engine has it; else its first voice by
 * language and name. Null when the engine has no voice at all. `voices` are that engine's
 * active voices, in any order: the choice does not depend on it.
 */
export function pickStandInVoice<T extends VoiceFacts>(
  requested: VoiceFacts,
  voices: readonly T[],
  defaultVoice: string,
): T | null {
  const ordered = [...voices].sort(
    (a, b) => a.language.localeCompare(b.language) || a.friendlyName.localeCompare(b.friendlyName),
  );
  const language = requested.language.toLowerCase();
  return (
    ordered.find(
      (v) => v.engineVoiceId === requested.engineVoiceId || v.engineVoiceId === requested.friendlyName,
    ) ??
    ordered.find((v) => v.language.toLowerCase() === language) ??
    ordered.find((v) => baseLanguage(v.language) === baseLanguage(language)) ??
    ordered.find((v) => v.friendlyName === defaultVoice) ??
    ordered[0] ??
    null
  );
}
