import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UsageLogEntry } from './usage-log.js';

/** Rounds to the column's precision (numeric(14,3)) so reserve and settle add the same amounts. */
export function roundSeconds(seconds: number): number {
  return Math.max(0, Math.round(seconds * 1000) / 1000);
}

/** What a usage row says about a request, apart from its user and outcome. */
export type UsageLogFields = Omit<
  UsageLogEntry,
  'userId' | 'audioSeconds' | 'status' | 'errorCode' | 'promptTokens' | 'completionTokens'
>;

/** A usage row's outcome, as SQL expressions (the statements decide it, not the caller). */
interface Outcome {
  audioSeconds: string;
  status: string;
  errorCode: string;
}

const LOG_COLUMNS = `user_id, key_id, endpoint, voice, engine, model, text_length,
                     audio_seconds, status, error_code, latency_ms, request_id`;

/** The usage row's eight field values, bound from $first on in the order logValues reads them. */
function logParameters(log: UsageLogFields): unknown[] {
  return [
    log.keyId,
    log.endpoint.slice(0, 200),
    log.voice ?? null,
    log.engine ?? null,
    log.model ?? null,
    log.textLength ?? null,
    Math.round(log.latencyMs),
    log.requestId.slice(0, 128),
  ];
}

/** `SELECT` list of a usage row: the user expression, the fields from $first on, the outcome. */
function logValues(user: string, first: number, outcome: Outcome): string {
  const p = (i: number) => `$${first + i}`;
  return `${user}, ${p(0)}::varchar, ${p(1)}::varchar, ${p(2)}::varchar, ${p(3)}::varchar,
          ${p(4)}::varchar, ${p(5)}::int, ${outcome.audioSeconds}, ${outcome.status},
          ${outcome.errorCode}, ${p(6)}::int, ${p(7)}::varchar`;
}

const REFUSED: Outcome = { audioSeconds: '0', status: `'error'`, errorCode: `'QUOTA_EXCEEDED'` };

/** A reservation taken, or the seconds that were left when it did not fit. */
export type ReserveResult =
  { reservationId: string; remaining: number; seconds: number } | { refused: true; remaining: number };

export interface SweepResult {
  released: number;
  seconds: number;
}

/**
 * The quota's SQL. Each operation is one conditional statement: no read-modify-write, so
 * concurrent requests on any number of nodes cannot overspend, on PostgreSQL and on the
 * embedded database alike (which runs one statement at a time anyway).
 *
 * A reservation is a quota_reservations row plus its seconds in users.used_seconds, taken
 * and given back together. Settling deletes the row and adjusts used_seconds by the seconds
 * the deleted row held: a row already settled or swept holds nothing, so a late settle
 * and the sweeper can never give the same seconds back twice.
 */
@Injectable()
export class QuotaRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Reserves `seconds`, or all that is left when less is left but at least `minimumSeconds`
   * (work that stops where its reservation ends): adds it to used_seconds and records the
   * reservation. When not even the minimum fits, writes the refusal's usage row
   * (QUOTA_EXCEEDED, 0 s) instead.
   */
  async reserve(
    userId: number,
    seconds: number,
    ttlSeconds: number,
    log: UsageLogFields,
    minimumSeconds = seconds,
  ): Promise<ReserveResult> {
    const rows = await this.dataSource.query<
      Array<{
        reservation_id: string | null;
        remaining: number | null;
        reserved: number | null;
        left_seconds: number | null;
      }>
    >(
      `WITH target AS (
         SELECT id, LEAST($2::numeric, quota_seconds - used_seconds) AS amount
           FROM users
          WHERE id = $1 AND is_active AND used_seconds + $12::numeric <= quota_seconds
            FOR UPDATE
       ), charged AS (
         UPDATE users u SET used_seconds = u.used_seconds + t.amount
           FROM target t WHERE u.id = t.id
          RETURNING u.id, t.amount, (u.quota_seconds - u.used_seconds)::float8 AS remaining
       ), held AS (
         INSERT INTO quota_reservations (user_id, seconds, request_id, key_id, endpoint, expires_at)
         SELECT id, amount, $11::varchar, $4::varchar, $5::varchar, now() + make_interval(secs => $3::float8)
           FROM charged
         RETURNING id
       ), refused AS (
         INSERT INTO usage_logs (${LOG_COLUMNS})
         SELECT ${logValues('u.id', 4, REFUSED)}
           FROM users u WHERE u.id = $1 AND NOT EXISTS (SELECT 1 FROM charged)
       )
       SELECT (SELECT id::text FROM held) AS reservation_id,
              (SELECT remaining FROM charged) AS remaining,
              (SELECT amount::float8 FROM charged) AS reserved,
              (SELECT GREATEST(quota_seconds - used_seconds, 0)::float8 FROM users WHERE id = $1) AS left_seconds`,
      [
        userId,
        roundSeconds(seconds),
        ttlSeconds,
        ...logParameters(log),
        roundSeconds(Math.min(minimumSeconds, seconds)),
      ],
    );
    const row = rows[0];
    if (row?.reservation_id && row.remaining !== null && row.reserved !== null) {
      return { reservationId: row.reservation_id, remaining: row.remaining, seconds: row.reserved };
    }
    return { refused: true, remaining: row?.left_seconds ?? 0 };
  }

  /**
   * Charges a known amount (a cached answer) in one statement: the conditional add and the
   * usage row together — a success row, or the refusal's row (QUOTA_EXCEEDED, 0 s) when it
   * does not fit. The remaining seconds, or `refused` with the seconds left.
   */
  async charge(
    userId: number,
    seconds: number,
    log: UsageLogFields,
  ): Promise<{ remaining: number; refused: boolean }> {
    const rows = await this.dataSource.query<
      Array<{ remaining: number | null; left_seconds: number | null }>
    >(
      `WITH charged AS (
         UPDATE users SET used_seconds = used_seconds + $2::numeric
          WHERE id = $1 AND is_active AND used_seconds + $2::numeric <= quota_seconds
          RETURNING id, (quota_seconds - used_seconds)::float8 AS remaining
       ), logged AS (
         INSERT INTO usage_logs (${LOG_COLUMNS})
         SELECT ${logValues('u.id', 3, {
           audioSeconds: `CASE WHEN c.id IS NULL THEN 0 ELSE $2::numeric END`,
           status: `CASE WHEN c.id IS NULL THEN 'error' ELSE 'success' END`,
           errorCode: `CASE WHEN c.id IS NULL THEN 'QUOTA_EXCEEDED' END`,
         })}
           FROM users u LEFT JOIN charged c ON c.id = u.id
          WHERE u.id = $1
       )
       SELECT (SELECT remaining FROM charged) AS remaining,
              (SELECT GREATEST(quota_seconds - used_seconds, 0)::float8 FROM users WHERE id = $1) AS left_seconds`,
      [userId, roundSeconds(seconds), ...logParameters(log)],
    );
    const row = rows[0];
    if (row && row.remaining !== null) return { remaining: row.remaining, refused: false };
    return { remaining: row?.left_seconds ?? 0, refused: true };
  }

  /**
   * Ends a reservation: deletes its row, replaces the seconds it held by the actual charge
   * (0 for a failed request) and writes the usage row, in one statement. The charge is
   * capped at the quota, so used_seconds never exceeds quota_seconds even when the audio
   * came out longer than estimated. When the row is already gone (swept after a long
   * outage), nothing is given back and the actual seconds are charged within the quota.
   */
  async settle(
    userId: number,
    reservationId: string,
    chargedSeconds: number,
    log: UsageLogFields & Pick<UsageLogEntry, 'audioSeconds' | 'status' | 'errorCode'>,
  ): Promise<number> {
    const rows = await this.dataSource.query<Array<{ remaining: number }>>(
      `WITH held AS (
         DELETE FROM quota_reservations WHERE id = $2::bigint AND user_id = $1 RETURNING seconds
       ), charged AS (
         UPDATE users
            SET used_seconds = LEAST(quota_seconds, GREATEST(0,
                  used_seconds - COALESCE((SELECT sum(seconds) FROM held), 0) + $3::numeric))
          WHERE id = $1
          RETURNING id, (quota_seconds - used_seconds)::float8 AS remaining
       ), logged AS (
         INSERT INTO usage_logs (${LOG_COLUMNS})
         SELECT ${logValues('id', 7, { audioSeconds: '$4::numeric', status: '$5::varchar', errorCode: '$6::varchar' })}
           FROM charged
       )
       SELECT remaining FROM charged`,
      [
        userId,
        reservationId,
        roundSeconds(chargedSeconds),
        roundSeconds(log.audioSeconds),
        log.status,
        log.errorCode ?? null,
        ...logParameters(log),
      ],
    );
    return rows[0]?.remaining ?? 0;
  }

  /** Pushes the expiry of reservations this server still holds (a request is running). */
  async renew(reservationIds: string[], ttlSeconds: number): Promise<void> {
    if (reservationIds.length === 0) return;
    await this.dataSource.query(
      `UPDATE quota_reservations SET expires_at = now() + make_interval(secs => $2::float8)
        WHERE id = ANY($1::bigint[])`,
      [reservationIds, ttlSeconds],
    );
  }

  /**
   * Gives back every expired reservation (its server died or lost the database for longer
   * than the TTL) and logs each as a failed request (RESERVATION_EXPIRED, 0 s).
   */
  async sweepExpired(): Promise<SweepResult> {
    const rows = await this.dataSource.query<Array<{ released: number; seconds: number }>>(
      `WITH expired AS (
         DELETE FROM quota_reservations WHERE expires_at <= now()
         RETURNING user_id, seconds, request_id, key_id, endpoint, created_at
       ), given_back AS (
         UPDATE users u SET used_seconds = GREATEST(0, u.used_seconds - t.seconds)
           FROM (SELECT user_id, sum(seconds) AS seconds FROM expired GROUP BY user_id) t
          WHERE u.id = t.user_id
       ), logged AS (
         INSERT INTO usage_logs (user_id, key_id, endpoint, audio_seconds, status, error_code, latency_ms, request_id)
         SELECT user_id, key_id, endpoint, 0, 'error', 'RESERVATION_EXPIRED',
                LEAST(extract(epoch FROM now() - created_at) * 1000, 2147483647)::int, request_id
           FROM expired
       )
       SELECT count(*)::int AS released, COALESCE(sum(seconds), 0)::float8 AS seconds FROM expired`,
    );
    return rows[0] ?? { released: 0, seconds: 0 };
  }
}
