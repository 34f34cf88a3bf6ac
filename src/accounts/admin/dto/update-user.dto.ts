import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNumber, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { MAX_QUOTA_SECONDS, PLAN_NAME } from './create-user.dto.js';

export class UpdateUserDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(PLAN_NAME) plan?: string;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(0) @Max(MAX_QUOTA_SECONDS) quota_seconds?: number;
  @ApiPropertyOptional({ description: 'Set to 0 to start a new quota period' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(MAX_QUOTA_SECONDS)
  used_seconds?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_active?: boolean;
}
