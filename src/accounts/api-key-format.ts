import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/*
 * API key format, after GitHub's token format: a recognisable prefix, a public key id, the
 * secret, and a checksum over everything before it, so secret scanners can tell a real
 * leaked key from random text without asking the server:
 *
 *   sgk_<key id: 12 base62>_<secret: 86 base62 = 512 bits from the CSPRNG><crc32: 6 base62>
 */

export const API_KEY_PREFIX = 'sgk_';
const KEY_ID_LENGTH = 12;
const SECRET_BYTES = 64;
const SECRET_LENGTH = 86; // ceil(512 / log2(62))
const CHECKSUM_LENGTH = 6; // ceil(32 / log2(62))
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}([0-9A-Za-z]{${KEY_ID_LENGTH}})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);

/** Fixed-width base62 of a non-negative integer. */
function base62(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = BASE62[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(width, '0');
}

function checksumOf(body: string): string {
  return base62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

export interface IssuedKey {
  /** The whole key: shown once, never stored. */
  token: string;
  keyId: string;
  hash: Buffer;
}

export function hashApiKey(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A key for this id with fresh randomness (tests use it to present a known id with a wrong secret). */
export function composeApiKey(keyId: string): string {
  const secret = base62(BigInt(`0x${randomBytes(SECRET_BYTES).toString('hex')}`), SECRET_LENGTH);
  const body = `${API_KEY_PREFIX}${keyId}_${secret}`;
  return `${body}${checksumOf(body)}`;
}

export function generateApiKey(): IssuedKey {
  // 72 random bits → 12 base62 characters (62^12 > 2^71), public but unguessable.
  const keyId = base62(BigInt(`0x${randomBytes(9).toString('hex')}`), KEY_ID_LENGTH).slice(-KEY_ID_LENGTH);
  const token = composeApiKey(keyId);
  return { token, keyId, hash: hashApiKey(token) };
}

/** The key id of a well-formed key with a valid checksum; null for anything else. */
export function parseApiKey(token: string): { keyId: string } | null {
  const match = KEY_PATTERN.exec(token);
  if (!match) return null;
  const body = token.slice(0, token.length - CHECKSUM_LENGTH);
  if (checksumOf(body) !== match[3]) return null;
  return { keyId: match[1] };
}

/** What listings show instead of the key: enough to recognise it. */
export function displayPrefix(keyId: string): string {
  return `${API_KEY_PREFIX}${keyId}_…`;
}
