import type { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { JobQueue } from './job-queue.js';

const QUEUE_NAME = 'speech-gateway-jobs';

interface Delivery {
  jobId: string;
}

/**
 * JobQueue on BullMQ (Redis), chosen when Redis is configured for jobs: a pickup is a
 * blocking pop instead of a poll. Like pg-boss it only delivers ids: status, claims,
 * heartbeats and takeover stay in the jobs table, so a delivery for a job already claimed
 * or finished does nothing, and BullMQ's own retries and stalled-job checks are not relied on.
 */
export class BullMqJobQueue implements JobQueue {
  private readonly workers: Worker<Delivery>[] = [];

  private constructor(
    private readonly workerClass: typeof Worker,
    private readonly queue: Queue<Delivery>,
    private readonly connection: { url: string; prefix: string },
    private readonly logger: Logger,
  ) {}

  static async start(options: { redisUrl: string; prefix: string; logger: Logger }): Promise<BullMqJobQueue> {
    // Loaded only when Redis delivers jobs: BullMQ (and its Redis client) is megabytes of
    // memory a server on the database queue never uses.
    const { Queue, Worker: workerClass } = await import('bullmq');
    const queue = new Queue<Delivery>(QUEUE_NAME, {
      connection: { url: options.redisUrl, maxRetriesPerRequest: null },
      // Keys are `<prefix>:speech-gateway-jobs:…`, so deployments can share one Redis.
      prefix: options.prefix,
      defaultJobOptions: {
        // Failed runs are decided by the jobs table (JobRunner), not retried by BullMQ.
        attempts: 1,
        removeOnComplete: { count: 1000 },
        removeOnFail: { age: 86_400 },
      },
    });
    queue.on('error', (error: Error) => options.logger.warn({ err: error }, 'job queue (bullmq) error'));
    await queue.waitUntilReady();
    return new BullMqJobQueue(
      workerClass,
      queue,
      { url: options.redisUrl, prefix: options.prefix },
      options.logger,
    );
  }

  async enqueue(jobId: string): Promise<void> {
    await this.queue.add('job', { jobId });
  }

  async work(concurrency: number, handler: (jobId: string) => Promise<void>): Promise<void> {
    const worker = new this.workerClass<Delivery>(QUEUE_NAME, async (job) => handler(job.data.jobId), {
      connection: { url: this.connection.url, maxRetriesPerRequest: null },
      prefix: this.connection.prefix,
      concurrency,
      // A long job keeps its BullMQ lock renewed while it runs; a dead server's delivery is
      // sent again by JobRunner's sweep (heartbeats in the jobs table), so one stalled check
      // is enough and a stalled delivery is dropped rather than re-run by BullMQ.
      maxStalledCount: 0,
    });
    worker.on('error', (error: Error) => this.logger.warn({ err: error }, 'job queue (bullmq) worker error'));
    await worker.waitUntilReady();
    this.workers.push(worker);
  }

  async stop(): Promise<void> {
    // close() waits for the handlers running here, then closes the Redis connections.
    await Promise.allSettled(this.workers.map((worker) => worker.close()));
    await this.queue.close();
  }
}
