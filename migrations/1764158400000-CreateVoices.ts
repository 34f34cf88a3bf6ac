import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateVoices1764158400000 implements MigrationInterface {
  name = 'CreateVoices1764158400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE voice_gender AS ENUM ('male', 'female', 'neutral', 'unknown')`);
    await queryRunner.query(`
      CREATE TABLE voices (
        id serial PRIMARY KEY,
        friendly_name varchar(128) NOT NULL UNIQUE,
        engine varchar(64) NOT NULL,
        engine_voice_id varchar(128) NOT NULL,
        language varchar(35) NOT NULL,
        gender voice_gender NOT NULL DEFAULT 'unknown',
        is_active boolean NOT NULL DEFAULT true,
        description text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (engine, engine_voice_id)
      )`);
    await queryRunner.query(`CREATE INDEX idx_voices_language ON voices (language)`);
    await queryRunner.query(`ALTER TABLE analytics_events ADD COLUMN audio_seconds real`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE analytics_events DROP COLUMN audio_seconds`);
    await queryRunner.query(`DROP TABLE voices`);
    await queryRunner.query(`DROP TYPE voice_gender`);
  }
}
