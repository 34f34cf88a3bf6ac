import { Controller, Get, HttpCode, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppError } from '../common/app-error.js';
import { Enveloped } from '../common/envelope.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { FileStorageService } from '../files/file-storage.service.js';
import { abortWhenClientLeaves } from '../tts/client-abort.js';
import { ServerSentEvents } from '../conversation/server-sent-events.js';
import { ListJobsQueryDto } from './dto/submit-job.dto.js';
import { isFinal, jobView, type JobView } from './job-record.js';
import { JobsService } from './jobs.service.js';
import { newWebhookSecret } from './webhooks/webhook-signature.js';
import { type WebhookDelivery, WebhooksRepository } from './webhooks/webhooks.repository.js';
import { RequestContextStore } from '../common/request-context.js';

const EVENTS_POLL_MS = 500;

/**
 * Background jobs. Submitting needs the scope of the work (tts or stt); reading needs any
 * key, and answers the caller's own jobs only (another user's job is 404).
 */
@ApiTags('jobs')
@RouterGate('core.jobs')
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly files: FileStorageService,
    private readonly webhooks: WebhooksRepository,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiOperation({
    summary:
      'Submit a job: {type: "tts", input: {…/tts body}} or {type: "stt", input: {file_id, …/stt options}} (or multipart with `file`); 202 with its id',
  })
  async submit(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const { job, created } = await this.jobs.submit(req, abortWhenClientLeaves(req, res));
    const view = jobView(job);
    res.setHeader('Location', view.links.self);
    return new Enveloped(
      { job_id: view.job_id, status: view.status, created, links: view.links },
      created ? 'Job queued.' : 'A job with this idempotency_key exists: that job.',
    );
  }

  @Get()
  @ApiOperation({ summary: 'Your jobs, newest first (filter by status, type; limit/offset)' })
  async list(@Query() query: ListJobsQueryDto) {
    const limit = query.limit ?? 20;
    const offset = query.offset ?? 0;
    const { jobs, total } = await this.jobs.list(
      { status: query.status, type: query.type },
      { limit, offset },
    );
    return { jobs: jobs.map(jobView), total, limit, offset };
  }

  @Post('webhook-secret')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create or rotate your webhook signing secret (shown once)' })
  async rotateSecret() {
    const account = RequestContextStore.current()?.account;
    if (!account) throw new AppError('INVALID_API_KEY', 'An API key is needed.');
    const secret = newWebhookSecret();
    await this.webhooks.setSecret(account.userId, secret);
    return new Enveloped({ secret }, 'Webhook secret created; it is shown only this once.');
  }

  @Get(':id')
  @ApiOperation({ summary: 'A job: status, progress, stage, eta, result or error' })
  async get(@Param('id') id: string): Promise<JobView> {
    return jobView(await this.jobs.get(id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a job (a running one stops within 2 s); unused quota goes back' })
  async cancel(@Param('id') id: string): Promise<JobView> {
    return jobView(await this.jobs.cancel(id));
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Webhook delivery attempts for the job' })
  async deliveries(@Param('id') id: string): Promise<{ deliveries: WebhookDelivery[] }> {
    const job = await this.jobs.get(id);
    return { deliveries: await this.webhooks.deliveriesOf(job.id) };
  }

  @Get(':id/result')
  @ApiProduces('audio/*', 'application/json')
  @ApiOperation({ summary: 'The finished job’s output file (audio or transcript)' })
  async result(@Param('id') id: string, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const job = await this.jobs.get(id);
    if (job.status !== 'completed' || !job.result) {
      throw new AppError('CONFLICT', `Job ${job.id} has no result (status: ${job.status}).`, {
        status: job.status,
      });
    }
    const opened = await this.files.open(job.result.file_id, { userId: job.userId, seesAll: true });
    res.setHeader('Content-Length', String(opened.file.sizeBytes));
    return new StreamableFile(opened.read(), { type: opened.file.contentType });
  }

  @Get(':id/events')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Progress as Server-Sent Events until the job ends (event: progress, then its final status)',
  })
  async events(@Param('id') id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const first = await this.jobs.get(id);
    const events = new ServerSentEvents();
    const left = abortWhenClientLeaves(req, res);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Accel-Buffering', 'no');
    // Read from the table, not from this server's workers: the job may run on any node.
    const follow = async () => {
      let last = '';
      let job = first;
      for (;;) {
        const view = jobView(job);
        const key = `${view.status}|${view.progress}|${view.stage}`;
        if (key !== last) {
          last = key;
          events.send(isFinal(job.status) ? job.status : 'progress', view);
        }
        if (isFinal(job.status) || left.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, EVENTS_POLL_MS));
        job = await this.jobs.get(id);
      }
    };
    void RequestContextStore.run(
      RequestContextStore.current() ?? { requestId: 'events', startedAt: 0n },
      follow,
    )
      .catch((error: unknown) => {
        events.send('error', {
          error_code: error instanceof AppError ? error.code : 'INTERNAL_ERROR',
          message: error instanceof AppError ? error.message : 'The event stream failed.',
        });
      })
      .finally(() => events.end());
    return new StreamableFile(events.body, { type: 'text/event-stream; charset=utf-8' });
  }
}
