import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { VOICE_GENDERS, type VoiceGender } from '../../engines/ports/engine-health.js';

/** GET /tts/voices filters; each is checked before it can reach a query. */
export class VoiceQueryDto {
  @ApiPropertyOptional({ example: 'en-us', description: 'Language tag (e.g. en, en-us, pt-br)' })
  @IsOptional()
  @Matches(/^[a-z]{2,3}(-[a-z0-9]{2,8}){0,3}$/i, {
    message: 'language must be a language tag such as en or en-us',
  })
  language?: string;

  @ApiPropertyOptional({ enum: VOICE_GENDERS })
  @IsOptional()
  @IsIn(VOICE_GENDERS)
  gender?: VoiceGender;

  @ApiPropertyOptional({ description: 'Engine id from config.yaml' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'engine must be an engine id' })
  engine?: string;
}
