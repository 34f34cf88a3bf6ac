import { Injectable } from '@nestjs/common';
import { DataSource, In, LessThan, type Repository } from 'typeorm';
import type { FileFolder } from './file-folder.js';
import { StoredFileEntity } from './stored-file.entity.js';

/** A row to insert; the database sets created_at. */
export type NewStoredFile = Omit<StoredFileEntity, 'createdAt'>;

/** Why an insert under the storage quota was refused. */
export interface QuotaRefusal {
  usedBytes: number;
  quotaBytes: number;
  plan: string;
}

/** The stored_files table. Every query has bound parameters. */
@Injectable()
export class StoredFilesRepository {
  private readonly files: Repository<StoredFileEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.files = dataSource.getRepository(StoredFileEntity);
  }

  findById(id: string): Promise<StoredFileEntity | null> {
    return this.files.findOne({ where: { id } });
  }

  /** A folder's files, newest first; one owner's, or everyone's when `ownerId` is undefined. */
  async list(
    folder: FileFolder,
    ownerId: number | undefined,
    limit: number,
    offset: number,
  ): Promise<{ rows: StoredFileEntity[]; total: number }> {
    const [rows, total] = await this.files.findAndCount({
      where: ownerId === undefined ? { folder } : { folder, ownerId },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { rows, total };
  }

  /** Names of one owner's ready files in a folder, oldest first (the legacy listing). */
  async namesOf(folder: FileFolder, ownerId: number): Promise<string[]> {
    const rows = await this.files.find({
      select: { name: true },
      where: { folder, ownerId, status: 'ready' },
      order: { name: 'ASC' },
    });
    return rows.map((row) => row.name);
  }

  /** The owner's plan name, or null when there is no such user. */
  async planOf(ownerId: number): Promise<string | null> {
    const rows = await this.dataSource.query<Array<{ plan: string }>>(
      `SELECT plan FROM users WHERE id = $1`,
      [ownerId],
    );
    return rows[0]?.plan ?? null;
  }

  /** Bytes the owner's files take (files being written included). */
  async usedBytes(ownerId: number): Promise<number> {
    const rows = await this.dataSource.query<Array<{ used: string | null }>>(
      `SELECT COALESCE(SUM(size_bytes), 0)::text AS used FROM stored_files WHERE owner_id = $1`,
      [ownerId],
    );
    return Number(rows[0]?.used ?? 0);
  }

  /**
   * Inserts the row when the owner's files plus `row.sizeBytes` (plus `headroomBytes`, for
   * a file still to be written) stay within their plan's quota; the owner's user row is
   * locked meanwhile, so two uploads at once cannot both slip under it. `quotaOf` maps the
   * owner's plan to bytes (0 = unlimited). Answers the refusal instead when over.
   */
  insertWithinQuota(
    row: NewStoredFile,
    quotaOf: (plan: string) => number,
    headroomBytes = 0,
  ): Promise<QuotaRefusal | null> {
    return this.dataSource.transaction(async (manager) => {
      const owner = await manager.query<Array<{ plan: string }>>(
        `SELECT plan FROM users WHERE id = $1 FOR UPDATE`,
        [row.ownerId],
      );
      if (!owner[0]) throw new Error(`no user ${row.ownerId} to own a file`);
      const quotaBytes = quotaOf(owner[0].plan);
      if (quotaBytes > 0) {
        const used = await manager.query<Array<{ used: string }>>(
          `SELECT COALESCE(SUM(size_bytes), 0)::text AS used FROM stored_files WHERE owner_id = $1`,
          [row.ownerId],
        );
        const usedBytes = Number(used[0]?.used ?? 0);
        if (usedBytes + row.sizeBytes + headroomBytes > quotaBytes) {
          return { usedBytes, quotaBytes, plan: owner[0].plan };
        }
      }
      await manager.query(
        `INSERT INTO stored_files (id, owner_id, folder, name, content_type, size_bytes, status, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
        [
          row.id,
          row.ownerId,
          row.folder,
          row.name,
          row.contentType,
          row.sizeBytes,
          row.status,
          JSON.stringify(row.metadata),
        ],
      );
      return null;
    });
  }

  /** Marks a `writing` file ready with its final size; false when it was not `writing`. */
  async markReady(id: string, sizeBytes: number, metadata: Record<string, unknown>): Promise<boolean> {
    const rows = await this.dataSource.query<Array<{ id: string }>>(
      // As a CTE: a bare UPDATE's raw result is [rows, count], a SELECT's is the rows.
      `WITH updated AS (
         UPDATE stored_files SET status = 'ready', size_bytes = $2, metadata = $3::jsonb
          WHERE id = $1 AND status = 'writing' RETURNING id
       ) SELECT id FROM updated`,
      [id, sizeBytes, JSON.stringify(metadata)],
    );
    return rows.length > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.files.delete({ id });
    return (result.affected ?? 0) > 0;
  }

  /** Ids of a folder's files created before `cutoff` (at most `limit`). */
  async idsCreatedBefore(folder: FileFolder, cutoff: Date, limit: number): Promise<string[]> {
    const rows = await this.files.find({
      select: { id: true },
      where: { folder, createdAt: LessThan(cutoff) },
      take: limit,
    });
    return rows.map((row) => row.id);
  }

  /** Ids of files left `writing` since before `cutoff` (a process died while writing them). */
  async abandonedWritingIds(cutoff: Date, limit: number): Promise<string[]> {
    const rows = await this.files.find({
      select: { id: true },
      where: { status: 'writing', createdAt: LessThan(cutoff) },
      take: limit,
    });
    return rows.map((row) => row.id);
  }

  /** Which of `ids` have a row. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.files.find({ select: { id: true }, where: { id: In([...ids]) } });
    return new Set(rows.map((row) => row.id));
  }
}
