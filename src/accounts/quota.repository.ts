import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UsageLogEntry } from './usage-log.js';
import { returnedRows } from './users.repository.js';

/** Rounds to the column's precision (numeric(14,3)) so reserve and settle add the same amounts. */
export function roundSeconds(seconds: number): number {
  return Math.max(0, Math.round(seconds * 1000) / 1000);
}

/** The usage row, written by the same statement as the quota change ($1 user; log values from $N). */
function logInsert(first: number): string {
  const p = (i: number) => `$${first + i}`;
  return `logged AS (
         INSERT INTO usage_logs (user_id, key_id, endpoint, voice, engine, model, text_length,
                                 audio_seconds, status, error_code, latency_ms, request_id)
         SELECT id, ${p(0)}::varchar, ${p(1)}::varchar, ${p(2)}::varchar, ${p(3)}::varchar, ${p(4)}::varchar,
                ${p(5)}::int, ${p(6)}::numeric, ${p(7)}::varchar, ${p(8)}::varchar, ${p(9)}::int, ${p(10)}::varchar
           FROM charged
       )`;
}

/** [$1 user, …amounts, …log values] in the order logInsert expects. */
function logParameters(log: UsageLogEntry, amounts: number[]): unknown[] {
  return [
    log.userId,
    ...amounts,
    log.keyId,
    log.endpoint.slice(0, 200),
    log.voice ?? null,
    log.engine ?? null,
    log.model ?? null,
    log.textLength ?? null,
    roundSeconds(log.audioSeconds),
    log.status,
    log.errorCode ?? null,
    Math.round(log.latencyMs),
    log.requestId.slice(0, 128),
  ];
}

/**
 * The quota's SQL. Each operation is one conditional statement: no read-modify-write, so
 * concurrent requests on any number of nodes cannot overspend, on PostgreSQL and on the
 * embedded database alike (which runs one statement at a time anyway).
 */
@Injectable()
export class QuotaRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Adds `seconds` to used_seconds if it still fits; the remaining seconds, or null when it does not. */
  async reserve(userId: number, seconds: number): Promise<number | null> {
    const result = await this.dataSource.query<
      Array<{ remaining: number }> | [Array<{ remaining: number }>, number]
    >(
      `UPDATE users SET used_seconds = used_seconds + $2
        WHERE id = $1 AND is_active AND used_seconds + $2 <= quota_seconds
        RETURNING (quota_seconds - used_seconds)::float8 AS remaining`,
      [userId, roundSeconds(seconds)],
    );
    const row = returnedRows(result)[0];
    return row ? row.remaining : null;
  }

  async remaining(userId: number): Promise<number> {
    const rows = await this.dataSource.query<Array<{ remaining: number }>>(
      `SELECT GREATEST(quota_seconds - used_seconds, 0)::float8 AS remaining FROM users WHERE id = $1`,
      [userId],
    );
    return rows[0]?.remaining ?? 0;
  }

  /**
   * Charges a known amount (a cached answer) in one statement: the conditional add and the
   * usage row together. The remaining seconds, or null when it does not fit (nothing written).
   */
  async charge(seconds: number, log: UsageLogEntry): Promise<number | null> {
    const rows = await this.dataSource.query<Array<{ remaining: number }>>(
      `WITH charged AS (
         UPDATE users SET used_seconds = used_seconds + $2::numeric
          WHERE id = $1 AND is_active AND used_seconds + $2::numeric <= quota_seconds
          RETURNING id, (quota_seconds - used_seconds)::float8 AS remaining
       ), ${logInsert(3)}
       SELECT remaining FROM charged`,
      logParameters(log, [roundSeconds(seconds)]),
    );
    return rows[0] ? rows[0].remaining : null;
  }

  /**
   * Replaces a reservation by the actual charge (0 for a failed request) and writes the usage
   * log row in the same statement. The charge is capped at the quota, so used_seconds never
   * exceeds quota_seconds even when the audio came out longer than estimated.
   */
  async settle(reservedSeconds: number, chargedSeconds: number, log: UsageLogEntry): Promise<number> {
    const rows = await this.dataSource.query<Array<{ remaining: number }>>(
      `WITH charged AS (
         UPDATE users
            SET used_seconds = LEAST(quota_seconds, GREATEST(0, used_seconds - $2::numeric + $3::numeric))
          WHERE id = $1
          RETURNING id, (quota_seconds - used_seconds)::float8 AS remaining
       ), ${logInsert(4)}
       SELECT remaining FROM charged`,
      logParameters(log, [roundSeconds(reservedSeconds), roundSeconds(chargedSeconds)]),
    );
    return rows[0]?.remaining ?? 0;
  }
}
