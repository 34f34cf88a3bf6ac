/**
 * What the jobs module needs from a queue: durable delivery of job ids to workers on any
 * node. Everything a client sees (status, progress, result, cancel) lives in the jobs
 * table, so a queue only has to deliver; a duplicate delivery is harmless (a job is claimed
 * in the table before it runs).
 */
export interface JobQueue {
  /** Stores the delivery; it survives a restart of every node. */
  enqueue(jobId: string): Promise<void>;
  /** Runs `handler` for delivered ids, at most `concurrency` at once on this node. */
  work(concurrency: number, handler: (jobId: string) => Promise<void>): Promise<void>;
  /** Stops taking deliveries; returns once the handlers running here have returned. */
  stop(): Promise<void>;
}

export const JOB_QUEUE = Symbol('JOB_QUEUE');

/** Which implementation delivers: pg-boss in the gateway's database, or BullMQ on Redis. */
export type JobQueueBackend = 'database' | 'redis';
