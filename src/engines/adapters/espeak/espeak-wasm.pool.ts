import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { EspeakVoiceInfo } from './espeak-voice-catalog.js';
import type { FromWorker, ToWorker, WasmSynthesisJob, WasmWorkerData } from './espeak-wasm.protocol.js';

export interface WasmSynthesisResult {
  samples: Int16Array;
  marks: Map<string, number>;
  wordStartsMs: number[];
}

export interface WasmPoolInfo {
  sampleRate: number;
  voices: EspeakVoiceInfo[];
}

/** Why a pool call failed, for the engine to turn into an EngineError of the right kind. */
export class WasmPoolError extends Error {
  constructor(
    readonly reason: 'aborted' | 'crashed' | 'failed' | 'voice_not_found' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'WasmPoolError';
  }
}

export interface WasmPoolOptions {
  /** Most workers; one starts with the pool, the others when requests queue (see pump). */
  size: number;
  /** A worker beyond the first idle this long is stopped; 0 or absent: never. */
  idleMs?: number;
  logger: Logger;
  /** Tests swap the worker; production loads the compiled espeak-wasm.worker.js next to this file. */
  createWorker?: (data: WasmWorkerData) => Worker;
}

interface Job {
  seq: number;
  job: WasmSynthesisJob;
  /** Warm-up jobs have no caller and yield to every real request. */
  settle?: { resolve: (result: WasmSynthesisResult) => void; reject: (error: WasmPoolError) => void };
  warmup?: true;
  detach(): void;
}

interface Slot {
  worker: Worker;
  abortFlag: Int32Array;
  ready: boolean;
  /** Warm-up syntheses this worker has run; each instance warms its own JIT. */
  warmed: number;
  /** The job running on this worker; it stays busy until the worker answers, even when the caller gave up. */
  running?: Job;
  /** Stops this worker once it has been idle for options.idleMs. */
  idleTimer?: NodeJS.Timeout;
}

function defaultWorker(data: WasmWorkerData): Worker {
  return new Worker(new URL('./espeak-wasm.worker.js', import.meta.url), { workerData: data });
}

/**
 * A warm pool of espeak WASM workers: FIFO queue, one synthesis per worker at a time,
 * sample buffers transferred rather than copied. It grows on demand: one worker starts
 * with the pool, another whenever a request waits and no worker is free or starting, up to
 * `size`; workers beyond the first stop again after `idleMs` without work, so an idle
 * gateway holds one espeak instance whatever the number of cores. Aborting a queued request removes it at
 * once; aborting a running one raises the worker's shared flag, which its audio callback
 * reads to stop espeak. A worker that dies is replaced and its request fails.
 */
export class EspeakWasmPool {
  /** Resolves with the first worker that loads the module; rejects when none can. */
  readonly ready: Promise<WasmPoolInfo>;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private warmup?: { count: number; jobAt: (index: number) => WasmSynthesisJob };
  private seq = 0;
  private closed = false;
  private startFailure?: string;
  private brokenReason?: string;
  private resolveReady!: (info: WasmPoolInfo) => void;
  private rejectReady!: (error: Error) => void;
  private resolveWarm!: () => void;
  /** Resolves once one worker has run all its warm-up syntheses (at once without warm-up). */
  readonly warm: Promise<void>;

  constructor(private readonly options: WasmPoolOptions) {
    this.ready = new Promise<WasmPoolInfo>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Callers observe the failure through ready; this keeps Node from reporting it as unhandled.
    this.ready.catch(() => undefined);
    this.warm = new Promise<void>((resolve) => (this.resolveWarm = resolve));
    this.spawn();
  }

  /** Workers running or starting now. */
  get workers(): number {
    return this.slots.size;
  }

  /**
   * Each worker (replacements too) runs `count` warm-up syntheses, one at a time and only
   * while no request waits, so a request is delayed by at most one warm-up synthesis.
   */
  warmUp(count: number, jobAt: (index: number) => WasmSynthesisJob): void {
    this.warmup = { count, jobAt };
    if (count === 0) this.resolveWarm();
    this.pump();
  }

  /** Why the pool cannot serve any more (no worker could load the module), if so. */
  get failure(): string | undefined {
    return this.brokenReason;
  }

  synthesize(job: WasmSynthesisJob, signal?: AbortSignal): Promise<WasmSynthesisResult> {
    if (this.closed) return Promise.reject(new WasmPoolError('closed', 'the espeak pool is closed'));
    if (signal?.aborted) return Promise.reject(new WasmPoolError('aborted', 'aborted'));
    return new Promise<WasmSynthesisResult>((resolve, reject) => {
      const entry: Job = {
        seq: ++this.seq,
        job,
        settle: { resolve, reject },
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      const onAbort = () => this.abort(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
      this.pump();
    });
  }

  /** Terminates every worker; waiting and running requests fail with reason 'closed'. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.warmup = undefined;
    const closedError = new WasmPoolError('closed', 'the espeak engine was disposed');
    for (const job of this.queue.splice(0)) this.fail(job, closedError);
    this.rejectReady(closedError);
    const slots = [...this.slots];
    this.slots.clear();
    for (const slot of slots) {
      clearTimeout(slot.idleTimer);
      if (slot.running) this.fail(slot.running, closedError);
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): void {
    const abortFlag = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const worker = (this.options.createWorker ?? defaultWorker)({ abortFlag });
    const slot: Slot = { worker, abortFlag: new Int32Array(abortFlag), ready: false, warmed: 0 };
    this.slots.add(slot);
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    // 'error' (an uncaught exception) is always followed by 'exit'; the cleanup happens there.
    worker.on('error', (error) => this.options.logger.error({ err: error }, 'espeak worker error'));
    worker.on('exit', (code) => this.onExit(slot, code));
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        this.resolveReady({ sampleRate: message.sampleRate, voices: message.voices });
        this.pump();
        return;
      case 'startup-failed':
        this.startFailure = message.message;
        return;
      case 'done':
      case 'failed': {
        const job = slot.running;
        if (!job || job.seq !== message.seq) return;
        slot.running = undefined;
        if (job.warmup && this.warmup && slot.warmed >= this.warmup.count) this.resolveWarm();
        if (message.type === 'done' && !message.aborted) {
          job.detach();
          job.settle?.resolve({
            samples: message.samples,
            marks: new Map(message.marks),
            wordStartsMs: message.wordStartsMs,
          });
        } else if (message.type === 'failed') {
          this.fail(
            job,
            new WasmPoolError(message.voiceNotFound ? 'voice_not_found' : 'failed', message.message),
          );
        }
        // An aborted job was already rejected when its signal fired.
        this.pump();
        return;
      }
    }
  }

  private onExit(slot: Slot, code: number): void {
    clearTimeout(slot.idleTimer);
    if (!this.slots.delete(slot)) return; // close() or retire() already took it
    if (slot.running) {
      this.fail(slot.running, new WasmPoolError('crashed', `the espeak worker stopped (exit code ${code})`));
    }
    if (slot.ready) {
      this.options.logger.warn({ exitCode: code }, 'espeak worker exited; starting a replacement');
      this.spawn();
      return;
    }
    if (this.slots.size > 0) return; // another worker may still load
    // Not one worker loads the module: replacing them would only fail again.
    const reason = this.startFailure ?? `the espeak worker stopped while starting (exit code ${code})`;
    this.brokenReason = reason;
    this.closed = true;
    this.rejectReady(new Error(reason));
    for (const job of this.queue.splice(0)) this.fail(job, new WasmPoolError('closed', reason));
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    else for (const slot of this.slots) if (slot.running === job) Atomics.store(slot.abortFlag, 0, job.seq);
    // The caller learns at once; a running worker stays busy until espeak has stopped.
    this.fail(job, new WasmPoolError('aborted', 'aborted'));
  }

  private fail(job: Job, error: WasmPoolError): void {
    job.detach();
    const settle = job.settle;
    job.settle = undefined;
    settle?.reject(error);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.running) continue;
      const next = this.queue.shift() ?? this.nextWarmup(slot);
      if (!next) {
        this.retireWhenIdle(slot);
        continue;
      }
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
      slot.running = next;
      const message: ToWorker = { type: 'synthesize', seq: next.seq, job: next.job };
      slot.worker.postMessage(message);
    }
    this.grow();
  }

  /** Starts a worker for each request that waits with no worker starting for it, up to size. */
  private grow(): void {
    // Only once one worker has loaded the module: a pool that cannot start must not multiply.
    if (this.closed || this.brokenReason || ![...this.slots].some((slot) => slot.ready)) return;
    let starting = 0;
    for (const slot of this.slots) if (!slot.ready) starting++;
    let waiting = this.queue.length - starting;
    while (waiting > 0 && this.slots.size < this.options.size) {
      this.spawn();
      waiting--;
    }
  }

  /** Stops an idle worker beyond the first after idleMs, unless it found work meanwhile. */
  private retireWhenIdle(slot: Slot): void {
    const idleMs = this.options.idleMs ?? 0;
    if (idleMs <= 0 || slot.idleTimer) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.running || this.closed || this.slots.size <= 1 || !this.slots.has(slot)) return;
      this.slots.delete(slot);
      void slot.worker.terminate();
    }, idleMs);
    slot.idleTimer.unref();
  }

  private nextWarmup(slot: Slot): Job | undefined {
    if (!this.warmup || slot.warmed >= this.warmup.count) return undefined;
    const job = this.warmup.jobAt(slot.warmed++);
    return { seq: ++this.seq, job, warmup: true, detach: () => undefined };
  }
}
