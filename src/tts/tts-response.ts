import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { Enveloped } from '../common/envelope.js';
import { RequestContextStore } from '../common/request-context.js';
import type { TtsFileResult, TtsResult, TtsResultMeta, TtsStream } from './tts.service.js';

/** The JSON answer of /tts (the OdeaDev /v1/tts shape, plus what the gateway adds). */
export interface TtsJsonAnswer {
  audio_base64: string;
  format: string;
  content_type: string;
  duration_seconds: number;
  sample_rate: number;
  voice_used: string;
  engine: string;
  text_length: number;
  /** Only for admin keys, keyless development, or routers.core.tts.cache.expose_status. */
  cache?: 'hit' | 'miss';
  ignored_params: string[];
  /** Quota seconds left after this request (null when the request is not metered). */
  remaining_quota: number | null;
  /** The voice's own engine, when it could not serve and `engine` stood in. */
  fallback_from?: string;
  words?: Array<{ word: string; start: number; end: number }>;
}

/**
 * Whether this caller may see X-Cache (and the JSON `cache` field): a hit tells one tenant
 * what another synthesised, so only admin keys and keyless development see it, unless
 * routers.core.tts.cache.expose_status shows it to everyone.
 */
export function cacheStatusVisible(exposeStatus: boolean): boolean {
  if (exposeStatus) return true;
  const account = RequestContextStore.current()?.account;
  return account !== undefined && account.isAdmin && account.scopes.includes('admin');
}

/** Which engine and voice made the audio, and which engine it stood in for. */
export function setServedByHeaders(res: Response, meta: TtsResultMeta): void {
  res.setHeader('X-Voice-Used', meta.voice);
  res.setHeader('X-Engine', meta.engine);
  if (meta.fallbackFrom) res.setHeader('X-Fallback-From', meta.fallbackFrom);
}

function setCommonHeaders(res: Response, meta: TtsResultMeta): void {
  setServedByHeaders(res, meta);
  res.setHeader('X-Sample-Rate', String(meta.sampleRate));
  res.setHeader('X-Text-Length', String(meta.textLength));
  if (meta.ignoredParams.length > 0) res.setHeader('X-Ignored-Params', meta.ignoredParams.join(', '));
}

export function audioAnswer(res: Response, result: TtsResult, showCache: boolean): StreamableFile {
  setCommonHeaders(res, result);
  res.setHeader('X-Audio-Duration', result.durationSeconds.toFixed(3));
  if (showCache) res.setHeader('X-Cache', result.cache);
  return new StreamableFile(result.audio, { type: result.contentType, length: result.audio.length });
}

/** A result in a temporary file, streamed from disk with its length; the file is removed once sent (or abandoned). */
export function fileAnswer(res: Response, result: TtsFileResult, showCache: boolean): StreamableFile {
  setCommonHeaders(res, result);
  res.setHeader('X-Audio-Duration', result.durationSeconds.toFixed(3));
  if (showCache) res.setHeader('X-Cache', result.cache);
  return fileBody(result);
}

/** The file's bytes as a response body (Content-Length set); the file is released when the stream closes. */
export function fileBody(result: TtsFileResult): StreamableFile {
  const stream = createReadStream(result.file.path);
  stream.once('close', () => void result.file.release());
  return new StreamableFile(stream, { type: result.contentType, length: result.file.bytes });
}

export function streamAnswer(res: Response, stream: TtsStream, showCache: boolean): StreamableFile {
  setCommonHeaders(res, stream);
  if (showCache) res.setHeader('X-Cache', 'miss');
  // Chunked transfer: no Content-Length, bytes leave as each chunk is encoded.
  return new StreamableFile(Readable.from(stream.body), { type: stream.contentType });
}

export function jsonAnswer(res: Response, result: TtsResult, showCache: boolean): Enveloped<TtsJsonAnswer> {
  setServedByHeaders(res, result);
  if (showCache) res.setHeader('X-Cache', result.cache);
  if (result.ignoredParams.length > 0) res.setHeader('X-Ignored-Params', result.ignoredParams.join(', '));
  return new Enveloped(
    {
      audio_base64: result.audio.toString('base64'),
      format: result.format,
      content_type: result.contentType,
      duration_seconds: Math.round(result.durationSeconds * 1000) / 1000,
      sample_rate: result.sampleRate,
      voice_used: result.voice,
      engine: result.engine,
      text_length: result.textLength,
      ...(showCache ? { cache: result.cache } : {}),
      ignored_params: result.ignoredParams,
      remaining_quota: result.quotaRemainingSeconds ?? null,
      ...(result.fallbackFrom ? { fallback_from: result.fallbackFrom } : {}),
      ...(result.words ? { words: result.words } : {}),
    },
    'Speech synthesised.',
  );
}
