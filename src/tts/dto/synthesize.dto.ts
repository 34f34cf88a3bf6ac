import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

export const TTS_RESPONSE_FORMATS = ['wav', 'mp3', 'opus', 'aac', 'flac', 'pcm', 'json'] as const;
export type TtsResponseFormat = (typeof TTS_RESPONSE_FORMATS)[number];

/** POST /tts (and its alias /v1/tts). Absent generation knobs take the `gen:` defaults. */
export class SynthesizeDto {
  @ApiProperty({ example: 'Hello from speech-gateway.' })
  @IsString()
  @MinLength(1)
  // The configured max_text_length is enforced after sanitising; this only stops absurd bodies early.
  @MaxLength(1_000_000)
  text!: string;

  @ApiPropertyOptional({
    description: 'Friendly voice name from GET /tts/voices (default gen.default_voice)',
    example: 'en-us',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  voice?: string;

  @ApiPropertyOptional({
    description: 'Alias of `voice` (the OdeaDev API); must agree with `voice` when both are sent',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  voice_name?: string;

  @ApiPropertyOptional({
    description: 'Alias of `voice` (the STTS server); must agree with `voice` when both are sent',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  voice_id?: string;

  @ApiPropertyOptional({ description: 'Engine id to use; must be the engine of the voice' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  model?: string;

  @ApiPropertyOptional({ minimum: 0.25, maximum: 4, description: '1.0 = normal rate' })
  @IsOptional()
  @IsNumber()
  @Min(0.25)
  @Max(4)
  speed?: number;

  @ApiPropertyOptional({ minimum: 0.5, maximum: 2, description: '1.0 = the voice’s normal pitch' })
  @IsOptional()
  @IsNumber()
  @Min(0.5)
  @Max(2)
  pitch?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(32)
  emotion?: string;

  @ApiPropertyOptional({ enum: TTS_RESPONSE_FORMATS, description: 'json = the envelope with base64 audio' })
  @IsOptional()
  @IsIn(TTS_RESPONSE_FORMATS)
  response_format?: TtsResponseFormat;

  @ApiPropertyOptional({ minimum: 8000, maximum: 48000 })
  @IsOptional()
  @IsInt()
  @Min(8000)
  @Max(48000)
  sample_rate?: number;

  @ApiPropertyOptional({ description: 'Send audio as chunks finish (wav, pcm, mp3, opus)' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({ description: 'Word start/end times (JSON answers)' })
  @IsOptional()
  @IsBoolean()
  timestamps?: boolean;

  @ApiPropertyOptional({ description: 'The text is SSML, passed to engines that support it' })
  @IsOptional()
  @IsBoolean()
  ssml?: boolean;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  exaggeration?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  cfg_weight?: number;
}
