import { endianness } from 'node:os';

/*
 * Int16Array uses the machine's byte order and every format here is little-endian. All
 * platforms Node ships for are little-endian, so the bytes are shared, not copied; the
 * swap below keeps a big-endian host correct rather than silently noisy.
 */
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** The samples as s16le bytes. Shares memory with `samples` on little-endian hosts (do not mutate either). */
export function pcmBytes(samples: Int16Array): Buffer {
  const view = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  return LITTLE_ENDIAN_HOST ? view : Buffer.from(view).swap16();
}

/** s16le bytes as samples, always copied (the Buffer may be pooled or unaligned); an odd trailing byte is dropped. */
export function samplesFromPcm(bytes: Uint8Array): Int16Array {
  const copy = new Uint8Array(bytes.length & ~1);
  copy.set(bytes.subarray(0, copy.length));
  if (!LITTLE_ENDIAN_HOST) Buffer.from(copy.buffer).swap16();
  return new Int16Array(copy.buffer);
}
