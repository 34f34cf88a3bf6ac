import { timingSafeEqual } from 'node:crypto';
import { Injectable, Optional } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { type Account, type ApiScope, DEFAULT_KEY_SCOPES } from '../common/request-context.js';
import { ConfigService } from '../config/config.service.js';
import type { ApiKey } from './api-key.js';
import { generateApiKey, hashApiKey, parseApiKey } from './api-key-format.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { type KeyChange, VerifiedKeyCache } from './auth/verified-key-cache.js';

/** Compared against when the key id is unknown, so that case costs what a wrong secret costs. */
const ABSENT_HASH = hashApiKey('sgk_absent');
const TOUCH_INTERVAL_MS = 60_000;
const TOUCHED_MAX = 10_000;

export function invalidApiKey(): AppError {
  // One answer for every failure: unknown id, wrong secret, revoked, expired, malformed, inactive user.
  return new AppError('INVALID_API_KEY', 'The API key is missing, invalid, expired or revoked.', undefined, {
    'WWW-Authenticate': 'Bearer',
  });
}

export interface IssuedApiKey {
  /** The whole key: shown once. */
  token: string;
  key: ApiKey;
}

/**
 * Issues keys (stored as SHA-256 hashes) and turns a presented key into an account. A
 * verified key is remembered for auth.key_cache_seconds (none without a ConfigService, as
 * in the CLI); forget() drops what a key or user change made stale.
 */
@Injectable()
export class ApiKeyService {
  private readonly touched = new Map<string, number>();
  private readonly verified: VerifiedKeyCache;

  constructor(
    private readonly keys: ApiKeysRepository,
    @Optional() config?: ConfigService,
  ) {
    this.verified = new VerifiedKeyCache(() => (config ? config.current.auth.keyCacheSeconds * 1000 : 0));
  }

  /** Drops remembered keys a change made stale (this node's changes and other nodes' notices). */
  forget(change: KeyChange | 'all'): void {
    if (change === 'all') this.verified.clear();
    else this.verified.forget(change);
  }

  async issue(args: {
    userId: number;
    name: string;
    scopes?: readonly ApiScope[];
    expiresAt?: Date | null;
  }): Promise<IssuedApiKey> {
    const generated = generateApiKey();
    const key = await this.keys.insert({
      userId: args.userId,
      keyId: generated.keyId,
      keyHash: generated.hash,
      name: args.name,
      scopes: [...new Set(args.scopes ?? DEFAULT_KEY_SCOPES)],
      expiresAt: args.expiresAt ?? null,
    });
    return { token: generated.token, key };
  }

  /** A new key with the old one's name and scopes; the old one works for `graceHours` more. */
  async rotate(oldKey: ApiKey, graceHours: number): Promise<IssuedApiKey> {
    const issued = await this.issue({ userId: oldKey.userId, name: oldKey.name, scopes: oldKey.scopes });
    await this.keys.expireBy(oldKey.keyId, new Date(Date.now() + graceHours * 3_600_000));
    this.forget({ keyId: oldKey.keyId });
    return issued;
  }

  async authenticate(token: string): Promise<Account> {
    const parsed = parseApiKey(token);
    if (!parsed) throw invalidApiKey();
    const presented = hashApiKey(token);
    const cacheKey = presented.toString('base64');
    const remembered = this.verified.get(cacheKey);
    if (remembered) {
      this.noteUse(parsed.keyId);
      return { ...remembered, scopes: [...remembered.scopes] };
    }
    const version = this.verified.version();
    const credential = await this.keys.credential(parsed.keyId);
    const matches = timingSafeEqual(presented, credential?.keyHash ?? ABSENT_HASH);
    if (!credential || !matches || credential.revoked || credential.expired || !credential.userActive) {
      throw invalidApiKey();
    }
    this.noteUse(credential.keyId);
    const account: Account = {
      userId: credential.userId,
      keyId: credential.keyId,
      plan: credential.plan,
      isAdmin: credential.isAdmin,
      scopes: credential.scopes,
    };
    this.verified.set(cacheKey, account, credential.expiresAt?.getTime() ?? null, version);
    return { ...account, scopes: [...account.scopes] };
  }

  private noteUse(keyId: string): void {
    const now = Date.now();
    if ((this.touched.get(keyId) ?? 0) > now - TOUCH_INTERVAL_MS) return;
    if (this.touched.size >= TOUCHED_MAX) this.touched.clear();
    this.touched.set(keyId, now);
    // last_used_at is informational: a failed write must not fail the request.
    this.keys.touch(keyId).catch(() => this.touched.delete(keyId));
  }
}
