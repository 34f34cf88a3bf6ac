import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiScope } from '../common/request-context.js';
import { type ApiKey, type ApiKeyRow, apiKeyFromRow } from './api-key.js';

/**
 * PostgreSQL notification channel of key and user changes, per schema (deployments may
 * share a database): statements that revoke, expire or change what a verified key grants
 * notify it, so every node's key cache hears of it, whoever made the change (the CLI too).
 */
const KEY_CHANGES_CHANNEL_PREFIX = 'sg_key_changes_';
/** Channel names are identifiers: 63 bytes at most. */
const CHANNEL_SCHEMA_CHARS = 63 - KEY_CHANGES_CHANNEL_PREFIX.length;

/** The channel of `schema`'s key changes. */
export function keyChangesChannel(schema: string): string {
  return KEY_CHANGES_CHANNEL_PREFIX + schema.slice(0, CHANNEL_SCHEMA_CHARS);
}

/** A select-list expression sending `payload` (a json expression) on this schema's channel. */
export function notifyKeyChange(payload: string): string {
  return `pg_notify('${KEY_CHANGES_CHANNEL_PREFIX}' || left(current_schema(), ${CHANNEL_SCHEMA_CHARS}), (${payload})::text)`;
}

/** What authentication needs about a key, read in one query with its user. */
export interface KeyCredential {
  keyId: string;
  keyHash: Buffer;
  scopes: ApiScope[];
  expired: boolean;
  /** When it stops working (a rotated key's grace end, or its own expiry). */
  expiresAt: Date | null;
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
        expires_at: Date | null;
        revoked: boolean;
        user_id: number;
        plan: string;
        is_admin: boolean;
        is_active: boolean;
      }>
    >(
      `SELECT k.key_id, k.key_hash, k.scopes,
              (k.expires_at IS NOT NULL AND k.expires_at <= now()) AS expired, k.expires_at,
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
      expiresAt: row.expires_at,
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

  /** Revokes a key; the same statement notifies every node (see KEY_CHANGES_CHANNEL). */
  async revoke(keyId: string): Promise<void> {
    await this.dataSource.query(
      `WITH changed AS (
         UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE key_id = $1 RETURNING key_id
       )
       SELECT ${notifyKeyChange(`json_build_object('keyId', key_id)`)} FROM changed`,
      [keyId],
    );
  }

  /**
   * The old key of a rotation keeps working until `until` (or its own earlier expiry); the
   * same statement notifies every node.
   */
  async expireBy(keyId: string, until: Date): Promise<void> {
    await this.dataSource.query(
      `WITH changed AS (
         UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, $2), $2) WHERE key_id = $1 RETURNING key_id
       )
       SELECT ${notifyKeyChange(`json_build_object('keyId', key_id)`)} FROM changed`,
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
