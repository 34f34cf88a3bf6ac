import { AppError } from '../common/app-error.js';
import { VOICE_GENDERS, type VoiceGender } from '../engines/ports/engine-health.js';

/** One user of the OdeaDev export (migration_data.json). */
export interface ImportedUser {
  name: string;
  email: string;
  plan?: string;
  quotaSeconds?: number;
  usedSeconds?: number;
  isAdmin: boolean;
}

export interface ImportedVoice {
  friendlyName: string;
  engineVoiceId: string;
  language: string;
  gender: VoiceGender;
}

export interface MigrationData {
  users: ImportedUser[];
  voices: ImportedVoice[];
  /** Entries that could not be read, by position; nothing is guessed for them. */
  rejected: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalSeconds(entry: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = entry[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * Reads the export format of the OdeaDev migration guide: `users` with plan, quota and used
 * seconds, `voices` with friendly_name, minimax_voice_id, language and gender.
 */
export function parseMigrationData(text: string): MigrationData {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'migration_data.json is not valid JSON.');
  }
  if (!isRecord(document)) throw new AppError('VALIDATION_FAILED', 'migration_data.json must be an object.');
  const rejected: string[] = [];
  const users: ImportedUser[] = [];
  const voices: ImportedVoice[] = [];
  const rawUsers = Array.isArray(document['users']) ? document['users'] : [];
  rawUsers.forEach((entry: unknown, i) => {
    const email = isRecord(entry) ? entry['email'] : undefined;
    if (!isRecord(entry) || typeof email !== 'string' || !EMAIL.test(email) || email.length > 320) {
      rejected.push(`users[${i}]: needs an email`);
      return;
    }
    const name = typeof entry['name'] === 'string' && entry['name'] ? entry['name'] : email;
    users.push({
      name: name.slice(0, 200),
      email: email.toLowerCase(),
      plan: typeof entry['plan'] === 'string' ? entry['plan'] : undefined,
      quotaSeconds: optionalSeconds(entry, 'quota_seconds', 'quota'),
      usedSeconds: optionalSeconds(entry, 'used_seconds', 'used'),
      isAdmin: entry['is_admin'] === true,
    });
  });
  const rawVoices = Array.isArray(document['voices']) ? document['voices'] : [];
  rawVoices.forEach((entry: unknown, i) => {
    if (
      !isRecord(entry) ||
      typeof entry['friendly_name'] !== 'string' ||
      typeof entry['minimax_voice_id'] !== 'string' ||
      typeof entry['language'] !== 'string'
    ) {
      rejected.push(`voices[${i}]: needs friendly_name, minimax_voice_id and language`);
      return;
    }
    const gender = typeof entry['gender'] === 'string' ? entry['gender'].toLowerCase() : 'unknown';
    voices.push({
      friendlyName: entry['friendly_name'],
      engineVoiceId: entry['minimax_voice_id'],
      language: entry['language'].toLowerCase(),
      gender: (VOICE_GENDERS as readonly string[]).includes(gender) ? (gender as VoiceGender) : 'unknown',
    });
  });
  return { users, voices, rejected };
}
