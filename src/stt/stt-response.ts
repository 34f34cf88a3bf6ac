import { StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { Enveloped } from '../common/envelope.js';
import type { TimedText } from '../engines/ports/stt-engine.js';
import type { SttOutcome } from './stt.service.js';
import { toSrt, toVtt } from './transcript-formats.js';

const CONTENT_TYPES = {
  text: 'text/plain; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
} as const;

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function timed(items: readonly TimedText[]): Array<{ text: string; start: number; end: number }> {
  return items.map((item) => ({ text: item.text, start: round(item.start), end: round(item.end) }));
}

function setHeaders(res: Response, outcome: SttOutcome): void {
  res.setHeader('X-Engine', outcome.engine);
  res.setHeader('X-Audio-Duration', outcome.transcript.durationSeconds.toFixed(3));
  if (outcome.ignoredParams.length > 0) res.setHeader('X-Ignored-Params', outcome.ignoredParams.join(', '));
}

/** text, srt and vtt answers: the same bytes on /stt and /v1/audio/transcriptions. */
function textAnswer(format: keyof typeof CONTENT_TYPES, outcome: SttOutcome): StreamableFile {
  const { transcript } = outcome;
  const body =
    format === 'srt'
      ? toSrt(transcript.segments)
      : format === 'vtt'
        ? toVtt(transcript.segments)
        : `${transcript.text}\n`;
  const bytes = Buffer.from(body, 'utf8');
  return new StreamableFile(bytes, { type: CONTENT_TYPES[format], length: bytes.length });
}

export interface SttJsonAnswer {
  text: string;
  language: string | null;
  duration_seconds: number;
  engine: string;
  audio_type: string;
  ignored_params: string[];
}

export interface SttVerboseAnswer extends SttJsonAnswer {
  segments: Array<{ id: number; start: number; end: number; text: string }>;
  words?: Array<{ text: string; start: number; end: number }>;
}

/** POST /stt: json and verbose_json in the envelope; text, srt, vtt as documents. */
export function nativeAnswer(
  res: Response,
  outcome: SttOutcome,
): StreamableFile | Enveloped<SttJsonAnswer | SttVerboseAnswer> {
  setHeaders(res, outcome);
  const format = outcome.options.response_format ?? 'json';
  if (format === 'text' || format === 'srt' || format === 'vtt') return textAnswer(format, outcome);
  const { transcript } = outcome;
  const base: SttJsonAnswer = {
    text: transcript.text,
    language: transcript.language ?? null,
    duration_seconds: round(transcript.durationSeconds),
    engine: outcome.engine,
    audio_type: outcome.audioType,
    ignored_params: outcome.ignoredParams,
  };
  if (format === 'json') return new Enveloped(base, 'Audio transcribed.');
  const wantsWords =
    outcome.options.timestamps === true || outcome.options.timestamp_granularities?.includes('word');
  return new Enveloped(
    {
      ...base,
      segments: timed(transcript.segments).map((segment, id) => ({ id, ...segment })),
      ...(wantsWords && transcript.words ? { words: timed(transcript.words) } : {}),
    },
    'Audio transcribed.',
  );
}

/** OpenAI names languages in English words ("english"), not codes. */
function languageName(code: string | undefined): string {
  if (!code) return 'unknown';
  try {
    return (new Intl.DisplayNames(['en'], { type: 'language' }).of(code.split('-')[0]) ?? code).toLowerCase();
  } catch {
    return code.toLowerCase();
  }
}

/**
 * POST /v1/audio/transcriptions in OpenAI's shapes: json `{text, usage}`, verbose_json
 * `{task, language, duration, text, segments, words?}` (segments always, as OpenAI's
 * default granularity; words when `timestamp_granularities[]` has `word`), text/srt/vtt.
 */
export function openAiAnswer(res: Response, outcome: SttOutcome): StreamableFile | Record<string, unknown> {
  setHeaders(res, outcome);
  const format = outcome.options.response_format ?? 'json';
  if (format === 'text' || format === 'srt' || format === 'vtt') return textAnswer(format, outcome);
  const { transcript } = outcome;
  const usage = { type: 'duration', seconds: Math.ceil(transcript.durationSeconds) };
  if (format === 'json') return { text: transcript.text, usage };
  const granularities = outcome.options.timestamp_granularities ?? ['segment'];
  return {
    task: 'transcribe',
    language: languageName(transcript.language),
    duration: round(transcript.durationSeconds),
    text: transcript.text,
    segments: timed(transcript.segments).map((segment, id) => ({
      id,
      seek: 0,
      start: segment.start,
      end: segment.end,
      text: segment.text,
      tokens: [],
      temperature: outcome.options.temperature ?? 0,
      avg_logprob: 0,
      compression_ratio: 0,
      no_speech_prob: 0,
    })),
    ...(granularities.includes('word') && transcript.words
      ? { words: timed(transcript.words).map(({ text, start, end }) => ({ word: text, start, end })) }
      : {}),
    usage,
  };
}
