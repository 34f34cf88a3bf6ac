import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { JOB_STATUSES, JOB_TYPES, type JobStatus, type JobType } from '../job-record.js';
import { IsInt, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';

/** POST /jobs (JSON). */
export class SubmitJobDto {
  @ApiProperty({ enum: JOB_TYPES })
  @IsIn(JOB_TYPES)
  type!: JobType;

  @ApiProperty({
    description: 'tts: the /tts body; stt: { file_id, …the /stt options }',
    example: { text: 'A long chapter…', response_format: 'mp3' },
  })
  @IsObject()
  input!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Called (signed POST) when the job ends' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  callback_url?: string;

  @ApiPropertyOptional({ description: 'A repeated key answers the job it first created' })
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,200}$/, { message: 'idempotency_key must be 1–200 printable ASCII characters' })
  idempotency_key?: string;
}

/** GET /jobs query. */
export class ListJobsQueryDto {
  @IsOptional() @IsIn(JOB_STATUSES) status?: JobStatus;
  @IsOptional() @IsIn(JOB_TYPES) type?: JobType;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) limit?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000) offset?: number;
}
