import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/injection-tokens.js';
import { ConfigService } from '../../config/config.service.js';
import { type JobRecord, jobView } from '../job-record.js';
import { checkDestination, type CheckedDestination } from './webhook-destination.js';
import { signWebhook } from './webhook-signature.js';
import { WebhooksRepository } from './webhooks.repository.js';

/** Waits before each attempt: the first at once, then backing off. */
export const WEBHOOK_BACKOFF_MS = [0, 1000, 2000, 4000, 8000, 16000];
const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * Tells a job's callback_url that the job ended: a POST signed the Standard Webhooks way
 * (webhook-id, webhook-timestamp, webhook-signature with the owner's secret), retried with
 * backoff until a 2xx answer, each attempt logged (GET /jobs/{id}/deliveries). The
 * destination is checked again before every attempt and connected to by the address checked.
 */
@Injectable()
export class WebhookNotifier implements OnModuleDestroy {
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly config: ConfigService,
    private readonly webhooks: WebhooksRepository,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.pending]);
  }

  /** Starts delivering (in the background) when the job has a callback_url. */
  jobFinished(job: JobRecord): void {
    if (!job.callbackUrl) return;
    const delivery = this.deliver(job, job.callbackUrl).catch((error: unknown) =>
      this.logger.warn({ err: error, jobId: job.id }, 'webhook delivery failed'),
    );
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  }

  private async deliver(job: JobRecord, callbackUrl: string): Promise<void> {
    const webhookId = `msg_${job.id}`;
    const body = JSON.stringify({
      type: `job.${job.status}`,
      timestamp: new Date().toISOString(),
      data: jobView(job),
    });
    for (let attempt = 1; attempt <= WEBHOOK_BACKOFF_MS.length; attempt++) {
      const wait = WEBHOOK_BACKOFF_MS[attempt - 1] ?? 0;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
      if (this.stopped) return;
      const started = Date.now();
      let statusCode: number | null = null;
      let error: string | null = null;
      try {
        const secret = await this.webhooks.secretOf(job.userId);
        if (!secret) throw new Error('the owner has no webhook secret (POST /jobs/webhook-secret)');
        const destination = await checkDestination(
          callbackUrl,
          this.config.current.routers.core.jobs.webhooks.allowedHosts,
        );
        const timestamp = Math.floor(Date.now() / 1000);
        statusCode = await post(destination, body, {
          'content-type': 'application/json',
          'user-agent': 'speech-gateway-webhooks',
          'webhook-id': webhookId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, webhookId, timestamp, body),
        });
        if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught);
      }
      await this.webhooks.logAttempt({
        jobId: job.id,
        webhookId,
        attempt,
        url: callbackUrl,
        statusCode,
        error,
        durationMs: Date.now() - started,
      });
      if (error === null) return;
    }
  }
}

function post(
  destination: CheckedDestination,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  const { url, address, family } = destination;
  // Connect to the address that was checked, whatever a second DNS answer would say.
  const lookup = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup,
        timeout: ATTEMPT_TIMEOUT_MS,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${ATTEMPT_TIMEOUT_MS} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
