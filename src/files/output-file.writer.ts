import { once } from 'node:events';
import { Writable } from 'node:stream';
import { AppError } from '../common/app-error.js';
import type { StoredFile } from './stored-file.js';

/** What the writer needs from the storage service (kept small so the writer is testable alone). */
export interface OutputFileBackend {
  complete(file: StoredFile, metadata: Record<string, unknown>): Promise<StoredFile>;
  discard(file: StoredFile): Promise<void>;
}

/**
 * An output file being written piece by piece (a long job's audio), with bounded memory:
 * `append` waits while the disk is behind. The file is listed with status `writing` (and
 * cannot be downloaded) until `commit`; `discard` removes it and its row. After a crash the
 * sweeper removes files left `writing`.
 */
export class OutputFileWriter {
  private bytes = 0;
  private state: 'open' | 'committed' | 'discarded' = 'open';

  constructor(
    readonly file: StoredFile,
    private readonly sink: Writable,
    private readonly backend: OutputFileBackend,
    /** Most bytes this file may take (413 FILE_TOO_LARGE beyond); Infinity = no limit. */
    private readonly maxBytes: number,
  ) {
    sink.on('error', () => undefined); // surfaced by append/commit
  }

  get id(): string {
    return this.file.id;
  }

  get bytesWritten(): number {
    return this.bytes;
  }

  /** Appends bytes; resolves once the disk accepted them or they are buffered within limits. */
  async append(chunk: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw new Error(`output file ${this.file.id} is ${this.state}`);
    if (this.bytes + chunk.length > this.maxBytes) {
      throw new AppError('FILE_TOO_LARGE', `The output is larger than ${this.maxBytes} bytes.`);
    }
    if (this.sink.errored) throw this.sink.errored;
    this.bytes += chunk.length;
    // events.once rejects when the sink emits 'error' first (disk full, …).
    if (!this.sink.write(chunk)) await once(this.sink, 'drain');
  }

  /** A Writable over `append`, for `pipeline(source, writer.asWritable())`; then call commit. */
  asWritable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.append(chunk).then(() => callback(), callback);
      },
    });
  }

  /** Finishes the file: flushed, renamed into place, status ready; answers it with its size. */
  async commit(metadata: Record<string, unknown> = {}): Promise<StoredFile> {
    if (this.state !== 'open') throw new Error(`output file ${this.file.id} is ${this.state}`);
    this.state = 'committed';
    try {
      await new Promise<void>((resolve, reject) => {
        this.sink.once('error', reject);
        this.sink.end(() => resolve());
      });
      return await this.backend.complete(this.file, metadata);
    } catch (error) {
      this.state = 'discarded';
      await this.backend.discard(this.file).catch(() => undefined);
      throw error;
    }
  }

  /** Abandons the file (failure, cancel): bytes and row removed. Safe to call more than once; a no-op after commit. */
  async discard(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'discarded';
    this.sink.destroy();
    if (!this.sink.closed) await once(this.sink, 'close').catch(() => undefined);
    await this.backend.discard(this.file);
  }
}
