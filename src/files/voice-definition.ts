import { plainToInstance } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, Matches, validateSync } from 'class-validator';
import * as yaml from 'js-yaml';
import { VOICE_NAME } from '../accounts/admin/dto/voice.dto.js';
import { AppError } from '../common/app-error.js';
import { fieldErrorsOf } from '../common/validation.pipe.js';
import { VOICE_GENDERS, type VoiceGender } from '../engines/ports/engine-health.js';

/** Largest voice definition accepted (it is a few lines of JSON or YAML). */
export const MAX_VOICE_DEFINITION_BYTES = 64 * 1024;
const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{2,8}){0,3}$/i;
const ENGINE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * A voice definition file: the shape GET /tts/voices shows a voice in (voice-json.ts), so
 * a listed voice saved to a file is a valid upload. Unknown fields are refused.
 */
export class VoiceDefinition {
  @Matches(VOICE_NAME, { message: 'name must be 1–128 letters, digits, ":", ".", "_" or "-"' })
  name!: string;

  @Matches(ENGINE_ID, { message: 'engine must be an engine id' })
  engine!: string;

  @IsString() @Length(1, 128) engine_voice_id!: string;

  @Matches(LANGUAGE, { message: 'language must be a language tag such as en or en-us' })
  language!: string;

  @IsOptional() @IsIn(VOICE_GENDERS) gender?: VoiceGender;

  @IsOptional() @IsString() @Length(0, 2000) description?: string | null;
}

/** How the definition was written, for its stored Content-Type. */
export type VoiceDefinitionSyntax = 'json' | 'yaml';

function invalid(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('VALIDATION_FAILED', message, details);
}

/**
 * Reads and checks a voice definition (JSON or YAML, UTF-8): one mapping with the fields
 * of VoiceDefinition. Anything else is 400 VALIDATION_FAILED saying what is wrong.
 */
export function parseVoiceDefinition(bytes: Buffer): {
  definition: VoiceDefinition;
  syntax: VoiceDefinitionSyntax;
} {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
  if (text.includes('\uFFFD')) throw invalid('The voice definition is not UTF-8 text.');
  const syntax: VoiceDefinitionSyntax = /^\s*\{/.test(text) ? 'json' : 'yaml';
  let document: unknown;
  try {
    document = syntax === 'json' ? JSON.parse(text) : yaml.load(text, { schema: yaml.JSON_SCHEMA });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'unreadable';
    throw invalid(`The voice definition is not valid ${syntax.toUpperCase()}: ${reason.slice(0, 200)}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid(
      'A voice definition is one mapping: name, engine, engine_voice_id, language, gender, description.',
    );
  }
  const definition = plainToInstance(VoiceDefinition, document);
  const errors = validateSync(definition, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw invalid('The voice definition is invalid.', { fields: fieldErrorsOf(errors) });
  }
  return { definition, syntax };
}
