import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JobFailure, JobRecord, JobResult, JobStatus, JobType } from './job-record.js';

interface JobRow {
  id: string;
  user_id: number;
  key_id: string | null;
  type: JobType;
  status: JobStatus;
  input: Record<string, unknown>;
  progress: number;
  stage: string;
  eta_seconds: number | null;
  result: JobResult | null;
  error: JobFailure | null;
  cancel_requested: boolean;
  idempotency_key: string | null;
  reservation_id: string | null;
  reserved_seconds: string | number;
  charged_seconds: string | number | null;
  callback_url: string | null;
  attempts: number;
  locked_by: string | null;
  heartbeat_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function recordOf(row: JobRow): JobRecord {
  return {
    id: row.id,
    userId: row.user_id,
    keyId: row.key_id,
    type: row.type,
    status: row.status,
    input: row.input,
    progress: Number(row.progress),
    stage: row.stage,
    etaSeconds: row.eta_seconds,
    result: row.result,
    error: row.error,
    cancelRequested: row.cancel_requested,
    idempotencyKey: row.idempotency_key,
    reservationId: row.reservation_id === null ? null : String(row.reservation_id),
    reservedSeconds: Number(row.reserved_seconds),
    chargedSeconds: row.charged_seconds === null ? null : Number(row.charged_seconds),
    callbackUrl: row.callback_url,
    attempts: row.attempts,
    lockedBy: row.locked_by,
    heartbeatAt: row.heartbeat_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export interface NewJob {
  id: string;
  userId: number;
  keyId: string | null;
  type: JobType;
  input: Record<string, unknown>;
  idempotencyKey: string | null;
  callbackUrl: string | null;
  reservationId: string | null;
  reservedSeconds: number;
}

/**
 * The rows a statement returned: TypeORM answers UPDATE/DELETE … RETURNING as
 * [rows, affected count], SELECT and INSERT as the rows.
 */
function returnedRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

/**
 * The jobs table's SQL. Every state change is one conditional statement, so two servers
 * can never both claim, finish or cancel the same job (the loser's statement matches no row).
 */
@Injectable()
export class JobsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private async rows(sql: string, params: unknown[]): Promise<JobRecord[]> {
    return returnedRows<JobRow>(await this.dataSource.query(sql, params)).map(recordOf);
  }

  /** Inserts the job; with an idempotency key already used by this user, answers that job instead. */
  async insert(job: NewJob): Promise<{ job: JobRecord; created: boolean }> {
    const inserted = await this.rows(
      `INSERT INTO jobs (id, user_id, key_id, type, status, input, idempotency_key, callback_url,
                         reservation_id, reserved_seconds)
       VALUES ($1, $2, $3, $4, 'queued', $5::jsonb, $6, $7, $8::bigint, $9)
       ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING *`,
      [
        job.id,
        job.userId,
        job.keyId,
        job.type,
        JSON.stringify(job.input),
        job.idempotencyKey,
        job.callbackUrl,
        job.reservationId,
        job.reservedSeconds,
      ],
    );
    if (inserted[0]) return { job: inserted[0], created: true };
    const existing = await this.byIdempotencyKey(job.userId, job.idempotencyKey ?? '');
    if (!existing) throw new Error('idempotent insert found neither a new nor an existing job');
    return { job: existing, created: false };
  }

  async byIdempotencyKey(userId: number, key: string): Promise<JobRecord | undefined> {
    const rows = await this.rows(`SELECT * FROM jobs WHERE user_id = $1 AND idempotency_key = $2`, [
      userId,
      key,
    ]);
    return rows[0];
  }

  async byId(id: string): Promise<JobRecord | undefined> {
    const rows = await this.rows(`SELECT * FROM jobs WHERE id = $1::uuid`, [id]);
    return rows[0];
  }

  async list(
    userId: number,
    filter: { status?: JobStatus; type?: JobType },
    page: { limit: number; offset: number },
  ): Promise<{ jobs: JobRecord[]; total: number }> {
    const where = `user_id = $1 AND ($2::varchar IS NULL OR status = $2) AND ($3::varchar IS NULL OR type = $3)`;
    const params = [userId, filter.status ?? null, filter.type ?? null];
    const jobs = await this.rows(
      `SELECT * FROM jobs WHERE ${where} ORDER BY created_at DESC, id LIMIT $4 OFFSET $5`,
      [...params, page.limit, page.offset],
    );
    const count = await this.dataSource.query<Array<{ total: number }>>(
      `SELECT count(*)::int AS total FROM jobs WHERE ${where}`,
      params,
    );
    return { jobs, total: count[0]?.total ?? 0 };
  }

  /** Jobs waiting and running, across every server (for the metrics). */
  async countActive(): Promise<{ queued: number; running: number }> {
    const rows = await this.dataSource.query<Array<{ queued: number; running: number }>>(
      `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued,
              count(*) FILTER (WHERE status = 'running')::int AS running
         FROM jobs WHERE status IN ('queued', 'running')`,
    );
    return { queued: Number(rows[0]?.queued ?? 0), running: Number(rows[0]?.running ?? 0) };
  }

  /** Takes a queued job (or one whose server stopped sending heartbeats) for `node`. */
  async claim(id: string, node: string, staleAfterSeconds: number): Promise<JobRecord | undefined> {
    const rows = await this.rows(
      `UPDATE jobs
          SET status = 'running', locked_by = $2, heartbeat_at = now(), attempts = attempts + 1,
              started_at = COALESCE(started_at, now()), stage = 'starting', updated_at = now()
        WHERE id = $1::uuid AND NOT cancel_requested
          AND (status = 'queued'
               OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => $3::float8)))
        RETURNING *`,
      [id, node, staleAfterSeconds],
    );
    return rows[0];
  }

  /**
   * The running job's heartbeat with its progress; answers whether it should stop (cancel
   * requested, or another server took it over), or undefined when the row is gone.
   */
  async heartbeat(
    id: string,
    node: string,
    progress: { progress: number; stage: string; etaSeconds: number | null },
  ): Promise<{ stop: boolean }> {
    const rows = returnedRows<{ cancel_requested: boolean; locked_by: string }>(
      await this.dataSource.query(
        `UPDATE jobs SET heartbeat_at = CASE WHEN locked_by = $2 THEN now() ELSE heartbeat_at END,
              progress = CASE WHEN locked_by = $2 THEN $3 ELSE progress END,
              stage = CASE WHEN locked_by = $2 THEN $4 ELSE stage END,
              eta_seconds = CASE WHEN locked_by = $2 THEN $5::int ELSE eta_seconds END,
              updated_at = now()
        WHERE id = $1::uuid
        RETURNING cancel_requested, locked_by`,
        [id, node, progress.progress, progress.stage.slice(0, 32), progress.etaSeconds],
      ),
    );
    const row = rows[0];
    return { stop: !row || row.cancel_requested || row.locked_by !== node };
  }

  /** Moves the job this node runs to a final status; false when it is no longer this node's. */
  async finish(
    id: string,
    node: string,
    outcome:
      | { status: 'completed'; result: JobResult; chargedSeconds: number }
      | { status: 'failed' | 'cancelled'; error: JobFailure },
  ): Promise<JobRecord | undefined> {
    const rows = await this.rows(
      `UPDATE jobs SET status = $3::varchar, result = $4::jsonb, error = $5::jsonb, charged_seconds = $6,
              progress = CASE WHEN $3::varchar = 'completed' THEN 1 ELSE progress END,
              stage = $3::varchar, eta_seconds = NULL, finished_at = now(), updated_at = now(), locked_by = NULL
        WHERE id = $1::uuid AND status = 'running' AND locked_by = $2
        RETURNING *`,
      [
        id,
        node,
        outcome.status,
        outcome.status === 'completed' ? JSON.stringify(outcome.result) : null,
        outcome.status === 'completed' ? null : JSON.stringify(outcome.error),
        outcome.status === 'completed' ? outcome.chargedSeconds : 0,
      ],
    );
    return rows[0];
  }

  /** Asks for a cancel; a queued job is cancelled at once (answered with wasQueued). */
  async requestCancel(id: string, userId: number): Promise<{ job?: JobRecord; cancelledQueued: boolean }> {
    const queued = await this.rows(
      `UPDATE jobs SET status = 'cancelled', cancel_requested = true, stage = 'cancelled',
              error = '{"error_code":"JOB_CANCELLED","message":"The job was cancelled before it started."}'::jsonb,
              charged_seconds = 0, finished_at = now(), updated_at = now()
        WHERE id = $1::uuid AND user_id = $2 AND status = 'queued'
        RETURNING *`,
      [id, userId],
    );
    if (queued[0]) return { job: queued[0], cancelledQueued: true };
    const running = await this.rows(
      `UPDATE jobs SET cancel_requested = true, updated_at = now()
        WHERE id = $1::uuid AND user_id = $2 AND status = 'running'
        RETURNING *`,
      [id, userId],
    );
    return { job: running[0], cancelledQueued: false };
  }

  /**
   * Running jobs whose server stopped sending heartbeats: those with attempts left go back
   * to 'queued' (answered, to be delivered again); the rest fail JOB_ABANDONED (answered too,
   * so their reservation is released).
   */
  async recoverStale(
    staleAfterSeconds: number,
    maxAttempts: number,
  ): Promise<{ requeued: JobRecord[]; abandoned: JobRecord[] }> {
    const requeued = await this.rows(
      `UPDATE jobs SET status = 'queued', locked_by = NULL, stage = 'requeued', updated_at = now()
        WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1::float8)
          AND attempts < $2 AND NOT cancel_requested
        RETURNING *`,
      [staleAfterSeconds, maxAttempts],
    );
    const abandoned = await this.rows(
      `UPDATE jobs SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END,
              locked_by = NULL, stage = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END,
              error = CASE WHEN cancel_requested
                THEN '{"error_code":"JOB_CANCELLED","message":"The job was cancelled."}'::jsonb
                ELSE '{"error_code":"JOB_ABANDONED","message":"The servers running this job stopped before it finished, too many times; nothing was charged."}'::jsonb END,
              charged_seconds = 0, finished_at = now(), updated_at = now()
        WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1::float8)
        RETURNING *`,
      [staleAfterSeconds],
    );
    return { requeued, abandoned };
  }

  /** Queued jobs not picked up for a while (their delivery was lost): delivered again. */
  async touchWaiting(olderThanSeconds: number): Promise<string[]> {
    const rows = returnedRows<{ id: string }>(
      await this.dataSource.query(
        `UPDATE jobs SET updated_at = now()
          WHERE status = 'queued' AND updated_at < now() - make_interval(secs => $1::float8)
          RETURNING id`,
        [olderThanSeconds],
      ),
    );
    return rows.map((row) => row.id);
  }

  /** Keeps the quota reservations of unfinished jobs from expiring while any server lives. */
  async renewReservations(ttlSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE quota_reservations SET expires_at = now() + make_interval(secs => $1::float8)
        WHERE id IN (SELECT reservation_id FROM jobs
                      WHERE status IN ('queued', 'running') AND reservation_id IS NOT NULL)`,
      [ttlSeconds],
    );
  }
}
