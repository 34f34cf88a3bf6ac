import { open as openFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { hasScope } from '../accounts/auth/api-key.guard.js';
import { roundSeconds } from '../accounts/quota.repository.js';
import { QuotaService } from '../accounts/quota.service.js';
import { sniffAudioFile } from '../audio/audio-sniffer.js';
import { AppError } from '../common/app-error.js';
import { BOOT_OPTIONS } from '../common/injection-tokens.js';
import { type Account, RequestContextStore } from '../common/request-context.js';
import { createValidationPipe } from '../common/validation.pipe.js';
import { ConfigService } from '../config/config.service.js';
import { FileStorageService } from '../files/file-storage.service.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { parseTranscribeOptions } from '../stt/dto/transcribe.dto.js';
import { receiveUpload } from '../stt/upload-receiver.js';
import { SynthesizeDto } from '../tts/dto/synthesize.dto.js';
import { synthesisRequestOf } from '../tts/dto/synthesis-request.js';
import { TtsService } from '../tts/tts.service.js';
import { SubmitJobDto } from './dto/submit-job.dto.js';
import { JobRunner } from './job-runner.service.js';
import type { JobRecord, JobStatus, JobType } from './job-record.js';
import { JobsRepository } from './jobs.repository.js';
import { checkDestination } from './webhooks/webhook-destination.js';
import { WebhooksRepository } from './webhooks/webhooks.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Compressed audio is at least 8 kbit/s: the most seconds a file of N bytes can hold. */
const MIN_BYTES_PER_SECOND = 1000;

function notFound(id: string): AppError {
  return new AppError('NOT_FOUND', `No job ${id.slice(0, 64)}.`);
}

function callerAccount(): Account {
  const account = RequestContextStore.current()?.account;
  if (!account) throw new AppError('INVALID_API_KEY', 'An API key is needed.');
  return account;
}

/** What a job asks for, validated, with the seconds to reserve for it. */
interface Prepared {
  type: JobType;
  input: Record<string, unknown>;
  reserve: { seconds: number; minimum: number };
  voice?: string;
  textLength?: number;
}

/**
 * Submits, lists and cancels jobs. A submission is checked like the request it stands for
 * (400s at once), its upper bound reserved from the quota (429 QUOTA_EXCEEDED at once when
 * it cannot be paid), stored as a jobs row and handed to the queue.
 */
@Injectable()
export class JobsService {
  constructor(
    private readonly config: ConfigService,
    private readonly jobs: JobsRepository,
    private readonly runner: JobRunner,
    private readonly quota: QuotaService,
    private readonly tts: TtsService,
    private readonly files: FileStorageService,
    private readonly webhooks: WebhooksRepository,
    @Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo,
  ) {}

  /** POST /jobs: JSON, or multipart with an audio `file` (an STT job) and its options as fields. */
  async submit(req: Request, signal: AbortSignal): Promise<{ job: JobRecord; created: boolean }> {
    const account = callerAccount();
    if (/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      return this.submitUpload(req, account, signal);
    }
    const body = (await createValidationPipe().transform(req.body ?? {}, {
      type: 'body',
      metatype: SubmitJobDto,
    })) as SubmitJobDto;
    return this.create(account, body, () => this.prepare(account, body.type, body.input));
  }

  private async submitUpload(req: Request, account: Account, signal: AbortSignal) {
    this.requireScope(account, 'stt');
    const upload = await receiveUpload(
      req,
      {
        maxBytes: Math.floor(this.config.current.routers.core.stt.maxFileSizeMb * 1024 * 1024),
        tempDir: this.runtime.tempDir,
        fileField: 'file',
      },
      signal,
    );
    try {
      const fields: Record<string, unknown> = { ...upload.fields };
      const single = (name: string): string | undefined => {
        const value = fields[name];
        delete fields[name];
        return typeof value === 'string' ? value : undefined;
      };
      const type = single('type') ?? 'stt';
      const callbackUrl = single('callback_url');
      const idempotencyKey = single('idempotency_key');
      const body = (await createValidationPipe().transform(
        {
          type,
          input: {},
          ...(callbackUrl !== undefined ? { callback_url: callbackUrl } : {}),
          ...(idempotencyKey !== undefined ? { idempotency_key: idempotencyKey } : {}),
        },
        { type: 'body', metatype: SubmitJobDto },
      )) as SubmitJobDto;
      if (body.type !== 'stt') {
        throw new AppError(
          'VALIDATION_FAILED',
          'A multipart job is an STT job (type: stt) with a "file" part.',
        );
      }
      if (upload.bytes === 0) throw new AppError('INVALID_AUDIO', 'The audio file is empty.');
      const options = parseTranscribeOptions(fields);
      return await this.create(account, body, async () => {
        const stored = await this.files.store({
          ownerId: account.userId,
          folder: 'outputs',
          name: 'job-input',
          contentType: 'application/octet-stream',
          source: { path: upload.path, move: true },
          metadata: { job_input: true },
        });
        return this.prepareStt(account, { file_id: stored.id, ...options });
      });
    } finally {
      await upload.discard();
    }
  }

  private requireScope(account: Account, scope: 'tts' | 'stt'): void {
    if (!hasScope(account, scope)) {
      throw new AppError(
        'INSUFFICIENT_SCOPE',
        `This key lacks the '${scope}' scope (a ${scope} job needs it).`,
        {
          required_scope: scope,
        },
      );
    }
  }

  private async create(
    account: Account,
    body: SubmitJobDto,
    prepare: () => Promise<Prepared>,
  ): Promise<{ job: JobRecord; created: boolean }> {
    this.requireScope(account, body.type);
    const key = body.idempotency_key ?? null;
    if (key !== null) {
      const existing = await this.jobs.byIdempotencyKey(account.userId, key);
      if (existing) return { job: existing, created: false };
    }
    if (body.callback_url !== undefined) {
      await checkDestination(body.callback_url, this.config.current.routers.core.jobs.webhooks.allowedHosts);
      if (!(await this.webhooks.secretOf(account.userId))) {
        throw new AppError(
          'VALIDATION_FAILED',
          'callback_url needs a webhook signing secret first: POST /jobs/webhook-secret.',
          { fields: [{ field: 'callback_url', errors: ['no webhook secret for this user'] }] },
        );
      }
    }
    const prepared = await prepare();
    const id = randomUUID();
    const context = RequestContextStore.current();
    let reservation: { id: string; seconds: number } | undefined;
    if (this.config.current.auth.metering) {
      const taken = await this.quota.reserve(
        account.userId,
        prepared.reserve.seconds,
        {
          keyId: account.keyId,
          endpoint: '/jobs',
          voice: prepared.voice,
          textLength: prepared.textLength,
          latencyMs: 0,
          requestId: `job:${id}`,
        },
        prepared.reserve.minimum,
      );
      reservation = { id: taken.id, seconds: taken.seconds };
      if (context) context.quotaRemainingSeconds = taken.remainingSeconds;
    }
    let outcome: { job: JobRecord; created: boolean };
    try {
      outcome = await this.jobs.insert({
        id,
        userId: account.userId,
        keyId: account.keyId,
        type: prepared.type,
        input: prepared.input,
        idempotencyKey: key,
        callbackUrl: body.callback_url ?? null,
        reservationId: reservation?.id ?? null,
        reservedSeconds: reservation?.seconds ?? prepared.reserve.seconds,
      });
    } catch (error) {
      if (reservation) await this.releaseUnused(account, reservation, id, 'INTERNAL_ERROR');
      throw error;
    }
    if (!outcome.created) {
      // The same key won a race: that job stands, this reservation goes back.
      if (reservation) await this.releaseUnused(account, reservation, id, 'CONFLICT');
      return outcome;
    }
    await this.runner.enqueue(id);
    return outcome;
  }

  private async releaseUnused(
    account: Account,
    reservation: { id: string; seconds: number },
    id: string,
    code: string,
  ) {
    await this.quota.release(
      { id: reservation.id, userId: account.userId, seconds: reservation.seconds, remainingSeconds: 0 },
      { keyId: account.keyId, endpoint: '/jobs', latencyMs: 0, requestId: `job:${id}` },
      code,
    );
  }

  private async prepare(account: Account, type: JobType, input: Record<string, unknown>): Promise<Prepared> {
    this.requireScope(account, type);
    return type === 'tts' ? this.prepareTts(input) : this.prepareStt(account, input);
  }

  private async prepareTts(input: Record<string, unknown>): Promise<Prepared> {
    const body = (await createValidationPipe().transform(input, {
      type: 'body',
      metatype: SynthesizeDto,
    })) as SynthesizeDto;
    if (body.stream)
      throw new AppError('VALIDATION_FAILED', 'A job stores its audio; `stream` does not apply.');
    const settings = this.config.current;
    const request = synthesisRequestOf(body, settings.gen.defaultResponseFormat);
    const jobs = settings.routers.core.jobs;
    const estimate = await this.tts.estimate({
      ...request,
      job: { maxTextLength: jobs.maxTextLength, maxAudioSeconds: jobs.maxAudioSeconds },
    });
    const wanted = roundSeconds(Math.min(estimate.upperBoundSeconds, jobs.maxAudioSeconds));
    return {
      type: 'tts',
      // Stored without undefined fields: the row's input is what the worker runs.
      input: JSON.parse(JSON.stringify(request)) as Record<string, unknown>,
      reserve: { seconds: wanted, minimum: Math.min(estimate.ordinarySeconds, wanted) },
      voice: request.voice,
      textLength: request.text.length,
    };
  }

  private async prepareStt(account: Account, input: Record<string, unknown>): Promise<Prepared> {
    const { file_id: fileId, ...rest } = input;
    if (typeof fileId !== 'string' || fileId.length === 0) {
      throw new AppError('VALIDATION_FAILED', 'An STT job needs input.file_id (or a multipart "file").', {
        fields: [{ field: 'input.file_id', errors: ['file_id must be a stored file id'] }],
      });
    }
    const options = parseTranscribeOptions(rest);
    const opened = await this.files.open(fileId, { userId: account.userId, seesAll: false });
    const bound = await audioSecondsBound(opened.localPath, opened.file.sizeBytes);
    const max = this.config.current.routers.core.jobs.maxAudioSeconds;
    const seconds = roundSeconds(Math.min(bound, max));
    return {
      type: 'stt',
      input: {
        file_id: opened.file.id,
        options: JSON.parse(JSON.stringify(options)) as Record<string, unknown>,
      },
      reserve: { seconds, minimum: Math.min(seconds, 1) },
    };
  }

  async get(id: string): Promise<JobRecord> {
    const account = callerAccount();
    if (!UUID.test(id)) throw notFound(id);
    const job = await this.jobs.byId(id.toLowerCase());
    if (!job || (job.userId !== account.userId && !account.isAdmin)) throw notFound(id);
    return job;
  }

  async list(filter: { status?: JobStatus; type?: JobType }, page: { limit: number; offset: number }) {
    return this.jobs.list(callerAccount().userId, filter, page);
  }

  /** Cancels a queued job at once, or stops a running one within a heartbeat (≤ 1 s). */
  async cancel(id: string): Promise<JobRecord> {
    const job = await this.get(id);
    const { job: changed, cancelledQueued } = await this.jobs.requestCancel(job.id, job.userId);
    if (cancelledQueued && changed) {
      await this.runner.release(changed, 'JOB_CANCELLED');
      this.runner.announce(changed);
      return changed;
    }
    if (changed) this.runner.cancelLocally(changed.id);
    return changed ?? job;
  }
}

/** Seconds an audio file can hold at most: exact for PCM WAV, else by the lowest bitrate. */
async function audioSecondsBound(path: string, bytes: number): Promise<number> {
  if ((await sniffAudioFile(path)) === 'wav') {
    const handle = await openFile(path, 'r');
    try {
      const header = Buffer.alloc(44);
      await handle.read(header, 0, 44, 0);
      const byteRate = header.readUInt32LE(28);
      if (byteRate >= 1000) return Math.ceil(bytes / byteRate) + 1;
    } finally {
      await handle.close();
    }
  }
  return Math.ceil(bytes / MIN_BYTES_PER_SECOND) + 1;
}
