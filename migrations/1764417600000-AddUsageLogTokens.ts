import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Chat engines (LLMs) are paid for by tokens, not audio seconds: a usage row of a
 * conversation turn records the prompt and completion tokens the engine counted. Null for
 * rows of other endpoints and for engines that count none.
 */
export class AddUsageLogTokens1764417600000 implements MigrationInterface {
  name = 'AddUsageLogTokens1764417600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE usage_logs ADD COLUMN prompt_tokens integer`);
    await queryRunner.query(`ALTER TABLE usage_logs ADD COLUMN completion_tokens integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE usage_logs DROP COLUMN completion_tokens`);
    await queryRunner.query(`ALTER TABLE usage_logs DROP COLUMN prompt_tokens`);
  }
}
