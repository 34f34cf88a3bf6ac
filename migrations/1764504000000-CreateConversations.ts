import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversation history (POST /conversation): the conversations a user holds and their
 * turns. Deleting a user deletes their conversations; deleting a conversation its turns.
 */
export class CreateConversations1764504000000 implements MigrationInterface {
  name = 'CreateConversations1764504000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title varchar(120) NOT NULL,
        turn_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX idx_conversations_user_updated ON conversations (user_id, updated_at)`,
    );
    await queryRunner.query(`CREATE INDEX idx_conversations_updated ON conversations (updated_at)`);
    await queryRunner.query(`
      CREATE TABLE conversation_turns (
        id bigserial PRIMARY KEY,
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role varchar(16) NOT NULL CHECK (role IN ('user', 'assistant')),
        text text NOT NULL,
        stt_engine varchar(64),
        chat_engine varchar(64),
        tts_engine varchar(64),
        audio_seconds real,
        intent varchar(128),
        slots jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX idx_conversation_turns_conversation ON conversation_turns (conversation_id, id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE conversation_turns`);
    await queryRunner.query(`DROP TABLE conversations`);
  }
}
