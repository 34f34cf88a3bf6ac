import { ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance, Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  validateSync,
} from 'class-validator';
import { AppError } from '../../common/app-error.js';
import { fieldErrorsOf } from '../../common/validation.pipe.js';
import { findInputProblem } from '../../common/input-check.js';

export const TRANSCRIPT_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];
export const TIMESTAMP_GRANULARITIES = ['word', 'segment'] as const;

/** Form fields and query parameters are text: "0.2" → 0.2; anything else is left for the validator to refuse. */
function toNumber({ value }: { value: unknown }): unknown {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
    ? Number(value)
    : value;
}

function toBoolean({ value }: { value: unknown }): unknown {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
}

/** A list sent as repeated fields, `name[]` fields, or one comma-separated value. */
function toList({ value }: { value: unknown }): unknown {
  if (typeof value === 'string')
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  return value;
}

/**
 * The options of POST /stt and POST /v1/audio/transcriptions, from multipart fields or
 * (for a raw audio body) the query string. The audio itself is the `file` part or the body.
 */
export class TranscribeDto {
  @ApiPropertyOptional({
    description: 'An STT engine id, or an OpenAI model name (whisper-1, …) for the default engine',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'model must be an engine id or a model name' })
  model?: string;

  @ApiPropertyOptional({ description: 'ISO 639-1 language of the audio, e.g. en' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-zA-Z]{2,3}(-[a-zA-Z]{2,4})?$/, {
    message: 'language must be an ISO 639-1 code such as en or en-US',
  })
  language?: string;

  @ApiPropertyOptional({ description: 'Context for engines that use it (Whisper-class remote engines)' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  prompt?: string;

  @ApiPropertyOptional({ enum: TRANSCRIPT_FORMATS, default: 'json' })
  @IsOptional()
  @IsIn(TRANSCRIPT_FORMATS)
  response_format?: TranscriptFormat;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  temperature?: number;

  @ApiPropertyOptional({ isArray: true, enum: TIMESTAMP_GRANULARITIES })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @IsIn(TIMESTAMP_GRANULARITIES, { each: true })
  timestamp_granularities?: Array<(typeof TIMESTAMP_GRANULARITIES)[number]>;

  @ApiPropertyOptional({
    description: 'Words or phrases (comma-separated or repeated); only these can be recognised',
  })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  vocabulary?: string[];

  @ApiPropertyOptional({ description: 'A JSGF grammar; only what it allows can be recognised' })
  @IsOptional()
  @IsString()
  @MaxLength(60_000)
  grammar?: string;

  @ApiPropertyOptional({ description: 'Include word timings in verbose_json (native /stt)' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  timestamps?: boolean;
}

/** The option names (the DTO's own properties: class fields are defined on every instance). */
const OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(new TranscribeDto()));

/**
 * Validates form fields or query parameters as a TranscribeDto: 400 VALIDATION_FAILED lists
 * each bad field. Names other than the options are refused before the object is built,
 * `__proto__` and `constructor` included (class-transformer would skip those silently).
 */
export function parseTranscribeOptions(raw: Record<string, unknown>): TranscribeDto {
  const unknown = Object.keys(raw).filter((name) => !OPTION_NAMES.has(name));
  if (unknown.length > 0) {
    throw new AppError('VALIDATION_FAILED', 'The request is invalid.', {
      fields: unknown.map((name) => ({
        field: name.slice(0, 64),
        errors: [`property ${name.slice(0, 64)} should not exist`],
      })),
    });
  }
  const known: Record<string, unknown> = {};
  for (const name of OPTION_NAMES) if (Object.hasOwn(raw, name)) known[name] = raw[name];
  // Form fields bypass the JSON edge check: the same rule (no NUL, no lone surrogate) here.
  const problem = findInputProblem(known, 4);
  if (problem) {
    throw new AppError('VALIDATION_FAILED', `'${problem.field}' ${problem.reason}.`, {
      fields: [{ field: problem.field, errors: [problem.reason] }],
    });
  }
  const dto = plainToInstance(TranscribeDto, known);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new AppError('VALIDATION_FAILED', 'The request is invalid.', { fields: fieldErrorsOf(errors) });
  }
  if (dto.grammar !== undefined && dto.vocabulary !== undefined) {
    throw new AppError('VALIDATION_FAILED', 'Send either grammar or vocabulary, not both.', {
      fields: [{ field: 'grammar', errors: ['grammar and vocabulary cannot be combined'] }],
    });
  }
  return dto;
}
