import type { ApiScope } from '../common/request-context.js';
import { displayPrefix } from './api-key-format.js';

/** A stored key: everything but the secret, which is never stored. */
export interface ApiKey {
  id: number;
  userId: number;
  keyId: string;
  name: string;
  scopes: ApiScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiKeyRow {
  id: number;
  user_id: number;
  key_id: string;
  name: string;
  scopes: ApiScope[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export function apiKeyFromRow(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    keyId: row.key_id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/** The public JSON form: no secret, no hash. */
export function apiKeyJson(key: ApiKey) {
  return {
    key_id: key.keyId,
    prefix: displayPrefix(key.keyId),
    user_id: key.userId,
    name: key.name,
    scopes: key.scopes,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    expires_at: key.expiresAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}
