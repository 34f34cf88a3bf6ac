import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UsageLogEntry } from './usage-log.js';

/** One usage_logs row as GET /me/usage shows it to its owner. */
export interface RecentUsageRow {
  created_at: Date;
  endpoint: string;
  engine: string | null;
  voice: string | null;
  audio_seconds: number;
  status: string;
  error_code: string | null;
  latency_ms: number;
}

export interface UsageSummaryRow {
  user_id: number;
  email: string;
  requests: number;
  successes: number;
  failures: number;
  audio_seconds: number;
}

/** Reads usage_logs for the admin API and writes the rows of unmetered-by-seconds calls (chat); values are bound parameters. */
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

  /** A user's latest usage rows, newest first. */
  recentOf(userId: number, limit: number): Promise<RecentUsageRow[]> {
    return this.dataSource.query<RecentUsageRow[]>(
      `SELECT created_at, endpoint, engine, voice, audio_seconds::float8 AS audio_seconds, status, error_code,
              latency_ms
         FROM usage_logs
        WHERE user_id = $1
        ORDER BY created_at DESC, id DESC
        LIMIT $2`,
      [userId, limit],
    );
  }

  /** Writes one usage row as it is (no quota change: chat turns are not charged in seconds). */
  async record(entry: UsageLogEntry): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO usage_logs (user_id, key_id, endpoint, voice, engine, model, text_length, audio_seconds,
                               status, error_code, latency_ms, request_id, prompt_tokens, completion_tokens)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        entry.userId,
        entry.keyId,
        entry.endpoint.slice(0, 200),
        entry.voice ?? null,
        entry.engine?.slice(0, 64) ?? null,
        entry.model?.slice(0, 128) ?? null,
        entry.textLength ?? null,
        entry.audioSeconds,
        entry.status,
        entry.errorCode ?? null,
        Math.min(Math.max(0, Math.round(entry.latencyMs)), 2147483647),
        entry.requestId.slice(0, 128),
        entry.promptTokens ?? null,
        entry.completionTokens ?? null,
      ],
    );
  }
}
