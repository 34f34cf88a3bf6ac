import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';

/** Audio formats a chat completion can answer in (OpenAI's `audio.format`). */
export const CHAT_AUDIO_FORMATS = ['wav', 'mp3', 'flac', 'opus', 'aac', 'pcm16'] as const;
export type ChatAudioFormat = (typeof CHAT_AUDIO_FORMATS)[number];
export const CHAT_MODALITIES = ['text', 'audio'] as const;
/** More messages than any conversation needs; the JSON body limit bounds their size. */
export const MAX_CHAT_MESSAGES = 1000;

function isStopSequences(value: unknown): boolean {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.length <= 4 && list.every((item) => typeof item === 'string' && item.length <= 256);
}

export class ChatStreamOptionsDto {
  @ApiPropertyOptional({ description: 'Send a last chunk with the usage before [DONE]' })
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;

  @ApiPropertyOptional({ description: 'Accepted; chunks are not padded here' })
  @IsOptional()
  @IsBoolean()
  include_obfuscation?: boolean;
}

export class ChatAudioOutputDto {
  @ApiProperty({ example: 'alloy', description: 'An OpenAI voice name (openai.voice_map) or a voice' })
  @IsString()
  @MaxLength(128)
  voice!: string;

  @ApiProperty({ enum: CHAT_AUDIO_FORMATS, example: 'wav' })
  @IsIn(CHAT_AUDIO_FORMATS)
  format!: ChatAudioFormat;
}

export class ChatResponseFormatDto {
  @ApiProperty({ enum: ['text'] })
  @IsIn(['text'], { message: 'only response_format text is supported here (no JSON mode)' })
  type!: 'text';
}

/**
 * OpenAI's POST /v1/chat/completions body (snake_case as OpenAI sends it). `messages` is
 * checked item by item by parseChatMessages (its parts are a union class-validator cannot
 * express). Options OpenAI clients commonly send are accepted; the ones that only tune an
 * LLM's sampling are ignored (X-Ignored-Params names them); the ones that would change the
 * answer's shape (tools, n > 1, JSON mode, logprobs) are refused naming the field.
 */
export class CreateChatCompletionDto {
  @ApiProperty({
    example: 'intents',
    description: 'A chat engine id, a model it serves, or an openai.chat_models name',
  })
  @IsString()
  @MaxLength(128)
  model!: string;

  @ApiProperty({
    example: [{ role: 'user', content: 'hello' }],
    description: 'role system | developer | user | assistant; content a string or text / input_audio parts',
    type: 'array',
    items: { type: 'object' },
  })
  @IsArray()
  @ArrayMinSize(1, { message: 'messages must contain at least one message' })
  @ArrayMaxSize(MAX_CHAT_MESSAGES)
  @IsObject({ each: true, message: 'each message must be an object' })
  messages!: unknown[];

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({ type: ChatStreamOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ChatStreamOptionsDto)
  stream_options?: ChatStreamOptionsDto;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ minimum: 1, description: 'Deprecated by OpenAI for max_completion_tokens' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_tokens?: number;

  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_completion_tokens?: number;

  @ApiPropertyOptional({ isArray: true, enum: CHAT_MODALITIES, example: ['text', 'audio'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @IsIn(CHAT_MODALITIES, { each: true })
  modalities?: Array<(typeof CHAT_MODALITIES)[number]>;

  @ApiPropertyOptional({ type: ChatAudioOutputDto, description: 'Required when modalities includes audio' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ChatAudioOutputDto)
  audio?: ChatAudioOutputDto;

  @ApiPropertyOptional({ minimum: 1, maximum: 1, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1, { message: 'n must be 1: one choice per request is generated here' })
  n?: number;

  @ApiPropertyOptional({ description: 'An end-user id (accepted, not stored)' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;

  // Accepted and ignored: sampling knobs a chat engine here may not have.
  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_p?: number;

  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  seed?: number;

  @ApiPropertyOptional({ description: 'Accepted, not applied' })
  @IsOptional()
  @ValidateBy({
    name: 'isStopSequences',
    validator: {
      validate: isStopSequences,
      defaultMessage: () => 'stop must be a string or a list of at most 4 strings of up to 256 characters',
    },
  })
  stop?: string | string[];

  @ApiPropertyOptional({ description: 'Accepted; nothing is stored' })
  @IsOptional()
  @IsBoolean()
  store?: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number' } })
  @IsOptional()
  @IsObject()
  logit_bias?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  reasoning_effort?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  verbosity?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  service_tier?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(256)
  prompt_cache_key?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(256)
  safety_identifier?: string;

  // Refused when asked for: they would change what the answer is.
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'Only an empty list' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(0, { message: 'tools are not supported here: no chat engine calls functions' })
  tools?: unknown[];

  @ApiPropertyOptional({ enum: ['none', 'auto'] })
  @IsOptional()
  @IsIn(['none', 'auto'], { message: 'tool_choice must be none or auto: tools are not supported here' })
  tool_choice?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  parallel_tool_calls?: boolean;

  @ApiPropertyOptional({ type: ChatResponseFormatDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ChatResponseFormatDto)
  response_format?: ChatResponseFormatDto;

  @ApiPropertyOptional({ enum: [false] })
  @IsOptional()
  @IsIn([false], { message: 'logprobs are not supported here' })
  logprobs?: boolean;

  @ApiPropertyOptional({ enum: [0] })
  @IsOptional()
  @IsIn([0], { message: 'top_logprobs are not supported here' })
  top_logprobs?: number;
}

/** Fields accepted but not applied, named in X-Ignored-Params when a request sets them. */
export const IGNORED_CHAT_FIELDS = [
  'top_p',
  'frequency_penalty',
  'presence_penalty',
  'seed',
  'stop',
  'logit_bias',
  'reasoning_effort',
  'verbosity',
  'service_tier',
] as const satisfies ReadonlyArray<keyof CreateChatCompletionDto>;
