import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { FileFolder } from './file-folder.js';

/** `ready` once every byte is on disk; `writing` while an output is being streamed into. */
export type StoredFileStatus = 'writing' | 'ready';

/** PostgreSQL bigint arrives as a string; sizes stay far below 2^53. */
const BIGINT_AS_NUMBER = {
  to: (value: number) => value,
  from: (value: string | number | null) => (value === null ? 0 : Number(value)),
};

/**
 * A file the gateway keeps for a user. On disk it is named by its id only (under the
 * folder's `.store/`); the client's file name is metadata and never becomes a path.
 */
@Entity({ name: 'stored_files' })
export class StoredFileEntity {
  /** A random UUID: not guessable, and not a count of other users' files. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'integer', name: 'owner_id' })
  ownerId!: number;

  @Column({ type: 'varchar', length: 32 })
  folder!: FileFolder;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 127, name: 'content_type' })
  contentType!: string;

  @Column({ type: 'bigint', name: 'size_bytes', transformer: BIGINT_AS_NUMBER })
  sizeBytes!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: StoredFileStatus;

  /** What the producer knows about the content (duration, format, the job that made it). */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  metadata!: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;
}
