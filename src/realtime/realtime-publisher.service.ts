import { Inject, Injectable } from '@nestjs/common';
import type Pusher from 'pusher';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import type { PusherConfig } from '../config/config.schema.js';
import { ConfigService } from '../config/config.service.js';
import { type JobRecord, type JobStatus, jobView } from '../jobs/job-record.js';
import { pusherClientOf, userChannelOf } from './pusher-client.js';

const EVENT_OF: Partial<Record<JobStatus, string>> = {
  running: 'job.progress',
  completed: 'job.completed',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
};

/**
 * Publishes job events to each owner's private Pusher channel when `realtime.pusher` is
 * configured. Never throws and never makes a job wait: a trigger runs in the background and a
 * failure is logged. Events of one job are sent in order; a progress event that would queue
 * behind one still in flight is dropped (the next carries newer progress), final events never are.
 * The client follows the live config: it is rebuilt when `realtime.pusher` changes.
 */
@Injectable()
export class RealtimePublisher {
  private client?: { settings: string; pusher: Pusher };
  /** The trigger in flight for each job, so its events leave in order. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** What was last sent for a running job, so an unchanged heartbeat sends nothing. */
  private readonly lastSent = new Map<string, string>();

  constructor(
    private readonly config: ConfigService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** The SDK client for the live config, or undefined when realtime is off. */
  pusher(): { pusher: Pusher; settings: PusherConfig } | undefined {
    const settings = this.config.current.realtime.pusher;
    if (!settings) {
      this.client = undefined;
      return undefined;
    }
    const fingerprint = JSON.stringify(settings);
    if (this.client?.settings !== fingerprint) {
      this.client = { settings: fingerprint, pusher: pusherClientOf(settings) };
    }
    return { pusher: this.client.pusher, settings };
  }

  /** Announces a job's state: progress while it runs, then how it ended. */
  jobChanged(job: JobRecord): void {
    try {
      this.send(job);
    } catch (error) {
      // E.g. the SDK refusing the configured options: the job goes on regardless.
      this.logger.warn({ err: describe(error), jobId: job.id }, 'realtime event not published');
    }
  }

  private send(job: JobRecord): void {
    const event = EVENT_OF[job.status];
    if (!event) return;
    const view = jobView(job);
    const final = job.status !== 'running';
    if (!final) {
      const key = `${view.progress}|${view.stage}`;
      if (this.lastSent.get(job.id) === key || this.inFlight.has(job.id)) return;
      this.lastSent.set(job.id, key);
    } else {
      this.lastSent.delete(job.id);
    }
    const client = this.pusher();
    if (!client) return;
    const channel = userChannelOf(client.settings, job.userId);
    const previous = this.inFlight.get(job.id) ?? Promise.resolve();
    const sending = previous
      .then(() => client.pusher.trigger(channel, event, view))
      .then(
        () => undefined,
        (error: unknown) => {
          this.logger.warn(
            { err: describe(error), jobId: job.id, event, channel },
            'realtime event not published',
          );
        },
      )
      .finally(() => {
        if (this.inFlight.get(job.id) === sending) this.inFlight.delete(job.id);
      });
    this.inFlight.set(job.id, sending);
  }

  /** Waits for the triggers in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }
}

/** The SDK's RequestError carries the URL (with auth_signature) and body: log status and message only. */
function describe(error: unknown): { message: string; status?: number } {
  if (error instanceof Error) {
    const status = (error as Error & { status?: unknown }).status;
    return { message: error.message, ...(typeof status === 'number' ? { status } : {}) };
  }
  return { message: String(error) };
}
