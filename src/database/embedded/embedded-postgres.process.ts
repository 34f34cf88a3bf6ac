/**
 * Child-process entry point of the embedded PostgreSQL (see embedded-postgres.ts).
 *
 * PGlite runs Postgres compiled to WASM on the JS thread; every query blocks the
 * event loop it runs on. Living in its own process keeps that work off the HTTP
 * server's event loop. Options arrive as one JSON argument (argv is readable before
 * any module loads, an early IPC message could be dropped); the result goes back
 * over IPC as a ChildMessage.
 */
import { readFile, mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite, type ExecProtocolOptionsStream } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface ChildOptions {
  dataDir: string;
  maxConnections: number;
  host: string;
  /** 0 lets the OS pick a free port; the bound one is reported in the ready message. */
  port: number;
}

export type ChildMessage = { type: 'ready'; host: string; port: number } | { type: 'error'; message: string };

export type ParentMessage = { type: 'stop' };

export const LOCK_FILE_NAME = '.speech-gateway.lock';

/** Also matched against /proc/<pid>/cmdline, so a recycled pid is not mistaken for an owner. */
const PROCESS_FILE_MARKER = 'embedded-postgres.process';

/**
 * Postgres settings on top of PGlite's own start parameters. shared_buffers: initdb's
 * 128 MB is Postgres' server default, and PGlite touches all of it, so it was the largest
 * part of the embedded database's memory (about 290 MB resident idle, 170 MB with 16 MB).
 * The embedded database serves one gateway's accounts, keys, usage and analytics; 16 MB
 * of page cache (2,048 pages) holds their hot part. wal_buffers follows (1/32 of it).
 */
const EMBEDDED_POSTGRES_SETTINGS: readonly string[] = ['-c', 'shared_buffers=16MB'];

const READY_FOR_QUERY = 0x5a; // 'Z'
const TERMINATE = 0x58; // 'X'

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hasErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

function reportError(message: string): void {
  process.stderr.write(`[embedded-postgres] ${message}\n`);
}

/** Follows backend message framing across stream chunks to find the last complete message type. */
class LastBackendMessage {
  private readonly header = Buffer.alloc(5);
  private headerLength = 0;
  private bodyLeft = 0;
  private type: number | null = null;

  feed(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.bodyLeft > 0) {
        const skipped = Math.min(this.bodyLeft, chunk.length - pos);
        this.bodyLeft -= skipped;
        pos += skipped;
        continue;
      }
      this.header[this.headerLength++] = chunk[pos++];
      if (this.headerLength === this.header.length) {
        this.type = this.header[0];
        this.bodyLeft = this.header.readInt32BE(1) - 4;
        this.headerLength = 0;
      }
    }
  }

  get completeType(): number | null {
    return this.headerLength === 0 && this.bodyLeft === 0 ? this.type : null;
  }
}

/**
 * pglite-socket (0.2.17) serialises single protocol *messages* from all connections
 * onto PGlite's one session, keeping a connection's messages together only while an
 * explicit transaction is open. An extended-protocol batch (Parse/Bind/Execute/Sync)
 * that arrives in two TCP reads (any parameter over ~64 KB) can then interleave with
 * another connection's batch: that Parse replaces the unnamed statement and the first
 * connection silently runs the other's SQL with its own parameters — measured here as
 * INSERTs that vanished without an error (electric-sql/pglite#1046).
 *
 * The socket server's queue pins itself to the last connection while
 * `isInTransaction()` is true, so this view also answers true until the backend has
 * closed the batch with ReadyForQuery. Everything else goes to the real instance.
 */
function withBatchAffinity(db: PGlite, onEngineFailure: (err: unknown) => void): PGlite {
  let batchOpen = false;

  const execProtocolRawStream = async (
    message: Uint8Array,
    options: ExecProtocolOptionsStream,
  ): Promise<void> => {
    const last = new LastBackendMessage();
    try {
      await db.execProtocolRawStream(message, {
        ...options,
        onRawData: (data) => {
          last.feed(data);
          options.onRawData(data);
        },
      });
    } catch (err) {
      // SQL errors come back inside the stream; a throw means the engine itself failed,
      // and pglite-socket's queue never recovers from one (it stays "processing").
      onEngineFailure(err);
      throw err;
    }
    batchOpen = message[0] !== TERMINATE && last.completeType !== READY_FOR_QUERY;
  };

  // pglite-socket runs a bare ROLLBACK when the pinned connection goes away mid-batch.
  const exec: PGlite['exec'] = async (query, options) => {
    try {
      return await db.exec(query, options);
    } finally {
      batchOpen = false;
    }
  };

  return new Proxy(db, {
    get(target, property) {
      if (property === 'isInTransaction') return () => batchOpen || target.isInTransaction();
      if (property === 'execProtocolRawStream') return execProtocolRawStream;
      if (property === 'exec') return exec;
      const value: unknown = Reflect.get(target, property, target);
      // PGlite keeps its state in private class fields, reachable only with the real `this`.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function isLiveOwner(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (hasErrno(err, 'ESRCH')) return false;
    if (!hasErrno(err, 'EPERM')) throw err;
  }
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(PROCESS_FILE_MARKER);
  } catch {
    return true; // no procfs: a live pid is the best evidence available
  }
}

/**
 * PGlite takes no lock of its own: two processes on one data folder both start, each
 * sees only its own writes, and rows are lost after both close. A pid file guards it.
 * Two starters taking over the same stale lock at the same instant can still race;
 * that needs a crashed owner plus a double start and is accepted.
 */
async function acquireLock(lockPath: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      if (!hasErrno(err, 'EEXIST')) throw err;
    }
    const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (owner > 0 && owner !== process.pid && (await isLiveOwner(owner))) {
      throw new Error(
        `data folder is already in use by embedded PostgreSQL process ${owner} (lock file ${lockPath})`,
      );
    }
    await unlink(lockPath).catch((err: unknown) => {
      if (!hasErrno(err, 'ENOENT')) throw err;
    });
  }
  throw new Error(`could not take the lock file ${lockPath}`);
}

async function releaseLock(lockPath: string): Promise<void> {
  const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
  if (owner === process.pid) await unlink(lockPath).catch(() => undefined);
}

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

function parseOptions(raw: string | undefined): ChildOptions {
  const parsed: unknown = JSON.parse(raw ?? '');
  const options = parsed as Partial<ChildOptions>;
  if (
    typeof options.dataDir !== 'string' ||
    !Number.isInteger(options.maxConnections) ||
    typeof options.host !== 'string' ||
    !Number.isInteger(options.port)
  ) {
    throw new Error(`invalid options: ${raw}`);
  }
  return options as ChildOptions;
}

function isStopMessage(message: unknown): message is ParentMessage {
  return typeof message === 'object' && message !== null && (message as ParentMessage).type === 'stop';
}

interface Running {
  db?: PGlite;
  server?: PGLiteSocketServer;
  lockPath?: string;
  shuttingDown: boolean;
}

async function start(running: Running, onEngineFailure: (err: unknown) => void): Promise<ChildMessage> {
  const options = parseOptions(process.argv[2]);
  await mkdir(options.dataDir, { recursive: true });
  const lockPath = join(options.dataDir, LOCK_FILE_NAME);
  await acquireLock(lockPath);
  running.lockPath = lockPath;

  running.db = await PGlite.create({
    dataDir: options.dataDir,
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_POSTGRES_SETTINGS],
  });
  running.server = new PGLiteSocketServer({
    db: withBatchAffinity(running.db, onEngineFailure),
    host: options.host,
    port: options.port,
    maxConnections: options.maxConnections,
  });
  await running.server.start();

  // getServerConn() reports the bound port: start() reads it back from server.address().
  const conn = running.server.getServerConn();
  return { type: 'ready', host: options.host, port: Number(conn.slice(conn.lastIndexOf(':') + 1)) };
}

async function main(): Promise<void> {
  if (!process.send) {
    reportError('must be started with child_process.fork (needs an IPC channel)');
    process.exit(1);
  }

  const running: Running = { shuttingDown: false };
  let startup: Promise<unknown> = Promise.resolve();

  const shutdown = async (exitCode: number): Promise<void> => {
    if (running.shuttingDown) return;
    running.shuttingDown = true;
    // Never cut a start short: a first start is initdb, and half of one is a broken folder.
    await startup.catch(() => undefined);
    try {
      await running.server?.stop();
      await running.db?.close(); // clean Postgres shutdown: checkpoint and flush to the data folder
    } catch (err) {
      reportError(`shutdown failed: ${errorMessage(err)}`);
      exitCode = exitCode || 1;
    }
    if (running.lockPath) await releaseLock(running.lockPath);
    process.exit(exitCode);
  };

  const onEngineFailure = (err: unknown): void => {
    if (running.shuttingDown) return;
    reportError(`PGlite failed, exiting: ${errorMessage(err)}`);
    void shutdown(1);
  };

  process.on('message', (message: unknown) => {
    if (isStopMessage(message)) void shutdown(0);
  });
  process.on('disconnect', () => void shutdown(0)); // the parent is gone
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));

  const starting = start(running, onEngineFailure);
  startup = starting;
  try {
    const ready = await starting;
    if (!running.shuttingDown) send(ready);
  } catch (err) {
    const message = errorMessage(err);
    if (process.connected) send({ type: 'error', message });
    else reportError(`start failed: ${message}`);
    await shutdown(1);
  }
}

void main();
