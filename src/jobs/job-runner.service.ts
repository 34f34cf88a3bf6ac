import { createReadStream } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type pg from 'pg';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { roundSeconds } from '../accounts/quota.repository.js';
import { QuotaService, type QuotaReservation } from '../accounts/quota.service.js';
import { contentTypeOf, type OutputFormat, STREAMABLE_FORMATS } from '../audio/audio-format.js';
import { AppError } from '../common/app-error.js';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { GatewayMetrics } from '../observability/metrics/gateway-metrics.js';
import { RequestContextStore } from '../common/request-context.js';
import { ConfigService } from '../config/config.service.js';
import { FileStorageService } from '../files/file-storage.service.js';
import type { StoredFile } from '../files/stored-file.js';
import { parseTranscribeOptions } from '../stt/dto/transcribe.dto.js';
import { SttService } from '../stt/stt.service.js';
import { TtsService, type TtsRequest } from '../tts/tts.service.js';
import type { JobQueue } from './job-queue.js';
import { isFinal, type JobFailure, type JobRecord, type JobResult } from './job-record.js';
import { JobsRepository } from './jobs.repository.js';
import { BullMqJobQueue } from './bullmq-job-queue.js';
import { jobQueueBackend } from './job-queue-backend.js';
import { PgBossJobQueue } from './pg-boss-job-queue.js';
import { RealtimePublisher } from '../realtime/realtime-publisher.service.js';
import { WebhookNotifier } from './webhooks/webhook-notifier.service.js';

const HEARTBEAT_MS = 500;
const SWEEP_MS = 2000;
/** A queued job not picked up for this long has its delivery sent again (harmless if doubled). */
const REDELIVER_AFTER_SECONDS = 30;
/** An STT job's progress while transcribing runs from here (decoding started)… */
const STT_PROGRESS_START = 0.1;
/** …to here (every segment transcribed); storing the transcript is the rest. */
const STT_PROGRESS_END = 0.95;

interface Progress {
  progress: number;
  stage: string;
  etaSeconds: number | null;
}

interface WorkOutcome {
  file: StoredFile;
  result: JobResult;
  chargedSeconds: number;
}

/** The stop reasons a running job can be aborted with. */
type StopReason = 'cancel' | 'shutdown';

/**
 * Runs jobs: takes deliveries from the queue, claims the job in the jobs table, runs the
 * same TTS/STT stages as a request (unmetered there: the job's own reservation pays), sends
 * heartbeats with progress every 500 ms (which also carries a cancel back within a second),
 * and settles the quota once: commit on success, release on failure or cancel. A sweep on
 * every server requeues jobs whose server stopped sending heartbeats and keeps unfinished
 * jobs' reservations from expiring.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnModuleDestroy {
  readonly node = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private queue?: JobQueue;
  private readonly running = new Map<string, { abort: AbortController; reason?: StopReason }>();
  private readonly runs = new Set<Promise<void>>();
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly config: ConfigService,
    private readonly dataSource: DataSource,
    private readonly jobs: JobsRepository,
    private readonly tts: TtsService,
    private readonly stt: SttService,
    private readonly quota: QuotaService,
    private readonly files: FileStorageService,
    private readonly webhooks: WebhookNotifier,
    private readonly realtime: RealtimePublisher,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Optional() private readonly metrics?: GatewayMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.metrics?.trackJobs(() => this.jobs.countActive());
    this.queue = await this.startQueue();
    const concurrency = this.config.current.routers.core.jobs.concurrency;
    if (concurrency > 0) {
      await this.queue.work(concurrency, (jobId) => this.track(this.run(jobId)));
    }
    this.scheduleSweep(0);
  }

  /** BullMQ when Redis is configured for jobs (routers.core.jobs.queue), else pg-boss; chosen at start. */
  private async startQueue(): Promise<JobQueue> {
    const backend = jobQueueBackend(this.config.current);
    this.logger.info({ queue: backend }, 'job queue');
    const redisUrl = this.config.current.rateLimits.redisUrl;
    if (backend === 'redis' && redisUrl) {
      return BullMqJobQueue.start({
        redisUrl,
        prefix: this.config.current.routers.core.jobs.redisKeyPrefix,
        logger: this.logger,
      });
    }
    const pool = (this.dataSource.driver as PostgresDriver).master as pg.Pool;
    const schema = this.config.current.database.schema;
    return PgBossJobQueue.start({
      sql: pool,
      schema: schema === 'public' ? 'pgboss' : `${schema}_pgboss`,
      logger: this.logger,
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.sweepTimer);
    await this.sweeping;
    // Jobs running here go back to the queue for another server (or this one's next start).
    for (const entry of this.running.values()) {
      entry.reason = 'shutdown';
      entry.abort.abort();
    }
    await Promise.allSettled([...this.runs]);
    await this.queue?.stop();
  }

  async enqueue(jobId: string): Promise<void> {
    if (!this.queue) throw new Error('job queue not started');
    await this.queue.enqueue(jobId);
  }

  /** Stops a job running on this server at once (others see the flag at their next heartbeat). */
  cancelLocally(jobId: string): void {
    const entry = this.running.get(jobId);
    if (!entry) return;
    entry.reason = 'cancel';
    entry.abort.abort();
  }

  /**
   * Tells whoever listens that a job changed: its progress while it runs (each heartbeat), how
   * it ended (webhook and realtime). Never throws, never waits.
   */
  announce(job: JobRecord): void {
    if (isFinal(job.status)) this.webhooks.jobFinished(job);
    this.realtime.jobChanged(job);
  }

  private track(run: Promise<void>): Promise<void> {
    this.runs.add(run);
    return run.finally(() => this.runs.delete(run));
  }

  private async run(jobId: string): Promise<void> {
    if (this.stopping) return;
    const settings = this.config.current.routers.core.jobs;
    const job = await this.jobs.claim(jobId, this.node, settings.staleAfterSeconds);
    if (!job) return; // finished, cancelled, or running elsewhere: a duplicate delivery
    if (job.attempts === 1 && job.startedAt) {
      this.metrics?.jobStarted((job.startedAt.getTime() - job.createdAt.getTime()) / 1000);
    }
    this.logger.info({ jobId, type: job.type, attempt: job.attempts, node: this.node }, 'job started');
    const entry: { abort: AbortController; reason?: StopReason } = { abort: new AbortController() };
    this.running.set(jobId, entry);
    const progress: Progress = { progress: 0, stage: 'starting', etaSeconds: null };
    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating) return;
      beating = true;
      this.jobs
        .heartbeat(jobId, this.node, progress)
        .then(({ stop }) => {
          if (stop && !entry.abort.signal.aborted) {
            entry.reason = 'cancel';
            entry.abort.abort();
          } else if (!stop) {
            this.announce({ ...job, status: 'running', ...progress });
          }
        })
        .catch((error: unknown) => this.logger.warn({ err: error, jobId }, 'job heartbeat failed'))
        .finally(() => {
          beating = false;
        });
    }, HEARTBEAT_MS);
    try {
      const outcome = await RequestContextStore.run(
        { requestId: `job:${jobId}`, startedAt: process.hrtime.bigint(), endpoint: `/jobs (${job.type})` },
        () =>
          job.type === 'tts'
            ? this.runTts(job, entry.abort.signal, progress)
            : this.runStt(job, entry.abort.signal, progress),
      );
      clearInterval(heartbeat);
      const finished = await this.jobs.finish(jobId, this.node, {
        status: 'completed',
        result: outcome.result,
        chargedSeconds: outcome.chargedSeconds,
      });
      if (!finished) {
        // Cancelled (or taken over) as it completed: the result is not delivered, nor charged.
        // The job is another server's now (it was taken over), which settles it.
        await this.files
          .delete(outcome.file.id, { userId: job.userId, seesAll: true })
          .catch(() => undefined);
        return;
      }
      await this.settle(finished, outcome.chargedSeconds);
      this.logger.info({ jobId, seconds: outcome.chargedSeconds }, 'job completed');
      this.announce(finished);
    } catch (error) {
      clearInterval(heartbeat);
      await this.fail(job, entry.reason, error);
    } finally {
      clearInterval(heartbeat);
      this.running.delete(jobId);
    }
  }

  private async fail(job: JobRecord, reason: StopReason | undefined, error: unknown): Promise<void> {
    if (reason === 'shutdown') {
      // Back to the queue: the attempt does not count against it, its reservation stays.
      await this.dataSource.query(
        `UPDATE jobs SET status = 'queued', locked_by = NULL, stage = 'requeued', attempts = attempts - 1,
                updated_at = now() WHERE id = $1::uuid AND locked_by = $2 AND status = 'running'`,
        [job.id, this.node],
      );
      await this.queue?.enqueue(job.id).catch(() => undefined);
      return;
    }
    const failure: JobFailure =
      reason === 'cancel'
        ? { error_code: 'JOB_CANCELLED', message: 'The job was cancelled.' }
        : error instanceof AppError
          ? { error_code: error.code, message: error.message }
          : { error_code: 'INTERNAL_ERROR', message: 'The job failed; quote its id when reporting it.' };
    if (failure.error_code === 'INTERNAL_ERROR')
      this.logger.error({ err: error, jobId: job.id }, 'job failed');
    const finished = await this.jobs.finish(job.id, this.node, {
      status: reason === 'cancel' ? 'cancelled' : 'failed',
      error: failure,
    });
    if (finished) {
      await this.release(finished, failure.error_code);
      this.announce(finished);
    }
  }

  private reservationOf(job: JobRecord): QuotaReservation | undefined {
    if (job.reservationId === null) return undefined;
    return { id: job.reservationId, userId: job.userId, seconds: job.reservedSeconds, remainingSeconds: 0 };
  }

  private usageLog(job: JobRecord) {
    return {
      keyId: job.keyId,
      endpoint: `/jobs (${job.type})`,
      voice: typeof job.input['voice'] === 'string' ? job.input['voice'] : undefined,
      textLength: typeof job.input['text'] === 'string' ? job.input['text'].length : undefined,
      latencyMs: Date.now() - job.createdAt.getTime(),
      requestId: `job:${job.id}`,
    };
  }

  /** Charges the result; the reservation row is deleted by the same statement, so only once. */
  private async settle(job: JobRecord, seconds: number): Promise<void> {
    const reservation = this.reservationOf(job);
    if (!reservation) return;
    await this.quota.commit(reservation, Math.min(seconds, job.reservedSeconds), this.usageLog(job));
  }

  async release(job: JobRecord, errorCode: string): Promise<void> {
    const reservation = this.reservationOf(job);
    if (!reservation) return;
    try {
      await this.quota.release(reservation, this.usageLog(job), errorCode);
    } catch (error) {
      // The row stays and expires once no server renews it: the sweeper gives the seconds back.
      this.logger.warn({ err: error, jobId: job.id }, 'job reservation not released');
    }
  }

  private async runTts(job: JobRecord, signal: AbortSignal, progress: Progress): Promise<WorkOutcome> {
    const settings = this.config.current;
    const input = job.input as unknown as TtsRequest;
    const format: OutputFormat = input.format;
    const started = Date.now();
    let audioSeconds = 0;
    progress.stage = 'synthesizing';
    const request: TtsRequest = {
      ...input,
      job: {
        maxTextLength: settings.routers.core.jobs.maxTextLength,
        // The job may not produce more than it reserved (nor more than the jobs' ceiling).
        maxAudioSeconds:
          job.reservationId === null
            ? settings.routers.core.jobs.maxAudioSeconds
            : Math.min(job.reservedSeconds, settings.routers.core.jobs.maxAudioSeconds),
        onProgress: (done, total, seconds) => {
          audioSeconds = seconds;
          progress.progress = Math.min(0.99, 0.02 + (0.95 * done) / total);
          const elapsed = (Date.now() - started) / 1000;
          progress.etaSeconds = Math.ceil((elapsed / done) * (total - done));
        },
      },
    };
    const writer = await this.files.createOutput({
      ownerId: job.userId,
      name: `job-${job.id}.${format}`,
      contentType: contentTypeOf(format),
      metadata: { job_id: job.id },
    });
    try {
      let durationSeconds: number;
      let engine: string;
      if (STREAMABLE_FORMATS.includes(format)) {
        // Audio goes to the file as chunks finish: memory stays bounded however long the text.
        const stream = await this.tts.synthesizeStream(request, signal);
        engine = stream.engine;
        for await (const bytes of stream.body) await writer.append(bytes);
        durationSeconds = audioSeconds;
      } else {
        // Formats that need the whole audio first (aac, flac): long text is encoded into a
        // temporary file chunk by chunk and copied from there, short text in one piece.
        const result = await this.tts.synthesizeForDelivery(request, signal);
        engine = result.engine;
        if ('file' in result) {
          try {
            for await (const bytes of createReadStream(result.file.path))
              await writer.append(bytes as Buffer);
          } finally {
            await result.file.release();
          }
        } else {
          await writer.append(result.audio);
        }
        durationSeconds = result.durationSeconds;
      }
      if (signal.aborted) throw new AppError('REQUEST_CANCELLED', 'The job was cancelled.');
      progress.stage = 'storing';
      const file = await writer.commit({ duration_seconds: durationSeconds, engine });
      const seconds = roundSeconds(durationSeconds);
      return {
        file,
        chargedSeconds: seconds,
        result: {
          file_id: file.id,
          url: `/files/outputs/${file.id}`,
          format,
          content_type: file.contentType,
          bytes: file.sizeBytes,
          duration_seconds: seconds,
          engine,
        },
      };
    } catch (error) {
      await writer.discard().catch(() => undefined);
      throw error;
    }
  }

  private async runStt(job: JobRecord, signal: AbortSignal, progress: Progress): Promise<WorkOutcome> {
    const settings = this.config.current.routers.core.jobs;
    const fileId = String(job.input['file_id']);
    const opened = await this.files.open(fileId, { userId: job.userId, seesAll: false });
    const options = parseTranscribeOptions((job.input['options'] ?? {}) as Record<string, unknown>);
    // Long audio is transcribed segment by segment: progress is the share of the audio
    // transcribed, within [STT_PROGRESS_START, STT_PROGRESS_END]; storing comes after.
    progress.stage = 'transcribing';
    progress.progress = STT_PROGRESS_START;
    const maxAudioSeconds =
      job.reservationId === null
        ? settings.maxAudioSeconds
        : Math.min(job.reservedSeconds, settings.maxAudioSeconds);
    const started = Date.now();
    const outcome = await this.stt.transcribeStoredAudioInSegments(
      { path: opened.localPath, bytes: opened.file.sizeBytes },
      options,
      signal,
      {
        segmentSeconds: settings.sttSegmentSeconds,
        onProgress: (doneSeconds, totalSeconds) => {
          const done = totalSeconds > 0 ? Math.min(1, doneSeconds / totalSeconds) : 1;
          progress.progress = STT_PROGRESS_START + (STT_PROGRESS_END - STT_PROGRESS_START) * done;
          // The pace so far (wall seconds per audio second) times the audio left.
          const elapsed = (Date.now() - started) / 1000;
          progress.etaSeconds =
            doneSeconds > 0 ? Math.ceil((elapsed / doneSeconds) * (totalSeconds - doneSeconds)) : null;
        },
      },
      {
        maxAudioSeconds,
        limitKey: 'routers.core.jobs.max_audio_seconds (or the job\u2019s reservation)',
        replacesRouteLimit: true,
      },
    );
    if (signal.aborted) throw new AppError('REQUEST_CANCELLED', 'The job was cancelled.');
    progress.stage = 'storing';
    progress.progress = STT_PROGRESS_END;
    progress.etaSeconds = null;
    const transcript = outcome.transcript;
    const body = Buffer.from(
      JSON.stringify({
        text: transcript.text,
        language: transcript.language,
        duration_seconds: transcript.durationSeconds,
        segments: transcript.segments,
        ...(transcript.words ? { words: transcript.words } : {}),
        engine: outcome.engine,
      }),
    );
    const file = await this.files.store({
      ownerId: job.userId,
      folder: 'outputs',
      name: `job-${job.id}.json`,
      contentType: 'application/json',
      source: body,
      metadata: { job_id: job.id, source_file_id: fileId },
    });
    const seconds = roundSeconds(transcript.durationSeconds);
    return {
      file,
      chargedSeconds: seconds,
      result: {
        file_id: file.id,
        url: `/files/outputs/${file.id}`,
        format: 'json',
        content_type: 'application/json',
        bytes: file.sizeBytes,
        duration_seconds: seconds,
        text: transcript.text,
        engine: outcome.engine,
      },
    };
  }

  private scheduleSweep(delayMs = SWEEP_MS): void {
    if (this.stopping) return;
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.sweep().finally(() => {
        this.sweeping = undefined;
        this.scheduleSweep();
      });
    }, delayMs);
    this.sweepTimer.unref();
  }

  /** Takes over jobs of servers that died, redelivers lost deliveries, renews reservations. Never throws. */
  private async sweep(): Promise<void> {
    const settings = this.config.current;
    const jobs = settings.routers.core.jobs;
    try {
      await this.jobs.renewReservations(settings.auth.reservationTtlSeconds);
      const { requeued, abandoned } = await this.jobs.recoverStale(jobs.staleAfterSeconds, jobs.maxAttempts);
      for (const job of requeued) {
        this.logger.warn({ jobId: job.id, attempts: job.attempts }, 'job taken over: its server stopped');
        await this.queue?.enqueue(job.id);
      }
      for (const job of abandoned) {
        this.logger.warn(
          { jobId: job.id, attempts: job.attempts },
          'job abandoned after its servers stopped',
        );
        await this.release(job, job.error?.error_code ?? 'JOB_ABANDONED');
        this.announce(job);
      }
      for (const id of await this.jobs.touchWaiting(REDELIVER_AFTER_SECONDS)) await this.queue?.enqueue(id);
    } catch (error) {
      this.logger.warn({ err: error }, 'job sweep failed; will retry');
    }
  }
}
