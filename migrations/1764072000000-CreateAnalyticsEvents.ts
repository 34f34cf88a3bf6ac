import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAnalyticsEvents1764072000000 implements MigrationInterface {
  name = 'CreateAnalyticsEvents1764072000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE analytics_events (
        id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        request_id varchar(128) NOT NULL,
        method varchar(10) NOT NULL,
        route varchar(200) NOT NULL,
        status_code smallint NOT NULL,
        latency_ms integer NOT NULL,
        principal varchar(128),
        engine varchar(64),
        voice varchar(128),
        error_code varchar(64)
      )`);
    await queryRunner.query(`CREATE INDEX idx_analytics_events_created_at ON analytics_events (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE analytics_events`);
  }
}
