import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_DATABASE_ID } from '../../../common/id-param.pipe.js';

/** GET /admin/usage filters: every one validated, all bound as parameters. */
export class UsageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_DATABASE_ID)
  user_id?: number;
  @ApiPropertyOptional({ description: 'ISO 8601 start (inclusive); default 30 days ago' })
  @IsOptional()
  @IsDateString()
  from?: string;
  @ApiPropertyOptional({ description: 'ISO 8601 end (exclusive); default now' })
  @IsOptional()
  @IsDateString()
  to?: string;
}

export class PageQueryDto {
  @ApiPropertyOptional({ default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_DATABASE_ID)
  offset?: number;
}
