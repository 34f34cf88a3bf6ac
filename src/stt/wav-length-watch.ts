import { readWavHeader, type WavHeader, wavSecondsAtLeast } from '../audio/wav-header.js';

/** A header not complete within this many bytes (huge LIST chunks…) is left to the decoder. */
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * Watches an upload's bytes as they arrive and tells, as early as it can be sure, that a
 * 16-bit PCM WAV is longer than `maxSeconds`: from the header as soon as it has arrived,
 * when the upload's size is known from Content-Length (`knownFileBytes`, a lower bound),
 * else by counting the bytes received (streamed WAVs whose data size is 0xFFFFFFFF, chunked
 * uploads). Never says so of a file the decoder would accept: the declared data size caps
 * the audio exactly as decodeWav does, and only bytes sure to arrive are counted. Anything
 * that is not such a WAV is left to the decoder.
 */
export class WavLengthWatch {
  private head: Buffer[] = [];
  private headBytes = 0;
  private header: WavHeader | undefined;
  private done = false;
  private received = 0;

  constructor(
    private readonly maxSeconds: number,
    private readonly knownFileBytes?: number,
  ) {}

  /** Takes the next bytes of the file; answers true once the audio is known to be too long. */
  exceeded(chunk: Uint8Array): boolean {
    this.received += chunk.length;
    if (this.done) return false;
    if (!this.header) {
      this.head.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.headBytes += chunk.length;
      const read = readWavHeader(Buffer.concat(this.head, this.headBytes));
      if (read === null || (read === 'incomplete' && this.headBytes >= MAX_HEAD_BYTES)) {
        this.stop();
        return false;
      }
      if (read === 'incomplete') return false;
      this.header = read;
      this.head = [];
    }
    const sure = Math.max(this.received, this.knownFileBytes ?? 0);
    if (wavSecondsAtLeast(this.header, sure) > this.maxSeconds) {
      this.stop();
      return true;
    }
    return false;
  }

  private stop(): void {
    this.done = true;
    this.head = [];
  }
}
