import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface UsageSummaryRow {
  user_id: number;
  email: string;
  requests: number;
  successes: number;
  failures: number;
  audio_seconds: number;
}

/** Reads usage_logs for the admin API; filters are bound parameters. */
@Injectable()
export class UsageRepository {
  constructor(private readonly dataSource: DataSource) {}

  summary(from: Date, to: Date, userId?: number): Promise<UsageSummaryRow[]> {
    return this.dataSource.query<UsageSummaryRow[]>(
      `SELECT l.user_id, u.email,
              count(*)::int AS requests,
              count(*) FILTER (WHERE l.status = 'success')::int AS successes,
              count(*) FILTER (WHERE l.status <> 'success')::int AS failures,
              COALESCE(sum(l.audio_seconds), 0)::float8 AS audio_seconds
         FROM usage_logs l JOIN users u ON u.id = l.user_id
        WHERE l.created_at >= $1 AND l.created_at < $2 AND ($3::int IS NULL OR l.user_id = $3::int)
        GROUP BY l.user_id, u.email
        ORDER BY l.user_id`,
      [from, to, userId ?? null],
    );
  }
}
