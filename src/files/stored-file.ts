import type { Readable } from 'node:stream';
import type { FileFolder } from './file-folder.js';
import type { StoredFileEntity, StoredFileStatus } from './stored-file.entity.js';

/** A stored file's metadata, as services exchange it (never a path). */
export interface StoredFile {
  id: string;
  ownerId: number;
  folder: FileFolder;
  name: string;
  contentType: string;
  sizeBytes: number;
  status: StoredFileStatus;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export function storedFileOf(row: StoredFileEntity): StoredFile {
  return {
    id: row.id,
    ownerId: row.ownerId,
    folder: row.folder,
    name: row.name,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    status: row.status,
    metadata: row.metadata,
    createdAt: row.createdAt,
  };
}

/** Who asks for a file: its owner sees it; `seesAll` (an admin) sees every owner's. */
export interface FileCaller {
  userId: number;
  seesAll: boolean;
}

/** Where the bytes of a new file come from; a `{ path }` is copied unless `move` is set. */
export type FileSource = Readable | Buffer | { path: string; move?: boolean };
