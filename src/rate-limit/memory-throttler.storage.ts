import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface WindowRecord {
  /** Expiry (ms) of each counted hit, oldest first; live ones start at `head`. */
  hits: number[];
  head: number;
  /** End of the current fixed window, for the reset headers. */
  expiresAt: number;
  isBlocked: boolean;
  blockExpiresAt: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * The rate limiter's in-memory counters: @nestjs/throttler's memory store semantics (a
 * sliding log of hits, each expiring `ttl` after it was counted; over the limit the key is
 * blocked for `blockDuration`, after which counting starts afresh), without its per-request
 * cost: that store re-filters every hit of the last window on each request (O(hits per
 * minute) per request), this one drops expired hits from the front of an ordered log
 * (amortised O(1)). One log per key: every caller gives each window its own key.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly records = new Map<string, WindowRecord>();
  private sweepTimer?: NodeJS.Timeout;

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    this.ensureSweep();
    let record = this.records.get(key);
    if (!record) {
      record = { hits: [], head: 0, expiresAt: now + ttl, isBlocked: false, blockExpiresAt: 0 };
      this.records.set(key, record);
    }
    prune(record, now);
    let timeToExpire = Math.ceil((record.expiresAt - now) / 1000);
    if (timeToExpire <= 0) {
      record.expiresAt = now + ttl;
      timeToExpire = Math.ceil(ttl / 1000);
    }
    if (blockDuration <= 0) {
      const blocked = count(record) >= limit;
      if (!blocked) record.hits.push(now + ttl);
      const oldest = record.hits[record.head];
      return Promise.resolve({
        totalHits: count(record) + (blocked ? 1 : 0),
        timeToExpire,
        isBlocked: blocked,
        timeToBlockExpire: blocked && oldest !== undefined ? Math.ceil((oldest - now) / 1000) : 0,
      });
    }
    if (!record.isBlocked) record.hits.push(now + ttl);
    if (count(record) > limit && !record.isBlocked) {
      record.isBlocked = true;
      record.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((record.blockExpiresAt - now) / 1000);
    if (timeToBlockExpire <= 0 && record.isBlocked) {
      record.isBlocked = false;
      record.hits = [now + ttl];
      record.head = 0;
    }
    return Promise.resolve({
      totalHits: count(record),
      timeToExpire,
      isBlocked: record.isBlocked,
      timeToBlockExpire,
    });
  }

  /** Live hits of `key` and seconds until its window resets (0, 0 when unknown). */
  peek(key: string): { hits: number; resetSeconds: number } {
    const record = this.records.get(key);
    if (!record) return { hits: 0, resetSeconds: 0 };
    prune(record, Date.now());
    return {
      hits: count(record),
      resetSeconds: Math.max(0, Math.ceil((record.expiresAt - Date.now()) / 1000)),
    };
  }

  reset(key: string): void {
    this.records.delete(key);
  }

  shutdown(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.records.clear();
  }

  /** Drops keys with nothing live: no hit in the log, no block, window over. */
  sweep(now = Date.now()): void {
    for (const [key, record] of this.records) {
      if (record.isBlocked && record.blockExpiresAt > now) continue;
      if (record.expiresAt > now) continue;
      prune(record, now);
      if (count(record) > 0) continue;
      this.records.delete(key);
    }
  }

  private ensureSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }
}

function count(record: WindowRecord): number {
  return record.hits.length - record.head;
}

/** Drops expired hits from the front; compacts the array once half of it is dead. */
function prune(record: WindowRecord, now: number): void {
  const { hits } = record;
  let head = record.head;
  while (head < hits.length && hits[head] <= now) head++;
  if (head > 1024 && head * 2 > hits.length) {
    record.hits = hits.slice(head);
    record.head = 0;
  } else {
    record.head = head;
  }
}
