import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Files users keep (reference audio, voice definitions, outputs such as job results):
 * metadata here, bytes on disk named by id. Deleting a user deletes their file rows (the
 * sweeper then removes the bytes no row names).
 */
export class CreateStoredFiles1764590400000 implements MigrationInterface {
  name = 'CreateStoredFiles1764590400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE stored_files (
        id uuid PRIMARY KEY,
        owner_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        folder varchar(32) NOT NULL CHECK (folder IN ('reference_audio', 'voices', 'outputs')),
        name varchar(255) NOT NULL,
        content_type varchar(127) NOT NULL,
        size_bytes bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
        status varchar(16) NOT NULL CHECK (status IN ('writing', 'ready')),
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX idx_stored_files_owner_folder ON stored_files (owner_id, folder, created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX idx_stored_files_folder_created ON stored_files (folder, created_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE stored_files`);
  }
}
