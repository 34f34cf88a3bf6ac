/**
 * Input audio the module cannot use: not a WAV it understands, clips at mixed sample
 * rates, an impossible sample rate. The message describes the audio, never file paths
 * or process output, so callers may show it to a client.
 */
export class AudioFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AudioFormatError';
  }
}

/** Decoded audio longer than the configured maximum (the decode stopped at the limit). */
export class AudioTooLongError extends Error {
  constructor(readonly maxSeconds: number) {
    super(`The audio is longer than the maximum of ${maxSeconds} s.`);
    this.name = 'AudioTooLongError';
  }
}

/**
 * ffmpeg exited with an error. `stderr` holds the end of its diagnostics for the logs;
 * it names codecs, build details and paths, so it stays out of `message`, which is
 * generic (the exception filter logs errors in full but shows clients only a 500).
 */
export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}
