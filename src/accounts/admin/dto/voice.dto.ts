import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { VOICE_GENDERS, type VoiceGender } from '../../../engines/ports/engine-health.js';

export const VOICE_NAME = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;
const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{2,8}){0,3}$/i;

export class CreateVoiceDto {
  @ApiProperty() @Matches(VOICE_NAME) friendly_name!: string;
  @ApiProperty() @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/) engine!: string;
  @ApiProperty() @IsString() @Length(1, 128) engine_voice_id!: string;
  @ApiProperty() @Matches(LANGUAGE) language!: string;
  @ApiPropertyOptional({ enum: VOICE_GENDERS }) @IsOptional() @IsIn(VOICE_GENDERS) gender?: VoiceGender;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(0, 2000) description?: string;
}

export class UpdateVoiceDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) engine_voice_id?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(LANGUAGE) language?: string;
  @ApiPropertyOptional({ enum: VOICE_GENDERS }) @IsOptional() @IsIn(VOICE_GENDERS) gender?: VoiceGender;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(0, 2000) description?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_active?: boolean;
}
