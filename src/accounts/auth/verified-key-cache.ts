import type { Account } from '../../common/request-context.js';

/** Keys remembered at most; beyond it the oldest are dropped (a burst of distinct keys). */
const MAX_ENTRIES = 10_000;

interface VerifiedKey {
  account: Account;
  /** Reused until then: the cache bound, or the key's own expiry when that comes first. */
  until: number;
}

/** A change that makes remembered keys stale: one key, or every key of one user. */
export type KeyChange = { keyId: string } | { userId: number };

/**
 * Keys that passed verification, by the SHA-256 of the presented key, for `ttlMs()` at
 * most: a request with a remembered key needs no database read. forget() drops what a
 * revocation, rotation or user change made stale; without it the TTL is the bound.
 */
export class VerifiedKeyCache {
  private readonly entries = new Map<string, VerifiedKey>();
  /**
   * Counts forget()s and clear()s: a key read from the database before one of them may be
   * stale, so set() ignores it (a revocation racing a request's read is not undone).
   */
  private changes = 0;

  constructor(
    private readonly ttlMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get(hash: string): Account | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.account;
    this.entries.delete(hash);
    return undefined;
  }

  /** To pass to set(): taken before the key is read from the database. */
  version(): number {
    return this.changes;
  }

  /**
   * Remembers a verified key; `expiresAt` (ms) is the key's own expiry, if it has one, and
   * `version` what version() answered before the key was read.
   */
  set(hash: string, account: Account, expiresAt: number | null, version: number): void {
    const ttl = this.ttlMs();
    if (ttl <= 0 || version !== this.changes) return;
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const until = Math.min(this.now() + ttl, expiresAt ?? Number.POSITIVE_INFINITY);
    this.entries.set(hash, { account, until });
  }

  forget(change: KeyChange): void {
    this.changes++;
    for (const [hash, { account }] of this.entries) {
      if ('keyId' in change ? account.keyId === change.keyId : account.userId === change.userId) {
        this.entries.delete(hash);
      }
    }
  }

  clear(): void {
    this.changes++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
