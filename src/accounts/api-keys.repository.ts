import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiScope } from '../common/request-context.js';
import { type ApiKey, type ApiKeyRow, apiKeyFromRow } from './api-key.js';

/** What authentication needs about a key, read in one query with its user. */
export interface KeyCredential {
  keyId: string;
  keyHash: Buffer;
  scopes: ApiScope[];
  expired: boolean;
  revoked: boolean;
  userId: number;
  plan: string;
  isAdmin: boolean;
  userActive: boolean;
}

/** The api_keys table: hashes only, looked up by the public key id. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(args: {
    userId: number;
    keyId: string;
    keyHash: Buffer;
    name: string;
    scopes: ApiScope[];
    expiresAt: Date | null;
  }): Promise<ApiKey> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `INSERT INTO api_keys (user_id, key_id, key_hash, name, scopes, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, user_id, key_id, name, scopes, created_at, last_used_at, expires_at, revoked_at`,
      [args.userId, args.keyId, args.keyHash, args.name, args.scopes, args.expiresAt],
    );
    return apiKeyFromRow(rows[0]);
  }

  async credential(keyId: string): Promise<KeyCredential | null> {
    const rows = await this.dataSource.query<
      Array<{
        key_id: string;
        key_hash: Buffer;
        scopes: ApiScope[];
        expired: boolean;
        revoked: boolean;
        user_id: number;
        plan: string;
        is_admin: boolean;
        is_active: boolean;
      }>
    >(
      `SELECT k.key_id, k.key_hash, k.scopes,
              (k.expires_at IS NOT NULL AND k.expires_at <= now()) AS expired,
              (k.revoked_at IS NOT NULL) AS revoked,
              u.id AS user_id, u.plan, u.is_admin, u.is_active
         FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE k.key_id = $1`,
      [keyId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      keyId: row.key_id,
      keyHash: row.key_hash,
      scopes: row.scopes,
      expired: row.expired,
      revoked: row.revoked,
      userId: row.user_id,
      plan: row.plan,
      isAdmin: row.is_admin,
      userActive: row.is_active,
    };
  }

  async listForUser(userId: number): Promise<ApiKey[]> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `SELECT id, user_id, key_id, name, scopes, created_at, last_used_at, expires_at, revoked_at
         FROM api_keys WHERE user_id = $1 ORDER BY id`,
      [userId],
    );
    return rows.map(apiKeyFromRow);
  }

  async findForUser(userId: number, keyId: string): Promise<ApiKey | null> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `SELECT id, user_id, key_id, name, scopes, created_at, last_used_at, expires_at, revoked_at
         FROM api_keys WHERE user_id = $1 AND key_id = $2`,
      [userId, keyId],
    );
    return rows[0] ? apiKeyFromRow(rows[0]) : null;
  }

  async findByKeyId(keyId: string): Promise<ApiKey | null> {
    const rows = await this.dataSource.query<ApiKeyRow[]>(
      `SELECT id, user_id, key_id, name, scopes, created_at, last_used_at, expires_at, revoked_at
         FROM api_keys WHERE key_id = $1`,
      [keyId],
    );
    return rows[0] ? apiKeyFromRow(rows[0]) : null;
  }

  async revoke(keyId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE key_id = $1`,
      [keyId],
    );
  }

  /** The old key of a rotation keeps working until `until` (or its own earlier expiry). */
  async expireBy(keyId: string, until: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, $2), $2) WHERE key_id = $1`,
      [keyId, until],
    );
  }

  /** Marks a key used; written at most once a minute per key to keep writes off the hot path. */
  async touch(keyId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE api_keys SET last_used_at = now()
        WHERE key_id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [keyId],
    );
  }
}
