import type { EngineVoice, VoiceGender } from '../../ports/engine-health.js';

/** One voice as espeak lists it (from the WASM data set, the reference for both backends). */
export interface EspeakVoiceInfo {
  /** The voice file, e.g. gmw/en-US; what both backends are given to select it. */
  identifier: string;
  name: string;
  /** Lower priority = better match for that language; the first is the voice's own. */
  languages: ReadonlyArray<{ priority: number; name: string }>;
  /** espeak_VOICE.gender: 0 none, 1 male, 2 female. */
  gender: number;
}

export interface CatalogVoice extends EngineVoice {
  identifier: string;
}

const GENDERS: Record<number, VoiceGender> = { 1: 'male', 2: 'female' };

function basename(identifier: string): string {
  return (identifier.split('/').pop() ?? identifier).toLowerCase();
}

/**
 * Voice ids, stable across espeak versions and the same for both backends:
 *
 * - the id is the voice's first (own) language name, lowercased: `en-us`, `en-gb`, `de`,
 *   `fr-fr`, `cmn`, `en-gb-x-rp`…
 * - when several voices share that language, the one whose file is named after it keeps it
 *   and the others take their lowercased file name (`yue` and `yue-latn-jyutping`); the
 *   full identifier (`sit-yue-…`) is the last resort.
 *
 * resolve() also accepts what espeak itself accepts, so ids people already know work:
 * an espeak identifier (`gmw/en-GB-x-rp`) or any language a voice declares, picking the
 * best-priority voice (`en` → en-gb, `fr` → fr-fr, `zh` → cmn, `no` → nb).
 */
export class EspeakVoiceCatalog {
  private readonly voices: CatalogVoice[];
  private readonly byId = new Map<string, CatalogVoice>();
  private readonly byIdentifier = new Map<string, CatalogVoice>();
  private readonly byLanguage = new Map<string, { voice: CatalogVoice; priority: number }>();

  constructor(entries: readonly EspeakVoiceInfo[]) {
    const primary = (entry: EspeakVoiceInfo) =>
      (entry.languages[0]?.name ?? basename(entry.identifier)).toLowerCase();
    const shared = new Map<string, number>();
    for (const entry of entries) shared.set(primary(entry), (shared.get(primary(entry)) ?? 0) + 1);
    const taken = new Set<string>();
    const pick = (...candidates: string[]) =>
      candidates.find((c) => !taken.has(c)) ?? candidates.at(-1) ?? '';
    // Voices named after their language claim the bare id first, whatever the list order.
    const ordered = [...entries].sort(
      (a, b) => Number(basename(b.identifier) === primary(b)) - Number(basename(a.identifier) === primary(a)),
    );
    const ids = new Map<EspeakVoiceInfo, string>();
    for (const entry of ordered) {
      const language = primary(entry);
      const fallback = entry.identifier.toLowerCase().replaceAll('/', '-');
      const id =
        shared.get(language) === 1 || basename(entry.identifier) === language
          ? pick(language, basename(entry.identifier), fallback)
          : pick(basename(entry.identifier), fallback);
      taken.add(id);
      ids.set(entry, id);
    }
    this.voices = entries.map((entry) => ({
      id: ids.get(entry) as string,
      name: entry.name,
      language: primary(entry),
      gender: GENDERS[entry.gender] ?? 'unknown',
      description: `espeak-ng ${entry.identifier}`,
      identifier: entry.identifier,
    }));
    for (const [index, voice] of this.voices.entries()) {
      this.byId.set(voice.id, voice);
      this.byIdentifier.set(voice.identifier.toLowerCase(), voice);
      for (const { name, priority } of entries[index].languages) {
        const best = this.byLanguage.get(name.toLowerCase());
        if (!best || priority < best.priority) this.byLanguage.set(name.toLowerCase(), { voice, priority });
      }
    }
  }

  list(): EngineVoice[] {
    return this.voices.map(({ identifier: _identifier, ...voice }) => voice);
  }

  get size(): number {
    return this.voices.length;
  }

  /** The voice for an id, an espeak identifier or a language name; undefined when none. */
  resolve(name: string): CatalogVoice | undefined {
    const key = name.trim().toLowerCase();
    return this.byId.get(key) ?? this.byIdentifier.get(key) ?? this.byLanguage.get(key)?.voice;
  }
}
