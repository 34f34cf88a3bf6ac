/** What a download answers for a Range header. */
export type ByteRangeAnswer =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=(\d{0,20})-(\d{0,20})$/i;

/**
 * A Range header read as RFC 9110 §14 says: one byte range (`a-b`, `a-`, `-n`) within the
 * file is a 206 for it (an end past the file is clipped); one that starts past the end (or
 * any range of an empty file, or `-0`) is 416. A header that is absent, of another unit,
 * syntactically invalid or asking for several ranges is ignored: the whole file, 200.
 */
export function byteRangeOf(header: string | undefined, size: number): ByteRangeAnswer {
  if (header === undefined) return { kind: 'full' };
  const match = SINGLE_RANGE.exec(header.trim());
  if (!match) return { kind: 'full' };
  const [, first, last] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (end < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}
