import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMinSize,
  IsArray,
  IsDateString,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';
import { API_SCOPES, type ApiScope } from '../../../common/request-context.js';

export class CreateKeyDto {
  @ApiPropertyOptional({ default: 'default' }) @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional({
    enum: API_SCOPES,
    isArray: true,
    description: 'Default: every scope but ops and admin',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(API_SCOPES, { each: true })
  scopes?: ApiScope[];
  @ApiPropertyOptional({ description: 'ISO 8601 time after which the key stops working' })
  @IsOptional()
  @IsDateString()
  expires_at?: string;
}

export class RotateKeyDto {
  @ApiPropertyOptional({
    description: 'Hours the old key keeps working (default auth.key_rotation_grace_hours)',
  })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(24 * 90)
  grace_hours?: number;
}
