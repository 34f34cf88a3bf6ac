import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { JobQueue } from './job-queue.js';

/** The part of a `pg` pool pg-boss uses: the gateway's own pool, so no extra connections. */
export interface SqlExecutor {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

const QUEUE_NAME = 'speech-gateway-jobs';

interface Delivery {
  jobId: string;
}

/**
 * JobQueue on pg-boss 10 (PostgreSQL and the embedded database alike; its tables live in
 * their own schema). pg-boss has no heartbeat or progress API: the jobs table has both,
 * and a job whose server died is sent again by JobRunner's sweep, not by pg-boss's expiry
 * (which would need an expiry shorter than the longest job).
 */
export class PgBossJobQueue implements JobQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly pollingIntervalSeconds: number,
  ) {}

  static async start(options: {
    sql: SqlExecutor;
    schema: string;
    logger: Logger;
    pollingIntervalSeconds?: number;
  }): Promise<PgBossJobQueue> {
    // Loaded only when the database delivers jobs: a server on the Redis queue never uses it.
    const { default: pgBossClass } = await import('pg-boss');
    const boss = new pgBossClass({
      db: {
        // pg-boss's Db type says any[]; the pool takes unknown values.
        executeSql: async (text: string, values: unknown[]) => options.sql.query(text, values),
      },
      schema: options.schema,
      // Failed deliveries are not retried by pg-boss: the jobs table decides (see JobRunner).
      retryLimit: 0,
      // pg-boss's own expiry would fail long jobs; takeover after a crash is JobRunner's.
      expireInHours: 23,
      retentionDays: 7,
      deleteAfterDays: 1,
      maintenanceIntervalSeconds: 300,
    });
    boss.on('error', (error: Error) => options.logger.warn({ err: error }, 'job queue (pg-boss) error'));
    await boss.start();
    await boss.createQueue(QUEUE_NAME);
    return new PgBossJobQueue(boss, options.pollingIntervalSeconds ?? 0.5);
  }

  async enqueue(jobId: string): Promise<void> {
    await this.boss.send(QUEUE_NAME, { jobId } satisfies Delivery);
  }

  async work(concurrency: number, handler: (jobId: string) => Promise<void>): Promise<void> {
    // pg-boss 10 has no concurrency option: one worker per slot, each fetching one at a time.
    for (let i = 0; i < concurrency; i++) {
      await this.boss.work<Delivery>(
        QUEUE_NAME,
        { batchSize: 1, pollingIntervalSeconds: this.pollingIntervalSeconds },
        async (jobs) => {
          for (const job of jobs) await handler(job.data.jobId);
        },
      );
    }
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, close: false, timeout: 5000 });
  }
}
