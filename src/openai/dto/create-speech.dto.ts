import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

export const OPENAI_SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;

/** OpenAI's POST /v1/audio/speech body (snake_case as OpenAI sends it). */
export class CreateSpeechDto {
  @ApiProperty({ example: 'tts-1' })
  @IsString()
  @MaxLength(64)
  model!: string;

  @ApiProperty({ example: 'Hello!' })
  @IsString()
  @MinLength(1)
  @MaxLength(1_000_000)
  input!: string;

  @ApiProperty({
    example: 'alloy',
    description: 'An OpenAI voice name (mapped in openai.voice_map) or a voice from /tts/voices',
  })
  @IsString()
  @MaxLength(128)
  voice!: string;

  @ApiPropertyOptional({ enum: OPENAI_SPEECH_FORMATS, default: 'mp3' })
  @IsOptional()
  @IsIn(OPENAI_SPEECH_FORMATS)
  response_format?: (typeof OPENAI_SPEECH_FORMATS)[number];

  @ApiPropertyOptional({ minimum: 0.25, maximum: 4, default: 1 })
  @IsOptional()
  @IsNumber()
  @Min(0.25)
  @Max(4)
  speed?: number;

  @ApiPropertyOptional({ description: 'Style instructions (engines that cannot follow them ignore them)' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  instructions?: string;

  @ApiPropertyOptional({ enum: ['audio', 'sse'], default: 'audio' })
  @IsOptional()
  @IsIn(['audio', 'sse'])
  stream_format?: 'audio' | 'sse';

  @ApiPropertyOptional({ minimum: 8000, maximum: 48000 })
  @IsOptional()
  @IsInt()
  @Min(8000)
  @Max(48000)
  sample_rate?: number;
}
