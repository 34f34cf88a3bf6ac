import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AudioClip } from '../engines/ports/audio-clip.js';
import { closeQuietly, nextOrAbort } from './abortable.js';
import { AudioFormatError, AudioTooLongError, FfmpegError } from './audio-error.js';
import type { SniffedAudioType } from './audio-sniffer.js';
import { decoderArgs } from './decoder-args.js';
import { type OutputFormat, STREAMABLE_FORMATS, outputSampleRate } from './audio-format.js';
import { type FfmpegOutput, inputArgs, outputArgs } from './encoder-args.js';
import { locateFfmpeg } from './ffmpeg-locator.js';
import { ffmpegRunner, runFfmpeg, type StartedFfmpeg, startFfmpeg, streamFfmpeg } from './ffmpeg-process.js';
import type { ProcessRunner } from '../engines/process/process-runner.js';
import { pcmBytes, samplesFromPcm } from './pcm.js';
import { ConcurrencyLimiter } from '../common/concurrency-limiter.js';
import { decodeWav, encodeWav, WAV_HEADER_BYTES, wavHeader, wavHeaderForStream } from './wav.js';

export interface TranscoderOptions {
  /** ffmpeg processes at once (streams included); further work queues. Default 4. */
  maxProcesses?: number;
}

export interface DecodeOptions {
  /** Mono 16-bit output at this rate (the engine's). */
  sampleRate: number;
  /** Longer audio is refused with AudioTooLongError; at most this much is ever decoded. */
  maxSeconds: number;
}

export interface DecodedAudio {
  samples: Int16Array;
  sampleRate: number;
  durationSeconds: number;
}

export interface EncodeOptions {
  /** Output rate; raised to the nearest rate the encoder accepts (see outputSampleRate). Default: the clip's. */
  sampleRate?: number;
}

/**
 * Formats whose muxer goes back to the start of the file when it finishes: on a pipe it
 * cannot, so a piped FLAC has no length in STREAMINFO (ffprobe: duration N/A) and a piped
 * MP3 has no Xing/LAME header (no exact length, no gapless trim: 1 s decodes to 1.07 s).
 * Whole-audio encodes of these go through a temporary file.
 */
/** How long an unused spare stream encoder is kept (see AudioTranscoder.spares). */
const SPARE_IDLE_MS = 60_000;
/** How long after a stream took the spare the next one is started. */
const SPARE_DELAY_MS = 500;

const SEEKABLE_OUTPUTS = new Set<FfmpegOutput>(['mp3', 'flac']);

function checkClip(clip: AudioClip): void {
  if (!(clip.samples instanceof Int16Array))
    throw new AudioFormatError('Audio samples must be 16-bit PCM (Int16Array).');
  outputSampleRate('pcm', clip.sampleRate); // throws for an impossible rate
}

/** The PCM of `first` and then of every later clip, checking they share first's sample rate. */
async function* pcmOf(
  first: AudioClip,
  rest: AsyncIterator<AudioClip>,
  signal: AbortSignal | undefined,
  onExhausted: () => void,
): AsyncGenerator<Uint8Array> {
  if (first.samples.length > 0) yield pcmBytes(first.samples);
  yield* pcmAt(first.sampleRate, rest, signal, onExhausted);
}

/** stdin for an ffmpeg that reads a file: closed at once. */
async function* noInput(): AsyncGenerator<Uint8Array> {
  // Nothing to send.
}

/** The PCM of every clip `rest` gives, checking each has `sampleRate`. */
async function* pcmAt(
  sampleRate: number,
  rest: AsyncIterator<AudioClip>,
  signal: AbortSignal | undefined,
  onExhausted: () => void,
): AsyncGenerator<Uint8Array> {
  for (;;) {
    const next = await nextOrAbort(rest, signal);
    if (next.done) {
      onExhausted();
      return;
    }
    checkClip(next.value);
    if (next.value.sampleRate !== sampleRate) {
      throw new AudioFormatError(
        `All clips must share one sample rate (${sampleRate} Hz, then ${next.value.sampleRate} Hz).`,
      );
    }
    if (next.value.samples.length > 0) yield pcmBytes(next.value.samples);
  }
}

/** `first`, then the rest of `rest`. */
async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  let exhausted = false;
  try {
    yield first;
    for (;;) {
      const next = await rest.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!exhausted) closeQuietly(rest);
  }
}

/** A stream encoder made ready before its audio exists; see AudioTranscoder.prepareStream. */
export interface PreparedStream {
  /** encodeStream over `chunks`. Call once, or cancel(). */
  encode(chunks: AsyncIterable<AudioClip>, signal?: AbortSignal): AsyncGenerator<Buffer>;
  /** Gives up the prepared encoder (its ffmpeg is killed, its slot freed). */
  cancel(): void;
}

/**
 * All audio encoding of the product: PCM clips in, the client's format out. wav and pcm
 * at the clip's own rate are written directly (no process); everything else runs one
 * ffmpeg per job, PCM on stdin, encoded bytes on stdout. ffmpeg's diagnostics end up in
 * FfmpegError.stderr for the logs, never in a message a client sees.
 */
export class AudioTranscoder {
  private readonly limiter: ConcurrencyLimiter;
  /**
   * One idle ffmpeg per stream kind (format, rates) that has been used: the next stream
   * of that kind takes it instead of spawning. Spawning from a large process costs tens to
   * hundreds of milliseconds (page tables are copied, the event loop waits), which would
   * otherwise delay every streamed mp3/opus answer's first bytes. A spare unused for
   * SPARE_IDLE_MS is stopped; spares hold no slot of the limiter until taken.
   */
  private readonly spares = new Map<string, { process: StartedFfmpeg; timer: NodeJS.Timeout }>();
  private closed = false;
  /** Whole-audio jobs; streams start ffmpeg themselves under a slot of the same limiter. */
  private readonly runner: ProcessRunner;

  constructor(
    readonly ffmpegPath: string,
    options: TranscoderOptions = {},
  ) {
    this.limiter = new ConcurrencyLimiter(options.maxProcesses ?? 4);
    this.runner = ffmpegRunner(ffmpegPath, this.limiter);
  }

  /** With the ffmpeg locateFfmpeg() picks (system first, else the npm build). */
  static async create(options?: TranscoderOptions): Promise<AudioTranscoder> {
    return new AudioTranscoder((await locateFfmpeg()).path, options);
  }

  /** Stops the spare encoders (Nest calls this at shutdown). */
  onModuleDestroy(): Promise<void> {
    this.closed = true;
    const spares = [...this.spares.values()];
    this.spares.clear();
    return Promise.all(
      spares.map((spare) => {
        clearTimeout(spare.timer);
        return spare.process.cancel();
      }),
    ).then(() => undefined);
  }

  /** A stream encoder for `args`: the spare one when there is one; a new spare is started after. */
  private takeEncoder(args: string[]): StartedFfmpeg {
    const key = args.join('\0');
    const spare = this.spares.get(key);
    this.spares.delete(key);
    if (spare) clearTimeout(spare.timer);
    const process = spare?.process ?? startFfmpeg(this.ffmpegPath, args);
    // Later, not now: a spawn stalls the event loop, and this stream's first bytes are due.
    setTimeout(() => this.keepSpare(key, args), SPARE_DELAY_MS).unref();
    return process;
  }

  private keepSpare(key: string, args: string[]): void {
    if (this.closed || this.spares.has(key)) return;
    let process: StartedFfmpeg;
    try {
      process = startFfmpeg(this.ffmpegPath, args);
    } catch {
      return; // the next stream spawns its own and reports the failure
    }
    const timer = setTimeout(() => {
      if (this.spares.get(key)?.process !== process) return;
      this.spares.delete(key);
      void process.cancel();
    }, SPARE_IDLE_MS);
    timer.unref();
    this.spares.set(key, { process, timer });
  }

  /** ffmpeg processes running now. */
  get activeProcesses(): number {
    return this.limiter.active;
  }

  /** Jobs waiting for a process slot. */
  get queuedProcesses(): number {
    return this.limiter.queued;
  }

  /** The whole clip in one format. Aborting kills ffmpeg; the promise rejects once it has exited. */
  async encode(
    clip: AudioClip,
    format: OutputFormat,
    options: EncodeOptions = {},
    signal?: AbortSignal,
  ): Promise<Buffer> {
    checkClip(clip);
    signal?.throwIfAborted();
    const rate = outputSampleRate(format, clip.sampleRate, options.sampleRate);
    switch (format) {
      case 'wav':
      case 'pcm': {
        const samples =
          rate === clip.sampleRate ? clip.samples : (await this.resample(clip, rate, signal)).samples;
        // pcm is copied: the answer may be cached, and must not share memory with the engine's clip.
        return format === 'wav' ? encodeWav(samples, rate) : Buffer.from(pcmBytes(samples));
      }
      case 'mp3':
      case 'opus':
      case 'aac':
      case 'flac':
        return this.encodeWithFfmpeg(clip, format, rate, signal);
    }
  }

  /**
   * An uploaded file (of the type its magic bytes say) as mono 16-bit PCM at
   * `options.sampleRate`. A 16-bit PCM WAV is read without ffmpeg (and resampled only
   * when its rate differs); everything else is decoded by ffmpeg with the demuxer forced
   * to the sniffed type and only the file protocol allowed, so a file cannot make ffmpeg
   * open another format or a URL. At most `maxSeconds` (plus one frame) is decoded: a tiny
   * file that expands to hours costs bounded time and memory. Undecodable or empty audio
   * → AudioFormatError, too long → AudioTooLongError; both are safe to show a client.
   */
  async decode(
    path: string,
    type: SniffedAudioType,
    options: DecodeOptions,
    signal?: AbortSignal,
  ): Promise<DecodedAudio> {
    signal?.throwIfAborted();
    let decoded: DecodedAudio | undefined;
    if (type === 'wav') decoded = await this.decodePcmWav(path, options, signal);
    decoded ??= await this.decodeWithFfmpeg(path, type, options, signal);
    if (decoded.samples.length === 0) throw new AudioFormatError('The audio contains no samples.');
    if (decoded.durationSeconds > options.maxSeconds) throw new AudioTooLongError(options.maxSeconds);
    return decoded;
  }

  /**
   * How many seconds `decode` would give, counted while ffmpeg decodes the file (to the
   * same rate, nothing kept): bounded memory however long the audio. Same refusals as
   * decode (AudioFormatError, AudioTooLongError past `maxSeconds`).
   */
  async measure(
    path: string,
    type: SniffedAudioType,
    options: DecodeOptions,
    signal?: AbortSignal,
  ): Promise<number> {
    let bytes = 0;
    for await (const chunk of this.decodeStream(path, type, options, signal)) bytes += chunk.length;
    const seconds = Math.floor(bytes / 2) / options.sampleRate;
    if (bytes < 2) throw new AudioFormatError('The audio contains no samples.');
    if (seconds > options.maxSeconds) throw new AudioTooLongError(options.maxSeconds);
    return seconds;
  }

  /**
   * The file decoded like `decode` does with ffmpeg (mono s16le at `options.sampleRate`,
   * at most `maxSeconds` plus 10 ms), as chunks while ffmpeg writes them: ffmpeg only
   * decodes as fast as the consumer reads, so nothing accumulates. Holds one of the
   * transcoder's process slots until the consumer finishes or stops (which kills ffmpeg).
   * A file ffmpeg refuses → AudioFormatError.
   */
  async *decodeStream(
    path: string,
    type: SniffedAudioType,
    options: DecodeOptions,
    signal?: AbortSignal,
  ): AsyncGenerator<Buffer> {
    signal?.throwIfAborted();
    if ((await stat(path)).size === 0) throw new AudioFormatError('The file is empty.');
    const args = decoderArgs(path, type, options.sampleRate, options.maxSeconds);
    const release = await this.limiter.acquire(signal);
    try {
      yield* streamFfmpeg(this.ffmpegPath, args, noInput(), `decode ${type}`, signal);
    } catch (error) {
      if (error instanceof FfmpegError && error.exitCode !== null) {
        throw new AudioFormatError(`The ${type} audio could not be decoded (corrupt or truncated).`);
      }
      throw error;
    } finally {
      release();
    }
  }

  /** A 16-bit PCM WAV read directly; undefined for other WAV encodings (ffmpeg decodes those). */
  private async decodePcmWav(
    path: string,
    options: DecodeOptions,
    signal: AbortSignal | undefined,
  ): Promise<DecodedAudio | undefined> {
    let wav;
    try {
      wav = decodeWav(await readFile(path, { signal }));
    } catch (error) {
      if (error instanceof AudioFormatError) return undefined;
      throw error;
    }
    const seconds = wav.samples.length / wav.sampleRate;
    if (seconds > options.maxSeconds) throw new AudioTooLongError(options.maxSeconds);
    if (wav.samples.length === 0) throw new AudioFormatError('The audio contains no samples.');
    const clip = await this.resample(
      { samples: wav.samples, sampleRate: wav.sampleRate },
      options.sampleRate,
      signal,
    );
    return { samples: clip.samples, sampleRate: clip.sampleRate, durationSeconds: seconds };
  }

  private async decodeWithFfmpeg(
    path: string,
    type: SniffedAudioType,
    options: DecodeOptions,
    signal: AbortSignal | undefined,
  ): Promise<DecodedAudio> {
    if ((await stat(path)).size === 0) throw new AudioFormatError('The file is empty.');
    const args = decoderArgs(path, type, options.sampleRate, options.maxSeconds);
    let pcm: Buffer;
    try {
      pcm = await runFfmpeg(this.runner, args, new Uint8Array(0), `decode ${type}`, signal);
    } catch (error) {
      // ffmpeg ran and refused the input: the client's audio is corrupt or not what it seems.
      if (error instanceof FfmpegError && error.exitCode !== null) {
        throw new AudioFormatError(`The ${type} audio could not be decoded (corrupt or truncated).`);
      }
      throw error;
    }
    const samples = samplesFromPcm(pcm);
    return {
      samples,
      sampleRate: options.sampleRate,
      durationSeconds: samples.length / options.sampleRate,
    };
  }

  /** The clip at another rate (word timings, in seconds, are unchanged). */
  async resample(clip: AudioClip, sampleRate: number, signal?: AbortSignal): Promise<AudioClip> {
    checkClip(clip);
    outputSampleRate('pcm', clip.sampleRate, sampleRate);
    if (sampleRate === clip.sampleRate) return clip;
    const args = [...inputArgs(clip.sampleRate), ...outputArgs('s16le', sampleRate, { streaming: false })];
    const what = `resample to ${sampleRate} Hz`;
    const pcm = await runFfmpeg(this.runner, args, pcmBytes(clip.samples), what, signal);
    return { samples: samplesFromPcm(pcm), sampleRate, ...(clip.words ? { words: clip.words } : {}) };
  }

  /**
   * Encodes clips as they arrive: the first bytes leave while later clips are still being
   * synthesised. wav is a streaming header then PCM, pcm is raw; mp3 and opus (and wav/pcm
   * at another rate) go through one long-lived ffmpeg whose stdin takes each clip as it
   * comes (only as fast as ffmpeg reads: backpressure reaches the source) and whose
   * output is yielded as ffmpeg writes it. Every clip must have the first one's rate.
   * ffmpeg is killed when the signal aborts, when the source fails and when the consumer
   * stops early (break/return()); the source is then closed too. No input, no output.
   */
  async *encodeStream(
    chunks: AsyncIterable<AudioClip>,
    format: OutputFormat,
    options: EncodeOptions = {},
    signal?: AbortSignal,
  ): AsyncGenerator<Buffer> {
    if (!STREAMABLE_FORMATS.includes(format)) throw new AudioFormatError(`${format} cannot be streamed.`);
    const iterator = chunks[Symbol.asyncIterator]();
    let exhausted = false;
    try {
      const first = await nextOrAbort(iterator, signal);
      if (first.done) {
        exhausted = true;
        return;
      }
      checkClip(first.value);
      const sourceRate = first.value.sampleRate;
      const rate = outputSampleRate(format, sourceRate, options.sampleRate);
      const pcm = pcmOf(first.value, iterator, signal, () => (exhausted = true));
      if (format === 'wav') yield wavHeaderForStream(rate);
      if ((format === 'wav' || format === 'pcm') && rate === sourceRate) {
        for await (const bytes of pcm) yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return;
      }
      const output: FfmpegOutput = format === 'wav' || format === 'pcm' ? 's16le' : format;
      const release = await this.limiter.acquire(signal);
      try {
        const args = [...inputArgs(sourceRate), ...outputArgs(output, rate, { streaming: true })];
        yield* streamFfmpeg(this.ffmpegPath, args, pcm, `stream ${format}`, signal);
      } finally {
        release();
      }
    } finally {
      if (!exhausted) closeQuietly(iterator);
    }
  }

  /**
   * encodeStream, with ffmpeg (when the format needs it) started now rather than when the
   * first clip arrives: its start-up (tens of milliseconds) overlaps the first chunk's
   * synthesis instead of delaying the first bytes. `sourceRate` is the rate the clips are
   * expected at; clips at another rate are encoded by a fresh encodeStream.
   */
  async prepareStream(
    format: OutputFormat,
    sourceRate: number,
    options: EncodeOptions = {},
    signal?: AbortSignal,
  ): Promise<PreparedStream> {
    if (!STREAMABLE_FORMATS.includes(format)) throw new AudioFormatError(`${format} cannot be streamed.`);
    const rate = outputSampleRate(format, sourceRate, options.sampleRate);
    const plain: PreparedStream = {
      encode: (chunks, encodeSignal) => this.encodeStream(chunks, format, options, encodeSignal),
      cancel: () => undefined,
    };
    if ((format === 'wav' || format === 'pcm') && rate === sourceRate) return plain;
    const output: FfmpegOutput = format === 'wav' || format === 'pcm' ? 's16le' : format;
    const release = await this.limiter.acquire(signal);
    let started;
    try {
      started = this.takeEncoder([
        ...inputArgs(sourceRate),
        ...outputArgs(output, rate, { streaming: true }),
      ]);
    } catch (error) {
      release();
      throw error;
    }
    const process = started;
    let settled = false;
    const settle = async (): Promise<void> => {
      if (settled) return;
      settled = true;
      await process.cancel().finally(release);
    };
    const encodeStream = this.encodeStream.bind(this);
    return {
      cancel: () => void settle(),
      async *encode(chunks, encodeSignal) {
        if (settled) throw new AudioFormatError('This prepared stream was already used.');
        const iterator = chunks[Symbol.asyncIterator]();
        let exhausted = false;
        try {
          const first = await nextOrAbort(iterator, encodeSignal);
          if (first.done) {
            exhausted = true;
            return;
          }
          checkClip(first.value);
          if (first.value.sampleRate !== sourceRate) {
            await settle();
            exhausted = true; // handed on: encodeStream closes it
            yield* encodeStream(prepend(first.value, iterator), format, options, encodeSignal);
            return;
          }
          settled = true;
          try {
            if (format === 'wav') yield wavHeaderForStream(rate);
            const pcm = pcmOf(first.value, iterator, encodeSignal, () => (exhausted = true));
            yield* process.run(pcm, `stream ${format}`, encodeSignal);
          } finally {
            release();
          }
        } finally {
          await settle();
          if (!exhausted) closeQuietly(iterator);
        }
      },
    };
  }

  /**
   * Encodes clips as they arrive into the file at `path` and answers its size: memory
   * holds one clip at a time however long the audio. wav and pcm at the clips' rate are
   * written directly (the WAV header is written last, once the length is known); mp3 and
   * flac are written by ffmpeg itself, so the file gets the same headers as encode() gives;
   * other formats are ffmpeg's output on a pipe. `sourceRate` is the clips' rate (every
   * clip must have it); no clips give an empty WAV (or an empty encoding).
   */
  async encodeToFile(
    chunks: AsyncIterable<AudioClip>,
    format: OutputFormat,
    sourceRate: number,
    path: string,
    options: EncodeOptions = {},
    signal?: AbortSignal,
  ): Promise<number> {
    signal?.throwIfAborted();
    const rate = outputSampleRate(format, sourceRate, options.sampleRate);
    const iterator = chunks[Symbol.asyncIterator]();
    let exhausted = false;
    const pcm = pcmAt(sourceRate, iterator, signal, () => (exhausted = true));
    try {
      const output: FfmpegOutput = format === 'wav' || format === 'pcm' ? 's16le' : format;
      if (SEEKABLE_OUTPUTS.has(output)) {
        const args = [
          ...inputArgs(sourceRate),
          ...outputArgs(output, rate, { streaming: false, destination: path }),
        ];
        const release = await this.limiter.acquire(signal);
        try {
          for await (const bytes of streamFfmpeg(this.ffmpegPath, args, pcm, `encode ${format}`, signal)) {
            void bytes; // ffmpeg writes the file; stdout stays empty
          }
        } finally {
          release();
        }
        return (await stat(path)).size;
      }
      const file = await open(path, 'w');
      try {
        let written = 0;
        const write = async (bytes: Uint8Array): Promise<void> => {
          await file.write(bytes, 0, bytes.length, written);
          written += bytes.length;
        };
        if (format === 'wav') await write(Buffer.alloc(WAV_HEADER_BYTES));
        if ((format === 'wav' || format === 'pcm') && rate === sourceRate) {
          for await (const bytes of pcm) await write(bytes);
        } else {
          const args = [...inputArgs(sourceRate), ...outputArgs(output, rate, { streaming: false })];
          const release = await this.limiter.acquire(signal);
          try {
            for await (const bytes of streamFfmpeg(this.ffmpegPath, args, pcm, `encode ${format}`, signal)) {
              await write(bytes);
            }
          } finally {
            release();
          }
        }
        if (format === 'wav')
          await file.write(wavHeader(rate, written - WAV_HEADER_BYTES), 0, WAV_HEADER_BYTES, 0);
        return written;
      } finally {
        await file.close();
      }
    } finally {
      if (!exhausted) closeQuietly(iterator);
    }
  }

  private async encodeWithFfmpeg(
    clip: AudioClip,
    output: FfmpegOutput,
    rate: number,
    signal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const encode = async (destination?: string): Promise<Buffer> => {
      const args = [
        ...inputArgs(clip.sampleRate),
        ...outputArgs(output, rate, { streaming: false, destination }),
      ];
      const stdout = await runFfmpeg(this.runner, args, pcmBytes(clip.samples), `encode ${output}`, signal);
      return destination ? await readFile(destination) : stdout;
    };
    if (!SEEKABLE_OUTPUTS.has(output)) return encode();
    // The runner's private directory, removed afterwards; when none can be made the pipe
    // still works, with a poorer header.
    let made = false;
    return this.runner
      .inTempDir((directory) => {
        made = true;
        return encode(join(directory, `audio.${output}`));
      })
      .catch((error: unknown) => {
        if (!made) return encode();
        throw error;
      });
  }
}
