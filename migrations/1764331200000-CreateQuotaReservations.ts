import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quota reservations as rows: each holds the seconds one request has taken from
 * users.used_seconds until it is settled. A reservation whose process died (kill -9,
 * power loss) expires and is given back by the sweeper instead of staying charged.
 */
export class CreateQuotaReservations1764331200000 implements MigrationInterface {
  name = 'CreateQuotaReservations1764331200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE quota_reservations (
        id bigserial PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        seconds numeric(14,3) NOT NULL CHECK (seconds >= 0),
        request_id varchar(128) NOT NULL,
        key_id varchar(32),
        endpoint varchar(200) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX idx_quota_reservations_expires ON quota_reservations (expires_at)`);
    await queryRunner.query(`CREATE INDEX idx_quota_reservations_user ON quota_reservations (user_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Seconds still held go back to their users: without the table nothing could release them.
    await queryRunner.query(`
      UPDATE users u
         SET used_seconds = GREATEST(0, u.used_seconds - held.seconds)
        FROM (SELECT user_id, sum(seconds) AS seconds FROM quota_reservations GROUP BY user_id) held
       WHERE u.id = held.user_id`);
    await queryRunner.query(`DROP TABLE quota_reservations`);
  }
}
