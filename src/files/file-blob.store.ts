import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { BOOT_OPTIONS } from '../common/injection-tokens.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import type { FileFolder } from './file-folder.js';

/** Where a folder's stored files live, below the operator's own files in that folder. */
const STORE_DIR = '.store';
const PART_SUFFIX = '.part';
const FILE_MODE = 0o600;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Thrown by a write that passed its byte limit; the partial file is gone. */
export class BlobLimitError extends Error {
  constructor(readonly limitBytes: number) {
    super(`more than ${limitBytes} bytes`);
    this.name = 'BlobLimitError';
  }
}

/** A file the operator put in a managed folder by hand (not one the gateway stores). */
export interface OperatorFile {
  name: string;
  sizeBytes: number;
  modifiedAt: Date;
}

/** A file on disk in a folder's store, by name (an id, or an id's partial `.part` file). */
export interface BlobEntry {
  id: string;
  partial: boolean;
  modifiedAt: Date;
}

function byteLimit(limitBytes: number, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      counter.bytes += chunk.length;
      if (counter.bytes > limitBytes) callback(new BlobLimitError(limitBytes));
      else callback(null, chunk);
    },
  });
}

/**
 * The filesystem side of the files module, and the only place that knows paths: each
 * stored file is `<folder>/.store/<id>` (an id the gateway made, never a client's name),
 * written as `<id>.part` and renamed when complete, created 0600.
 */
@Injectable()
export class FileBlobStore {
  constructor(@Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo) {}

  folderPath(folder: FileFolder): string {
    switch (folder) {
      case 'reference_audio':
        return this.runtime.folders.referenceAudio;
      case 'voices':
        return this.runtime.folders.voices;
      case 'outputs':
        return this.runtime.folders.outputs;
    }
  }

  /** The complete file's path. `id` must be a UUID (ids come from the database, never from a client). */
  pathOf(folder: FileFolder, id: string): string {
    if (!UUID.test(id)) throw new Error(`not a stored file id: ${id.slice(0, 64)}`);
    return join(this.folderPath(folder), STORE_DIR, id);
  }

  private partPathOf(folder: FileFolder, id: string): string {
    return `${this.pathOf(folder, id)}${PART_SUFFIX}`;
  }

  private async ensureStore(folder: FileFolder): Promise<void> {
    await mkdir(join(this.folderPath(folder), STORE_DIR), { recursive: true, mode: 0o700 });
  }

  /**
   * Writes the file complete or not at all: bytes go to `<id>.part`, which becomes `<id>`
   * once written. A stream is cut at `limitBytes` (BlobLimitError, nothing left behind).
   * A `{ path, move: true }` source is moved (copied across filesystems), else copied.
   * Answers the size.
   */
  async write(
    folder: FileFolder,
    id: string,
    source: Readable | Buffer | { path: string; move?: boolean },
    limitBytes: number,
  ): Promise<number> {
    await this.ensureStore(folder);
    const part = this.partPathOf(folder, id);
    try {
      if (Buffer.isBuffer(source)) {
        if (source.length > limitBytes) throw new BlobLimitError(limitBytes);
        await writeFile(part, source, { flag: 'wx', mode: FILE_MODE });
      } else if (source instanceof Readable) {
        const counter = { bytes: 0 };
        await pipeline(
          source,
          byteLimit(limitBytes, counter),
          createWriteStream(part, { flags: 'wx', mode: FILE_MODE }),
        );
      } else {
        const size = (await stat(source.path)).size;
        if (size > limitBytes) throw new BlobLimitError(limitBytes);
        await this.placeFrom(source.path, part, source.move === true);
      }
      await rename(part, this.pathOf(folder, id));
      return (await stat(this.pathOf(folder, id))).size;
    } catch (error) {
      await rm(part, { force: true });
      throw error;
    }
  }

  private async placeFrom(from: string, to: string, move: boolean): Promise<void> {
    if (move) {
      try {
        await rename(from, to);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      }
    }
    await copyFile(from, to);
    if (move) await rm(from, { force: true });
  }

  /** A new partial file to stream into; `complete` renames it into place. */
  async openPartial(folder: FileFolder, id: string): Promise<Writable> {
    await this.ensureStore(folder);
    return createWriteStream(this.partPathOf(folder, id), { flags: 'wx', mode: FILE_MODE });
  }

  /** Flushes the partial file to disk and renames it to the complete name; answers its size. */
  async complete(folder: FileFolder, id: string): Promise<number> {
    const part = this.partPathOf(folder, id);
    const handle = await open(part, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(part, this.pathOf(folder, id));
    return (await stat(this.pathOf(folder, id))).size;
  }

  /** Bytes `start`..`end` (inclusive) of a complete file, or all of it. */
  read(folder: FileFolder, id: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.pathOf(folder, id), range ? { start: range.start, end: range.end } : {});
  }

  /** Whether the complete file is on disk. */
  async exists(folder: FileFolder, id: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(folder, id))).isFile();
    } catch {
      return false;
    }
  }

  /** Removes the file and any partial one; a file already gone is fine. */
  async remove(folder: FileFolder, id: string): Promise<void> {
    await Promise.all([
      rm(this.pathOf(folder, id), { force: true }),
      rm(this.partPathOf(folder, id), { force: true }),
    ]);
  }

  /** Every file in the folder's store (ids and partial files); other names are left alone. */
  async entries(folder: FileFolder): Promise<BlobEntry[]> {
    const dir = join(this.folderPath(folder), STORE_DIR);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: BlobEntry[] = [];
    for (const name of names) {
      const partial = name.endsWith(PART_SUFFIX);
      const id = partial ? name.slice(0, -PART_SUFFIX.length) : name;
      if (!UUID.test(id)) continue;
      try {
        found.push({ id, partial, modifiedAt: (await stat(join(dir, name))).mtime });
      } catch {
        // Removed meanwhile.
      }
    }
    return found;
  }

  /** Files the operator put in the folder itself (not hidden, not folders), by name. */
  async operatorFiles(folder: FileFolder): Promise<OperatorFile[]> {
    const path = this.folderPath(folder);
    const entries = await readdir(path, { withFileTypes: true });
    const files = await Promise.all(
      entries
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map(async (entry) => {
          const info = await stat(join(path, entry.name));
          return { name: entry.name, sizeBytes: info.size, modifiedAt: info.mtime };
        }),
    );
    return files.sort((a, b) => a.name.localeCompare(b.name));
  }
}
