import { ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  validateSync,
} from 'class-validator';
import { OUTPUT_FORMATS, type OutputFormat } from '../../audio/audio-format.js';
import { AppError } from '../../common/app-error.js';
import { findInputProblem } from '../../common/input-check.js';
import { fieldErrorsOf } from '../../common/validation.pipe.js';

/** Form fields are text: "true"/"false" (or 1/0) become booleans; anything else is left to be refused. */
function toBoolean({ value }: { value: unknown }): unknown {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
}

/**
 * The fields of POST /conversation: a JSON body, or the text fields of a multipart body
 * whose `file` part is the spoken turn (then `text` is not sent).
 */
export class ConversationTurnDto {
  @ApiPropertyOptional({ description: 'The typed turn (JSON bodies); a multipart body sends `file` instead' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  text?: string;

  @ApiPropertyOptional({
    description: 'Continue this conversation (from an earlier answer); default: a new one',
  })
  @IsOptional()
  @IsUUID('all', { message: 'conversation_id must be an id from an earlier answer' })
  conversation_id?: string;

  @ApiPropertyOptional({ description: 'Voice of the spoken reply (default gen.default_voice)' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  voice?: string;

  @ApiPropertyOptional({
    enum: OUTPUT_FORMATS,
    description: 'Audio format (default gen.default_response_format)',
  })
  @IsOptional()
  @IsIn(OUTPUT_FORMATS)
  response_format?: OutputFormat;

  @ApiPropertyOptional({ description: 'A chat engine id or a model name mapped to one' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, {
    message: 'model must be a chat engine id or a model name',
  })
  model?: string;

  @ApiPropertyOptional({
    description: 'Answer as Server-Sent Events (transcript, reply.delta, audio.delta, done)',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  stream?: boolean;
}

/** The field names (class fields are defined on every instance). */
const FIELD_NAMES: ReadonlySet<string> = new Set(Object.keys(new ConversationTurnDto()));

function invalid(
  fields: Array<{ field: string; errors: string[] }>,
  message = 'The request is invalid.',
): AppError {
  return new AppError('VALIDATION_FAILED', message, { fields });
}

/**
 * Validates a turn's fields: unknown names (prototype names included) and bad values are
 * 400 VALIDATION_FAILED listing each field. `spoken`: the audio came as a file, so `text`
 * must not be sent; otherwise `text` is required. `maxTextLength` is
 * routers.core.conversation.max_text_length, named in the refusal.
 */
export function parseTurnFields(
  raw: unknown,
  options: { spoken: boolean; maxTextLength: number },
): ConversationTurnDto {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(
      [{ field: 'body', errors: ['body must be a JSON object'] }],
      'Send a JSON object or a multipart form.',
    );
  }
  const record = raw as Record<string, unknown>;
  const unknown = Object.keys(record).filter((name) => !FIELD_NAMES.has(name));
  if (unknown.length > 0) {
    throw invalid(
      unknown.map((name) => ({
        field: name.slice(0, 64),
        errors: [`property ${name.slice(0, 64)} should not exist`],
      })),
    );
  }
  const known: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) if (Object.hasOwn(record, name)) known[name] = record[name];
  // Multipart fields bypass the JSON edge check: the same rule (no NUL, no lone surrogate) here.
  const problem = findInputProblem(known, 4);
  if (problem)
    throw invalid(
      [{ field: problem.field, errors: [problem.reason] }],
      `'${problem.field}' ${problem.reason}.`,
    );
  const dto = plainToInstance(ConversationTurnDto, known);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw invalid(fieldErrorsOf(errors));
  if (options.spoken && dto.text !== undefined) {
    throw invalid(
      [{ field: 'text', errors: ['send either text or an audio file, not both'] }],
      'Send either text or an audio file, not both.',
    );
  }
  if (!options.spoken && dto.text === undefined) {
    throw invalid(
      [{ field: 'text', errors: ['text is required (or send the audio as a multipart file part)'] }],
      'text is required, or send the spoken turn as a multipart "file" part.',
    );
  }
  if (dto.text !== undefined && dto.text.trim() === '') {
    throw invalid([{ field: 'text', errors: ['text must not be blank'] }], 'text must not be blank.');
  }
  if (dto.text !== undefined && dto.text.length > options.maxTextLength) {
    const knob = 'routers.core.conversation.max_text_length';
    const message = `text is longer than ${options.maxTextLength} characters (${knob}).`;
    throw new AppError('VALIDATION_FAILED', message, {
      fields: [{ field: 'text', errors: [message] }],
      limit: { name: knob, value: options.maxTextLength },
    });
  }
  return dto;
}
