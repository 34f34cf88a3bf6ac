import type { OperatorFile } from './file-blob.store.js';
import type { FileFolder } from './file-folder.js';
import type { StoredFile } from './stored-file.js';

/** A file as GET/POST /files answer it. `url` downloads it. */
export function storedFileJson(file: StoredFile) {
  return {
    id: file.id,
    name: file.name,
    folder: file.folder,
    source: 'stored' as const,
    owner_id: file.ownerId,
    content_type: file.contentType,
    size_bytes: file.sizeBytes,
    status: file.status,
    metadata: file.metadata,
    created_at: file.createdAt.toISOString(),
    modified_at: file.createdAt.toISOString(),
    url: `/files/${file.folder}/${file.id}`,
  };
}

/** A file an operator put in the folder by hand (listed to admins; it has no id to download by). */
export function operatorFileJson(folder: FileFolder, file: OperatorFile) {
  return {
    id: null,
    name: file.name,
    folder,
    source: 'operator' as const,
    owner_id: null,
    content_type: null,
    size_bytes: file.sizeBytes,
    status: 'ready' as const,
    metadata: {},
    created_at: null,
    modified_at: file.modifiedAt.toISOString(),
    url: null,
  };
}
