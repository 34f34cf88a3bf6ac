import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAccounts1764244800000 implements MigrationInterface {
  name = 'CreateAccounts1764244800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id serial PRIMARY KEY,
        name varchar(200) NOT NULL,
        email varchar(320) NOT NULL UNIQUE,
        plan varchar(64) NOT NULL,
        quota_seconds numeric(14,3) NOT NULL CHECK (quota_seconds >= 0),
        used_seconds numeric(14,3) NOT NULL DEFAULT 0 CHECK (used_seconds >= 0),
        is_admin boolean NOT NULL DEFAULT false,
        is_active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (used_seconds <= quota_seconds)
      )`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id serial PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key_id varchar(32) NOT NULL UNIQUE,
        key_hash bytea NOT NULL,
        name varchar(200) NOT NULL,
        scopes varchar(32)[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        expires_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX idx_api_keys_user_id ON api_keys (user_id)`);
    await queryRunner.query(`
      CREATE TABLE usage_logs (
        id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key_id varchar(32),
        endpoint varchar(200) NOT NULL,
        voice varchar(128),
        engine varchar(64),
        model varchar(128),
        text_length integer,
        audio_seconds numeric(14,3) NOT NULL DEFAULT 0,
        status varchar(16) NOT NULL,
        error_code varchar(64),
        latency_ms integer NOT NULL,
        request_id varchar(128) NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX idx_usage_logs_user_created ON usage_logs (user_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usage_logs`);
    await queryRunner.query(`DROP TABLE api_keys`);
    await queryRunner.query(`DROP TABLE users`);
  }
}
