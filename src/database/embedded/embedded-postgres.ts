import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildOptions, ParentMessage } from './embedded-postgres.process.js';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /**
   * Sockets the server accepts. Must be >= the pool size of every client together:
   * pglite-socket resets connections beyond it, which the driver reports as
   * `read ECONNRESET` instead of waiting for a free slot.
   */
  maxConnections: number;
  /** A first start runs initdb inside WASM: several seconds, more on a slow disk. */
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

export interface EmbeddedPostgresExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when stop() asked for it; false means the child died on its own. */
  expected: boolean;
}

const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const HOST = '127.0.0.1';

const PROCESS_FILE = fileURLToPath(new URL('./embedded-postgres.process.js', import.meta.url));

type ChildExit = Omit<EmbeddedPostgresExit, 'expected'>;

function describeExit({ code, signal }: ChildExit): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

function isChildMessage(message: unknown): message is ChildMessage {
  const type = typeof message === 'object' && message !== null ? (message as ChildMessage).type : undefined;
  return type === 'ready' || type === 'error';
}

function waitForReady(
  child: ChildProcess,
  exited: Promise<ChildExit>,
  timeoutMs: number,
): Promise<{ host: string; port: number }> {
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const settle = (outcome: () => void): void => {
      clearTimeout(timer);
      outcome();
    };
    child.once('message', (message) => {
      if (!isChildMessage(message)) settle(() => reject(new Error('unexpected message from the process')));
      else if (message.type === 'ready')
        settle(() => resolveReady({ host: message.host, port: message.port }));
      else settle(() => reject(new Error(message.message)));
    });
    child.once('error', (err) => settle(() => reject(err)));
    void exited.then((exit) => settle(() => reject(new Error(`process ended with ${describeExit(exit)}`))));
  });
}

/** The child reports a failed start and then closes what it opened; give it the time to. */
async function endAfterFailedStart(
  child: ChildProcess,
  exited: Promise<ChildExit>,
  graceMs: number,
): Promise<void> {
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * PostgreSQL without a database server: PGlite (Postgres in WASM) in a child process,
 * reachable over TCP by the ordinary `pg` / TypeORM postgres driver.
 *
 * Every connection shares PGlite's single session, so statements run one at a time and
 * an open transaction holds all other connections until it ends.
 */
export class EmbeddedPostgres {
  private readonly exitListeners = new Set<(exit: EmbeddedPostgresExit) => void>();
  private stopRequested = false;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<ChildExit>,
    readonly dataDir: string,
    readonly host: string,
    readonly port: number,
    private readonly stopTimeoutMs: number,
  ) {
    // Failures to signal the child show up as a stop timeout or an exit; nothing to add here.
    child.on('error', () => undefined);
    void exited.then((exit) => {
      for (const listener of this.exitListeners) listener({ ...exit, expected: this.stopRequested });
    });
  }

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    if (!options.dataDir) throw new Error('Embedded PostgreSQL needs a dataDir');
    const dataDir = resolve(options.dataDir);
    if (!Number.isInteger(options.maxConnections) || options.maxConnections < 1) {
      throw new Error(
        `Embedded PostgreSQL maxConnections must be a positive integer, got ${options.maxConnections}`,
      );
    }

    const childOptions: ChildOptions = {
      dataDir,
      maxConnections: options.maxConnections,
      host: HOST,
      port: 0,
    };
    const child = fork(PROCESS_FILE, [JSON.stringify(childOptions)], {
      // Not the parent's flags: --test, --inspect or --watch would apply to the child too.
      execArgv: [],
      // stdout stays closed so nothing from the child can interleave with the server's logs.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const exited = new Promise<ChildExit>((resolveExit) => {
      child.once('exit', (code, signal) => resolveExit({ code, signal }));
    });

    try {
      const ready = await waitForReady(child, exited, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
      return new EmbeddedPostgres(
        child,
        exited,
        dataDir,
        ready.host,
        ready.port,
        options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
      );
    } catch (err) {
      await endAfterFailedStart(child, exited, options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`Embedded PostgreSQL failed to start in ${dataDir}: ${reason}`, { cause: err });
    }
  }

  /** PGlite accepts any user and database name and checks no password; these are its defaults. */
  get url(): string {
    return `postgres://postgres@${this.host}:${this.port}/postgres`;
  }

  get pid(): number {
    // fork() only returns without a pid when the spawn failed, and start() rejects then.
    return this.child.pid ?? -1;
  }

  /** Called once when the child ends, whether through stop() or not. Returns an unsubscribe. */
  onExit(listener: (exit: EmbeddedPostgresExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Closes PGlite cleanly (flushes the data folder); kills the child if it does not end in time. */
  stop(): Promise<void> {
    this.stopping ??= this.stopChild();
    return this.stopping;
  }

  private async stopChild(): Promise<void> {
    this.stopRequested = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) {
      const stop: ParentMessage = { type: 'stop' };
      this.child.send(stop, (err) => {
        if (err) this.child.kill('SIGTERM');
      });
    } else {
      this.child.kill('SIGTERM');
    }

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout('timeout'), this.stopTimeoutMs);
    });
    const outcome = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
