import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsEmail,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';

export const PLAN_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_QUOTA_SECONDS = 1e10;

export class CreateUserDto {
  @ApiProperty() @IsString() @Length(1, 200) name!: string;
  @ApiProperty() @IsEmail() @Length(3, 320) email!: string;
  @ApiPropertyOptional({ description: 'A plan from rate_limits.plans (default: rate_limits.default_plan)' })
  @IsOptional()
  @Matches(PLAN_NAME)
  plan?: string;
  @ApiPropertyOptional({ description: 'Default: the plan’s quota_seconds' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(MAX_QUOTA_SECONDS)
  quota_seconds?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_admin?: boolean;
}
