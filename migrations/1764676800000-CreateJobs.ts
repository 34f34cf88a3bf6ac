import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Background jobs (POST /jobs): the public state of every job lives here, whichever queue
 * delivers it to a worker, so GET /jobs answers from this table alone. `locked_by` and
 * `heartbeat_at` say which server runs a job and that it is alive: a job whose heartbeat
 * stopped is taken over by another server. Webhook deliveries and the per-user signing
 * secrets sit beside them.
 */
export class CreateJobs1764676800000 implements MigrationInterface {
  name = 'CreateJobs1764676800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key_id varchar(32),
        type varchar(8) NOT NULL CHECK (type IN ('tts', 'stt')),
        status varchar(16) NOT NULL
          CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        input jsonb NOT NULL,
        progress real NOT NULL DEFAULT 0,
        stage varchar(32) NOT NULL DEFAULT 'queued',
        eta_seconds integer,
        result jsonb,
        error jsonb,
        cancel_requested boolean NOT NULL DEFAULT false,
        idempotency_key varchar(200),
        reservation_id bigint,
        reserved_seconds numeric(14,3) NOT NULL DEFAULT 0,
        charged_seconds numeric(14,3),
        callback_url varchar(2000),
        attempts integer NOT NULL DEFAULT 0,
        locked_by varchar(100),
        heartbeat_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX idx_jobs_user_idempotency ON jobs (user_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX idx_jobs_user_created ON jobs (user_id, created_at)`);
    await queryRunner.query(`CREATE INDEX idx_jobs_status_heartbeat ON jobs (status, heartbeat_at)`);
    await queryRunner.query(`
      CREATE TABLE webhook_secrets (
        user_id integer PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        secret varchar(200) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id bigserial PRIMARY KEY,
        job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        webhook_id varchar(64) NOT NULL,
        attempt integer NOT NULL,
        url varchar(2000) NOT NULL,
        status_code integer,
        error varchar(500),
        duration_ms integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX idx_webhook_deliveries_job ON webhook_deliveries (job_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Seconds still reserved by unfinished jobs stay in quota_reservations: the sweeper gives them back.
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhook_secrets`);
    await queryRunner.query(`DROP TABLE jobs`);
  }
}
