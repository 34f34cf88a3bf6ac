/**
 * The parent's handle on a gateway running in a child process (hot-path-gateway.process.ts),
 * started from the shipped config/config.yaml with only what a benchmark must change on top:
 * a free port, its own folders (and PGlite data folder or PostgreSQL schema), an unlimited
 * plan for every user, per-request logging off, and the bench's `overrides`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { deepMerge } from '../test/support/test-gateway.js';
import { BENCH_DATABASE_URL, dropBenchSchema } from './bench-database.js';
import type { HotPathOrder, HotPathReady, HotPathReply } from './hot-path-gateway.process.js';
import { UNLIMITED_PLAN_CONFIG } from './unlimited-plan.js';

/** The shipped configuration (the product as a newcomer runs it). */
export const SHIPPED_CONFIG = fileURLToPath(new URL('../../config/config.yaml', import.meta.url));

export type DatabaseChoice = 'postgres' | 'embedded';

/** A distributive Omit, so each order keeps its own fields. */
type OrderBody = HotPathOrder extends infer O ? (O extends HotPathOrder ? Omit<O, 'id'> : never) : never;

export class ChildGateway {
  private nextOrder = 0;
  private readonly replies = new Map<number, (reply: HotPathReply) => void>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly database: DatabaseChoice,
    private readonly dir: string,
    private readonly schema: string | undefined,
    private readonly stderr: { text: string },
    /** Warning and error lines the gateway logged (level ≥ 40). */
    readonly problems: string[],
  ) {
    child.on('message', (message: HotPathReply) => this.replies.get(message.id)?.(message));
    child.on('exit', () => {
      this.exited = true;
      for (const reply of this.replies.values()) reply({ id: -1, error: 'the gateway process exited' });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /**
   * Starts a gateway process. `overrides` (snake_case, as in config.yaml) go on top of the
   * shipped config and the bench's own settings; arrays (engines) replace the shipped ones.
   */
  static async start(
    name: string,
    database: DatabaseChoice,
    overrides: Record<string, unknown> = {},
  ): Promise<ChildGateway> {
    const dir = await mkdtemp(join(tmpdir(), `sg-bench-${name}-`));
    const schema = database === 'postgres' ? `bench_${randomBytes(5).toString('hex')}` : undefined;
    const shipped = parse(await readFile(SHIPPED_CONFIG, 'utf8')) as Record<string, unknown>;
    absolutiseEngineFiles(shipped, dirname(SHIPPED_CONFIG));
    const bench = {
      ...UNLIMITED_PLAN_CONFIG,
      server: { port: 0, host: '127.0.0.1', shutdown_timeout_seconds: 5 },
      // One log line per request would dominate the hot path; BENCH_HOT_PATH_LOGGING=1 keeps it.
      middleware: {
        logging: process.env.BENCH_HOT_PATH_LOGGING === '1' ? {} : { enabled: false, log_level: 'warn' },
      },
      database:
        database === 'postgres'
          ? { url: BENCH_DATABASE_URL, schema }
          : { embedded: { data_dir: join(dir, 'pglite') } },
      paths: {
        reference_audio: join(dir, 'reference_audio'),
        voices: join(dir, 'voices'),
        outputs: join(dir, 'outputs'),
        temp: join(dir, 'tmp'),
      },
    };
    const configPath = join(dir, 'config.yaml');
    await writeFile(configPath, stringify(deepMerge(deepMerge(shipped, bench), overrides)));

    const child = fork(fileURLToPath(new URL('./hot-path-gateway.process.js', import.meta.url)), [], {
      env: { ...process.env, HOT_PATH_GATEWAY_CONFIG: configPath, HOT_PATH_GATEWAY_ROOT: dir },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    });
    const stderr = { text: '' };
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.text = (stderr.text + chunk.toString('utf8')).slice(-20_000);
    });
    const problems: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      // pino levels: 40 warn, 50 error, 60 fatal.
      if (/"level":[456]\d/.test(line)) problems.push(line);
    });
    try {
      const url = await new Promise<string>((resolvePromise, reject) => {
        child.once('message', (message: HotPathReady) => resolvePromise(message.url));
        child.once('exit', (code) =>
          reject(new Error(`the gateway process exited during start (${code}): ${stderr.text}`)),
        );
      });
      return new ChildGateway(child, url, database, dir, schema, stderr, problems);
    } catch (error) {
      child.kill('SIGKILL');
      if (schema) await dropBenchSchema(schema).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async order(body: OrderBody): Promise<HotPathReply> {
    if (this.exited) throw new Error(`the gateway process has exited: ${this.stderr.text}`);
    const id = ++this.nextOrder;
    const reply = await new Promise<HotPathReply>((resolvePromise) => {
      this.replies.set(id, resolvePromise);
      this.child.send({ ...body, id });
    });
    this.replies.delete(id);
    if (reply.error) throw new Error(`${body.type} failed in the gateway process: ${reply.error}`);
    return reply;
  }

  async patch(patch: Record<string, unknown>): Promise<void> {
    await this.order({ type: 'patch', patch });
  }

  /** A new user on the unlimited plan and its key (tts scope). */
  async createKey(): Promise<string> {
    const reply = await this.order({ type: 'create-key', plan: 'bench' });
    return String(reply['token']);
  }

  /** ms of each `engine.synthesize` call, run in the gateway process without HTTP. */
  async engineSynthesisMs(
    text: string,
    runs: number,
    engine = 'espeak',
    voiceId = 'en-us',
  ): Promise<number[]> {
    const reply = await this.order({ type: 'synthesize', engine, voiceId, text, runs });
    return reply['times'] as number[];
  }

  /** Closes the gateway (graceful), waits for the process to end, drops its schema and folder. */
  async close(): Promise<void> {
    if (!this.exited) {
      const ended = new Promise((resolvePromise) => this.child.once('exit', resolvePromise));
      await this.order({ type: 'close' }).catch(() => undefined);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await ended;
      clearTimeout(timer);
    }
    if (this.schema) await dropBenchSchema(this.schema).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Relative file options of engines (intents_file) are relative to the shipped config's folder. */
function absolutiseEngineFiles(config: Record<string, unknown>, folder: string): void {
  const engines = config['engines'] as Record<string, unknown> | undefined;
  for (const list of Object.values(engines ?? {})) {
    if (!Array.isArray(list)) continue;
    for (const entry of list as Array<{ options?: Record<string, unknown> }>) {
      const file = entry.options?.['intents_file'];
      if (typeof file === 'string' && !isAbsolute(file))
        entry.options!['intents_file'] = resolve(folder, file);
    }
  }
}
