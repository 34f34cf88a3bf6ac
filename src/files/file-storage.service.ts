import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { planOf } from '../accounts/plan-policy.js';
import { AppError } from '../common/app-error.js';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import { BlobLimitError, FileBlobStore, type OperatorFile } from './file-blob.store.js';
import type { FileFolder } from './file-folder.js';
import { OutputFileWriter } from './output-file.writer.js';
import { type FileCaller, type FileSource, type StoredFile, storedFileOf } from './stored-file.js';
import { type QuotaRefusal, StoredFilesRepository } from './stored-files.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_NAME_LENGTH = 255;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A file still `writing` this long after it was created belonged to a process that died. */
const ABANDONED_WRITING_MS = DAY_MS;
/** Bytes on disk without a row are removed once this old (a store between its write and its insert is younger). */
const ORPHAN_GRACE_MS = 60 * 60 * 1000;
const PURGE_BATCH = 500;

export interface StoreRequest {
  ownerId: number;
  folder: FileFolder;
  /** The client's name for it: metadata only (cleaned: no folders, no control characters). */
  name: string;
  contentType: string;
  source: FileSource;
  metadata?: Record<string, unknown>;
  /** Largest size accepted (413 FILE_TOO_LARGE beyond); default: no limit but the quota. */
  maxBytes?: number;
}

export interface CreateOutputRequest {
  ownerId: number;
  name: string;
  contentType: string;
  metadata?: Record<string, unknown>;
  /** Largest size the output may reach (413 FILE_TOO_LARGE on the append that passes it). */
  maxBytes?: number;
}

/** A stored file opened for reading. */
export interface OpenedFile {
  file: StoredFile;
  /** Bytes start..end (inclusive), or the whole file. */
  read(range?: { start: number; end: number }): Readable;
  /**
   * The file on disk, for services that hand it to a decoder (an STT job's input).
   * Controllers stream with `read` instead.
   */
  localPath: string;
}

/** One line of a folder listing. */
export type FolderEntry = { kind: 'stored'; file: StoredFile } | { kind: 'operator'; file: OperatorFile };

export interface PurgeResult {
  expiredOutputs: number;
  abandonedWrites: number;
  orphanBlobs: number;
}

/** A client's file name made safe to keep and show: its last path segment, printable, ≤ 255 characters. */
export function cleanFileName(name: string | undefined, fallback = 'file'): string {
  const base = (name ?? '').split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const printable = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  const cleaned = printable === '.' || printable === '..' ? '' : printable;
  return (cleaned || fallback).slice(0, MAX_NAME_LENGTH);
}

function notFound(id: string): AppError {
  return new AppError('NOT_FOUND', `No file ${id.slice(0, 64)}.`);
}

/** `adding`: the file's size, null when it was cut off before its end. */
function quotaExceeded(refusal: QuotaRefusal, adding: number | null): AppError {
  return new AppError(
    'STORAGE_QUOTA_EXCEEDED',
    `Storing this file would exceed the ${refusal.plan} plan's storage quota of ${refusal.quotaBytes} bytes (${refusal.usedBytes} used).`,
    { used_bytes: refusal.usedBytes, quota_bytes: refusal.quotaBytes, file_bytes: adding },
  );
}

/**
 * The one way files are kept: each file belongs to a user, lives on disk under an id the
 * gateway made (the client's name is metadata), counts against its owner's plan
 * storage_quota_bytes, and is seen by its owner (and admins) only — to anyone else it does
 * not exist (404). Uploads, job results and reference audio all go through here.
 */
@Injectable()
export class FileStorageService {
  constructor(
    private readonly files: StoredFilesRepository,
    private readonly blobs: FileBlobStore,
    private readonly config: ConfigService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  private quotaBytesOf = (plan: string): number => planOf(this.config.current, plan).storageQuotaBytes;

  /**
   * Stores a complete file: written to disk, then recorded if its owner's quota allows
   * (413 STORAGE_QUOTA_EXCEEDED otherwise, nothing kept). A stream source is cut off as
   * soon as it passes `maxBytes` (413 FILE_TOO_LARGE) or the owner's remaining quota.
   */
  async store(request: StoreRequest): Promise<StoredFile> {
    const id = randomUUID();
    const maxBytes = request.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const usage = await this.usage(request.ownerId);
    const room =
      usage.quotaBytes === 0 ? Number.MAX_SAFE_INTEGER : Math.max(0, usage.quotaBytes - usage.usedBytes);
    let size: number;
    try {
      size = await this.blobs.write(request.folder, id, request.source, Math.min(maxBytes, room));
    } catch (error) {
      if (!(error instanceof BlobLimitError)) throw error;
      if (room < maxBytes) {
        const plan = await this.planName(request.ownerId);
        throw quotaExceeded({ ...usage, plan }, null);
      }
      throw new AppError('FILE_TOO_LARGE', `The file is larger than the limit of ${maxBytes} bytes.`);
    }
    const row = {
      id,
      ownerId: request.ownerId,
      folder: request.folder,
      name: cleanFileName(request.name),
      contentType: request.contentType,
      sizeBytes: size,
      status: 'ready' as const,
      metadata: request.metadata ?? {},
    };
    let refusal: QuotaRefusal | null;
    try {
      refusal = await this.files.insertWithinQuota(row, this.quotaBytesOf);
    } catch (error) {
      await this.blobs.remove(request.folder, id);
      throw error;
    }
    if (refusal) {
      await this.blobs.remove(request.folder, id);
      throw quotaExceeded(refusal, size);
    }
    return this.describe(id);
  }

  /**
   * A new file in outputs/ to stream into (a job's result), recorded at once with status
   * `writing` so its id can be announced. Refused (413 STORAGE_QUOTA_EXCEEDED) when the
   * owner has no room left; the bytes written count at commit (a result may take its
   * owner past the quota once; further files are then refused).
   */
  async createOutput(request: CreateOutputRequest): Promise<OutputFileWriter> {
    const row = {
      id: randomUUID(),
      ownerId: request.ownerId,
      folder: 'outputs' as const,
      name: cleanFileName(request.name, 'output'),
      contentType: request.contentType,
      sizeBytes: 0,
      status: 'writing' as const,
      metadata: request.metadata ?? {},
    };
    const refusal = await this.files.insertWithinQuota(row, this.quotaBytesOf, 1);
    if (refusal) throw quotaExceeded(refusal, 0);
    let sink;
    try {
      sink = await this.blobs.openPartial('outputs', row.id);
    } catch (error) {
      await this.files.delete(row.id);
      throw error;
    }
    const file = await this.describe(row.id);
    return new OutputFileWriter(
      file,
      sink,
      {
        complete: async (written, metadata) => {
          const size = await this.blobs.complete('outputs', written.id);
          await this.files.markReady(written.id, size, { ...written.metadata, ...metadata });
          return this.describe(written.id);
        },
        discard: async (written) => {
          await this.blobs.remove('outputs', written.id);
          await this.files.delete(written.id);
        },
      },
      request.maxBytes ?? Number.POSITIVE_INFINITY,
    );
  }

  /** A file's metadata when the caller may see it (404 otherwise, also for another folder). */
  async get(id: string, caller: FileCaller, folder?: FileFolder): Promise<StoredFile> {
    if (!UUID.test(id)) throw notFound(id);
    const row = await this.files.findById(id.toLowerCase());
    if (!row || (folder !== undefined && row.folder !== folder)) throw notFound(id);
    if (row.ownerId !== caller.userId && !caller.seesAll) throw notFound(id);
    return storedFileOf(row);
  }

  /** Opens a complete file for reading (409 CONFLICT while it is still being written). */
  async open(id: string, caller: FileCaller, folder?: FileFolder): Promise<OpenedFile> {
    const file = await this.get(id, caller, folder);
    if (file.status !== 'ready') {
      throw new AppError('CONFLICT', `File ${file.id} is still being written.`, { status: file.status });
    }
    if (!(await this.blobs.exists(file.folder, file.id))) {
      // The row outlived its bytes (removed by hand, a lost volume): nothing to serve.
      this.logger.error({ fileId: file.id, folder: file.folder }, 'stored file missing on disk');
      throw notFound(id);
    }
    return {
      file,
      read: (range) => this.blobs.read(file.folder, file.id, range),
      localPath: this.blobs.pathOf(file.folder, file.id),
    };
  }

  /** Deletes a file the caller may see (404 otherwise); its bytes stop counting at once. */
  async delete(id: string, caller: FileCaller, folder?: FileFolder): Promise<StoredFile> {
    const file = await this.get(id, caller, folder);
    if (!(await this.files.delete(file.id))) throw notFound(id);
    await this.blobs.remove(file.folder, file.id);
    return file;
  }

  /** A folder's files, newest first: the caller's own, or everyone's for a caller who sees all. */
  async list(
    folder: FileFolder,
    caller: FileCaller,
    page: { limit: number; offset: number },
  ): Promise<{ files: StoredFile[]; total: number }> {
    const { rows, total } = await this.files.list(
      folder,
      caller.seesAll ? undefined : caller.userId,
      page.limit,
      page.offset,
    );
    return { files: rows.map(storedFileOf), total };
  }

  /**
   * What GET /files/{folder} shows: for a caller who sees all, the files an operator put in
   * the folder by hand (by name) first, then the stored files (newest first); for anyone
   * else their own stored files only. One page of that sequence, and its total length.
   */
  async listFolder(
    folder: FileFolder,
    caller: FileCaller,
    page: { limit: number; offset: number },
  ): Promise<{ entries: FolderEntry[]; total: number }> {
    const operator = caller.seesAll ? await this.blobs.operatorFiles(folder) : [];
    const fromOperator = operator
      .slice(page.offset, page.offset + page.limit)
      .map((file): FolderEntry => ({ kind: 'operator', file }));
    const storedOffset = Math.max(0, page.offset - operator.length);
    const storedLimit = page.limit - fromOperator.length;
    const stored = await this.list(folder, caller, { limit: Math.max(1, storedLimit), offset: storedOffset });
    const fromStore =
      storedLimit > 0 ? stored.files.map((file): FolderEntry => ({ kind: 'stored', file })) : [];
    return { entries: [...fromOperator, ...fromStore], total: operator.length + stored.total };
  }

  /** Names of the owner's complete files in a folder (the STTS server's listing). */
  namesOf(folder: FileFolder, ownerId: number): Promise<string[]> {
    return this.files.namesOf(folder, ownerId);
  }

  /** Files an operator put in the folder by hand (shown to admins; not downloadable by id). */
  operatorFiles(folder: FileFolder): Promise<OperatorFile[]> {
    return this.blobs.operatorFiles(folder);
  }

  /** Bytes the owner keeps and their plan's quota (0 = unlimited). */
  async usage(ownerId: number): Promise<{ usedBytes: number; quotaBytes: number }> {
    return {
      usedBytes: await this.files.usedBytes(ownerId),
      quotaBytes: this.quotaBytesOf(await this.planName(ownerId)),
    };
  }

  /**
   * Deletes outputs older than routers.management.files.outputs.retention_days (0 keeps
   * them), files left `writing` by a process that died, and bytes no row names. As of `now`.
   */
  async purgeExpired(now = new Date()): Promise<PurgeResult> {
    const result: PurgeResult = { expiredOutputs: 0, abandonedWrites: 0, orphanBlobs: 0 };
    const days = this.config.current.routers.management.files.outputs.retentionDays;
    if (days > 0) {
      const cutoff = new Date(now.getTime() - days * DAY_MS);
      for (;;) {
        const ids = await this.files.idsCreatedBefore('outputs', cutoff, PURGE_BATCH);
        for (const id of ids) if (await this.removeRow('outputs', id)) result.expiredOutputs += 1;
        if (ids.length < PURGE_BATCH) break;
      }
    }
    for (const id of await this.files.abandonedWritingIds(
      new Date(now.getTime() - ABANDONED_WRITING_MS),
      PURGE_BATCH,
    )) {
      const row = await this.files.findById(id);
      if (row && (await this.removeRow(row.folder, id))) result.abandonedWrites += 1;
    }
    for (const folder of ['reference_audio', 'voices', 'outputs'] as const) {
      const entries = (await this.blobs.entries(folder)).filter(
        (entry) => now.getTime() - entry.modifiedAt.getTime() > ORPHAN_GRACE_MS,
      );
      const known = await this.files.existing(entries.map((entry) => entry.id));
      for (const entry of entries) {
        if (known.has(entry.id)) continue;
        await this.blobs.remove(folder, entry.id);
        result.orphanBlobs += 1;
      }
    }
    if (result.expiredOutputs + result.abandonedWrites + result.orphanBlobs > 0) {
      this.logger.info({ ...result, retentionDays: days }, 'stored files purged');
    }
    return result;
  }

  private async removeRow(folder: FileFolder, id: string): Promise<boolean> {
    const deleted = await this.files.delete(id);
    await this.blobs.remove(folder, id);
    return deleted;
  }

  private async describe(id: string): Promise<StoredFile> {
    const row = await this.files.findById(id);
    if (!row) throw notFound(id);
    return storedFileOf(row);
  }

  private async planName(ownerId: number): Promise<string> {
    const rows = await this.files.planOf(ownerId);
    return rows ?? this.config.current.rateLimits.defaultPlan;
  }
}
