import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import { type RunningProgram, startProgram } from '../../process/program-process.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import type { DecodeJob, PocketsphinxDecoder } from './pocketsphinx-decoder.js';
import { modelFilesProblem, WARM_INSTALL_HINT } from './pocketsphinx-model.js';
import type { PocketsphinxOptions } from './pocketsphinx-options.js';
import type { DecodedUtterance } from './pocketsphinx-output.js';

/** The Python side; tsc does not copy it, so it is found beside this file or in src/. */
function serverScript(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const sibling = join(here, 'pocketsphinx_server.py');
  if (existsSync(sibling)) return sibling;
  // dist/src/engines/adapters/pocketsphinx/ → the project root is five levels up.
  return join(
    here,
    '..',
    '..',
    '..',
    '..',
    '..',
    'src',
    'engines',
    'adapters',
    'pocketsphinx',
    'pocketsphinx_server.py',
  );
}

/** Exit code the server's child uses for the client's grammar errors. */
const GRAMMAR_EXIT = 3;
/** How long start-up (loading the model) may take before the server counts as broken. */
const START_TIMEOUT_MS = 30_000;

interface PendingDecode {
  pid?: number;
  abortRequested: boolean;
  settle: (exit: number | Error) => void;
}

interface Server {
  program: RunningProgram;
  ready: Promise<void>;
  folder: string;
  pending: Map<number, PendingDecode>;
  /** Set when this side stops it (dispose, or the end of a start-up check): its exit is expected. */
  retired: boolean;
}

interface ChildResult {
  utterances?: DecodedUtterance[];
  error?: string;
  kind?: string;
}

/**
 * The model loaded once, in Debian's python3-pocketsphinx: a small server
 * (pocketsphinx_server.py) forks one decoder per request from the pristine loaded state,
 * so results equal a fresh pocketsphinx_continuous run's while each request skips its
 * start-up (measured in bench/stt.bench.ts). Aborting kills that request's decoder; a
 * server that dies fails the requests it held and is started again on the next one.
 *
 * The server (about 100 MB with the default US English model) starts with the first
 * decode, not with the gateway: an idle gateway that never transcribes does not hold the
 * model. A probe before then checks that it can start — it starts one, waits for the
 * model to load, and stops it — once; after that it reports the decoder available
 * without a server running, and the first request pays the model load (about a second).
 */
export class PocketsphinxWarmDecoder implements PocketsphinxDecoder {
  readonly mode = 'warm' as const;
  private server?: Promise<Server>;
  private nextId = 0;
  private disposed = false;
  /** A server started and loaded the model once: the decoder works on this machine. */
  private verified = false;
  private checking?: Promise<EngineHealth>;

  constructor(
    private readonly engineId: string,
    private readonly options: PocketsphinxOptions,
    private readonly logger: Logger,
  ) {}

  async probe(): Promise<EngineHealth> {
    const problem = await modelFilesProblem(this.options);
    if (problem) return { available: false, reason: problem };
    if (this.server === undefined) {
      if (this.verified) return { available: true };
      this.checking ??= this.checkStart().finally(() => {
        this.checking = undefined;
      });
      return this.checking;
    }
    try {
      await this.running();
      return { available: true };
    } catch (error) {
      return { available: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Starts a server, waits for its model to load, and stops it: can the decoder run here? */
  private async checkStart(): Promise<EngineHealth> {
    if (this.disposed) return { available: false, reason: 'the engine was shut down' };
    let server: Server | undefined;
    try {
      server = await this.spawnServer();
      await server.ready;
      this.verified = true;
      return { available: true };
    } catch (error) {
      return { available: false, reason: error instanceof Error ? error.message : String(error) };
    } finally {
      if (server) retire(server);
    }
  }

  async decode(job: DecodeJob, signal: AbortSignal): Promise<DecodedUtterance[]> {
    const server = await this.running();
    signal.throwIfAborted();
    const id = ++this.nextId;
    const output = join(job.folder, 'result.json');
    const exit = await new Promise<number | Error>((settle) => {
      const pending: PendingDecode = { abortRequested: false, settle };
      const onAbort = (): void => {
        pending.abortRequested = true;
        if (pending.pid !== undefined) killQuietly(pending.pid);
      };
      pending.settle = (result) => {
        signal.removeEventListener('abort', onAbort);
        server.pending.delete(id);
        settle(result);
      };
      server.pending.set(id, pending);
      signal.addEventListener('abort', onAbort, { once: true });
      server.program.stdin?.write(
        `${JSON.stringify({ id, input: job.input, output, jsgf: job.jsgf ?? null })}\n`,
      );
    });
    if (signal.aborted) throw abortedError(this.engineId);
    if (exit instanceof Error) throw new EngineError('failed', exit.message, this.engineId, { cause: exit });
    const result = await readResult(output);
    if (exit === 0 && result.utterances) return result.utterances;
    if (exit === GRAMMAR_EXIT && result.kind === 'grammar' && result.error) {
      throw new EngineError('invalid_input', result.error, this.engineId);
    }
    this.logger.warn({ engine: this.engineId, exit, error: result.error }, 'pocketsphinx decoder failed');
    throw new EngineError('failed', `the decoder exited with code ${exit}`, this.engineId);
  }

  dispose(): void {
    this.disposed = true;
    const starting = this.server;
    this.server = undefined;
    void starting?.then(retire, () => undefined);
  }

  /** The server, started if needed; rejects (unavailable) when it cannot start. */
  private async running(): Promise<Server> {
    if (this.disposed) throw new EngineError('unavailable', 'the engine was shut down', this.engineId);
    const starting = (this.server ??= this.start());
    try {
      const server = await starting;
      await server.ready;
      return server;
    } catch (error) {
      if (this.server === starting) this.server = undefined;
      throw error;
    }
  }

  /** A new server; forgotten when it exits, so the next request starts another. */
  private start(): Promise<Server> {
    const starting: Promise<Server> = this.spawnServer().then((server) => {
      // Attached before any I/O event can fire, so no exit is missed.
      void server.program.exited.then(() => {
        if (this.server === starting) this.server = undefined;
      });
      return server;
    });
    return starting;
  }

  private async spawnServer(): Promise<Server> {
    const folder = await mkdtemp(join(tmpdir(), 'speech-gateway-pocketsphinx-server-'));
    const argfile = join(folder, 'decoder.args');
    const flags: Record<string, string> = {
      hmm: this.options.hmm,
      lm: this.options.lm,
      dict: this.options.dict,
      logfn: '/dev/null',
      ...this.options.decoderOptions,
    };
    await writeFile(
      argfile,
      Object.entries(flags)
        .map(([flag, value]) => `-${flag} ${value}\n`)
        .join(''),
    );
    // Started like every program (no shell, own process group), but long-lived, speaking a
    // line protocol, so not through ProcessRunner.run(); see the ProcessRunner docs.
    const program = startProgram(this.options.python, [serverScript(), argfile], {
      stdin: 'pipe',
      maxStderrBytes: 2000,
    });
    const pending = new Map<number, PendingDecode>();
    let markReady: () => void = () => undefined;
    let failStart: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    ready.catch(() => undefined); // observed by running()
    const server: Server = { program, ready, folder, pending, retired: false };
    const startTimer = setTimeout(() => {
      failStart(new EngineError('unavailable', 'the warm decoder did not start in time', this.engineId));
      program.kill();
    }, START_TIMEOUT_MS);
    const onLine = (line: string): void => {
      let message: { ready?: boolean; fatal?: string; id?: number; pid?: number; exit?: number };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (typeof message !== 'object' || message === null) return;
      if (message.ready) {
        clearTimeout(startTimer);
        markReady();
      } else if (message.fatal !== undefined) {
        clearTimeout(startTimer);
        this.logger.warn(
          { engine: this.engineId, reason: message.fatal },
          'warm pocketsphinx decoder cannot start',
        );
        failStart(
          new EngineError(
            'unavailable',
            `the warm decoder cannot load pocketsphinx (${WARM_INSTALL_HINT})`,
            this.engineId,
          ),
        );
      } else if (message.id !== undefined) {
        const job = pending.get(message.id);
        if (!job) return;
        if (message.pid !== undefined) {
          job.pid = message.pid;
          if (job.abortRequested) killQuietly(message.pid);
        }
        if (message.exit !== undefined) job.settle(message.exit);
      }
    };
    createInterface({ input: program.stdout }).on('line', (line: string) => {
      try {
        onLine(line);
      } catch (error) {
        // A message this side cannot act on must not end the gateway.
        this.logger.warn(
          { engine: this.engineId, err: String(error) },
          'warm pocketsphinx: unusable message',
        );
      }
    });
    void program.exited.then(({ code, signal, spawnError }) => {
      clearTimeout(startTimer);
      if (spawnError) {
        const message = `${this.options.python} could not be started (${WARM_INSTALL_HINT})`;
        failStart(new EngineError('unavailable', message, this.engineId, { cause: spawnError }));
      }
      const reason = `the warm decoder stopped (${signal ?? `exit code ${code}`})`;
      failStart(new EngineError('unavailable', `${reason} (${WARM_INSTALL_HINT})`, this.engineId));
      if (!this.disposed && !spawnError && !server.retired)
        this.logger.warn({ engine: this.engineId, code, signal, stderr: program.stderr() }, reason);
      for (const job of pending.values()) job.settle(new Error(reason));
      void rm(folder, { recursive: true, force: true });
    });
    return server;
  }
}

/** Stops a server: its decoders are killed, then it is asked to exit, then killed if it has not. */
function retire(server: Server): void {
  server.retired = true;
  for (const pending of server.pending.values()) if (pending.pid !== undefined) killQuietly(pending.pid);
  // Closing stdin makes the server kill any decoder left and exit; if it does not,
  // its process group (the server and every decoder it forked) is killed.
  server.program.stdin?.end();
  setTimeout(() => server.program.kill(), 2000).unref();
}

/** The decoder's result file; a missing or unreadable one is an empty result (the exit code decides). */
async function readResult(path: string): Promise<ChildResult> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
