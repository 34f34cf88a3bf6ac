import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Order, ReadyMessage, StartOrder } from './fuzz-gateway.process.js';

export interface GatewayExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process's stderr (Node writes an uncaught exception's stack there). */
  stderr: string;
}

/**
 * The fuzz test's handle on a gateway running in a child process (fuzz-gateway.process.ts).
 * Log lines are collected as they arrive; if the process dies, `exit` says how.
 */
export class FuzzGateway {
  exit: GatewayExit | null = null;
  private nextOrder = 0;
  private readonly replies = new Map<number, (reply: Record<string, unknown>) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: ReadyMessage,
    readonly exited: Promise<GatewayExit>,
  ) {
    child.on('message', (message: { id?: number } & Record<string, unknown>) => {
      if (typeof message.id === 'number') this.replies.get(message.id)?.(message);
    });
    child.on('error', () => undefined); // a write to a dead process; its exit is reported instead
    void exited.then((exit) => {
      this.exit = exit;
      for (const reply of this.replies.values()) reply({ exited: true });
    });
  }

  /** Starts a gateway process; `onLog` receives every log line it writes. */
  static start(order: StartOrder, onLog: (line: string) => void): Promise<FuzzGateway> {
    const child = fork(fileURLToPath(new URL('./fuzz-gateway.process.js', import.meta.url)), [], {
      env: { ...process.env, FUZZ_GATEWAY_ORDER: JSON.stringify(order) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
    });
    createInterface({ input: child.stdout! }).on('line', onLog);
    const exited = new Promise<GatewayExit>((resolve) =>
      child.on('exit', (code, signal) => setImmediate(() => resolve({ code, signal, stderr }))),
    );
    return new Promise((resolve, reject) => {
      child.once('message', (message: ReadyMessage) => {
        resolve(new FuzzGateway(child, message, exited));
      });
      void exited.then((exit) =>
        reject(
          new Error(`the gateway process exited during start (${exit.code ?? exit.signal}): ${exit.stderr}`),
        ),
      );
    });
  }

  get alive(): boolean {
    return this.exit === null;
  }

  get url(): string {
    return this.ready.url;
  }

  /** Writes the config.yaml the gateway started with back and applies it; the errors if it could not. */
  async restoreConfig(): Promise<string[]> {
    const reply = await this.order('restore-config');
    if (reply['exited'] === true) return [];
    return reply['applied'] === true ? [] : ((reply['errors'] as string[] | undefined) ?? ['not applied']);
  }

  /** Names added to Object.prototype in the gateway process since it started. */
  async prototypeAdditions(): Promise<string[]> {
    const reply = await this.order('prototype');
    return (reply['added'] as string[] | undefined) ?? [];
  }

  async close(): Promise<void> {
    if (!this.alive) return;
    await this.order('close');
    await this.exited;
  }

  /** Ends the process at once (a test that cannot close it cleanly). */
  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  private order(type: Order['type']): Promise<Record<string, unknown>> {
    if (!this.alive) return Promise.resolve({ exited: true });
    const id = ++this.nextOrder;
    return new Promise((resolve) => {
      this.replies.set(id, (reply) => {
        this.replies.delete(id);
        resolve(reply);
      });
      // The process may die between the check above and this write: that is an answer too.
      this.child.send({ id, type } satisfies Order, (error) => {
        if (error) {
          this.replies.delete(id);
          resolve({ exited: true });
        }
      });
    });
  }
}
