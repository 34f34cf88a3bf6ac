import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { EspeakVoiceInfo } from './espeak-voice-catalog.js';

/** The espeak-ng-emscripten package's version: its voice list changes only with it. */
export function espeakWasmVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('@echogarden/espeak-ng-emscripten');
    const manifest = require(join(dirname(main), 'package.json')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

function isVoiceInfo(value: unknown): value is EspeakVoiceInfo {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.identifier === 'string' &&
    typeof entry.name === 'string' &&
    typeof entry.gender === 'number' &&
    Array.isArray(entry.languages) &&
    entry.languages.every(
      (language: unknown) =>
        typeof language === 'object' &&
        language !== null &&
        typeof (language as Record<string, unknown>).name === 'string' &&
        typeof (language as Record<string, unknown>).priority === 'number',
    )
  );
}

/**
 * The WASM module's voice list, kept in a small JSON file (outputs/.espeak/voices-<version>.json)
 * so that later starts list voices without starting a worker (~75 MB). Written the first time
 * a worker lists them; keyed by the package version, so an upgrade lists afresh. Best effort:
 * a missing, unreadable or malformed file means "start a worker", never an error.
 */
export class EspeakVoiceCache {
  readonly file?: string;

  constructor(outputsFolder: string, version = espeakWasmVersion()) {
    if (version) this.file = join(outputsFolder, '.espeak', `voices-${version}.json`);
  }

  async read(): Promise<EspeakVoiceInfo[] | undefined> {
    if (!this.file) return undefined;
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      if (Array.isArray(parsed) && parsed.length > 0 && parsed.every(isVoiceInfo)) return parsed;
    } catch {
      // absent or unreadable: the caller starts a worker
    }
    return undefined;
  }

  /** Writes atomically (temp file then rename), so a reader never sees half a list. */
  async write(voices: readonly EspeakVoiceInfo[]): Promise<void> {
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(voices));
    await rename(temp, this.file);
  }
}
