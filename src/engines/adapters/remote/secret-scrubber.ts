const REDACTED = '[redacted]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The forms in which a server may echo a key back: as sent, in any letter case, base64
 * (standard or URL-safe, with or without padding) and percent-encoded.
 */
export function secretVariants(secret: string): string[] {
  const base64 = Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, '');
  const base64Url = Buffer.from(secret, 'utf8').toString('base64url');
  return [...new Set([secret, base64, base64Url, encodeURIComponent(secret)])].filter(Boolean);
}

/**
 * Removes a secret from server text in every form of secretVariants(), case-insensitively
 * (so UPPER and lower case copies go too). Longest forms first, so one never leaves part of
 * another behind.
 */
export function scrubSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  const pattern = secretVariants(secret)
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|');
  return text.replace(new RegExp(pattern, 'gi'), REDACTED);
}
