import { encodeWav } from '../../../audio/wav.js';
import { EngineError } from '../../ports/engine-error.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import type {
  SttAudio,
  SttCapabilities,
  SttEngine,
  TimedText,
  TranscribeOptions,
  Transcript,
} from '../../ports/stt-engine.js';
import { RemoteConnection } from '../remote/remote-connection.js';
import { RemoteEngineError } from '../remote/remote-engine-error.js';
import type { RemoteHttpFailure } from '../remote/remote-http-client.js';
import type { OpenAiSttOptions, TranscriptionFormat } from './openai-stt-options.js';

const TRANSCRIPTIONS_PATH = '/audio/transcriptions';

/** A 400 that says the server does not do verbose_json (or its timestamp granularities) for this model. */
function refusesVerboseJson(failure: RemoteHttpFailure): boolean {
  if (failure.status !== 400 && failure.status !== 422) return false;
  const { param, message } = failure.remote;
  return (
    param === 'response_format' ||
    param === 'timestamp_granularities' ||
    /verbose_json|response_format|timestamp_granularities/i.test(message ?? '')
  );
}

function timedTexts(value: unknown, textKey: 'text' | 'word'): TimedText[] {
  if (!Array.isArray(value)) return [];
  const items: TimedText[] = [];
  for (const entry of value as unknown[]) {
    if (!entry || typeof entry !== 'object') continue;
    const record = entry as Record<string, unknown>;
    const text = record[textKey];
    const { start, end } = record;
    if (typeof text !== 'string' || typeof start !== 'number' || typeof end !== 'number') continue;
    if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
    items.push({ text: text.trim(), start, end });
  }
  return items;
}

/**
 * Any server speaking OpenAI's speech-to-text API: OpenAI itself (whisper-1,
 * gpt-4o-transcribe), speaches, LocalAI or another gateway. One multipart POST
 * `{base_url}/audio/transcriptions` per call with the PCM as a WAV file, asking for
 * verbose_json with word and segment timestamps; a server that refuses verbose_json is
 * asked for json from then on (text only, one segment over the whole audio).
 */
export class OpenAiSttEngine implements SttEngine {
  readonly type = 'openai';
  private readonly connection: RemoteConnection;
  private format: TranscriptionFormat;

  constructor(
    readonly id: string,
    private readonly options: OpenAiSttOptions,
  ) {
    this.connection = new RemoteConnection(id, options);
    this.format = options.responseFormat;
  }

  capabilities(): SttCapabilities {
    return {
      sampleRate: this.options.sampleRate,
      languages: this.options.languages,
      wordTimestamps: this.format === 'verbose_json',
      supportedParams: ['prompt', 'temperature'],
    };
  }

  async transcribe(audio: SttAudio, options: TranscribeOptions, signal: AbortSignal): Promise<Transcript> {
    this.connection.ensureOpen(signal);
    if (audio.samples.length === 0) throw new EngineError('invalid_input', 'The audio is empty.', this.id);
    const wav = encodeWav(audio.samples, audio.sampleRate);
    const duration = audio.samples.length / audio.sampleRate;
    const format = this.format;
    try {
      return await this.request(wav, duration, options, format, signal);
    } catch (error) {
      if (!(error instanceof VerboseJsonRefused)) throw error;
      // Remember: every later call goes straight to json.
      this.format = 'json';
      return this.request(wav, duration, options, 'json', signal);
    }
  }

  health(): Promise<EngineHealth> {
    return this.connection.health();
  }

  dispose(): Promise<void> {
    return this.connection.dispose();
  }

  private async request(
    wav: Buffer,
    duration: number,
    options: TranscribeOptions,
    format: TranscriptionFormat,
    signal: AbortSignal,
  ): Promise<Transcript> {
    const form = new FormData();
    form.append('file', new Blob([wav], { type: 'audio/wav' }), 'audio.wav');
    form.append('model', this.options.model);
    form.append('response_format', format);
    if (format === 'verbose_json') {
      form.append('timestamp_granularities[]', 'word');
      form.append('timestamp_granularities[]', 'segment');
    }
    const language = options.language ?? this.options.defaultLanguage;
    if (language) form.append('language', language);
    if (options.prompt) form.append('prompt', options.prompt);
    if (options.temperature !== undefined) form.append('temperature', String(options.temperature));
    const body = await this.connection.client.sendJson({
      method: 'POST',
      path: TRANSCRIPTIONS_PATH,
      form,
      signal,
      refineError: (failure) =>
        format === 'verbose_json' && refusesVerboseJson(failure)
          ? new VerboseJsonRefused(failure, this.id)
          : undefined,
    });
    return this.transcript(body, duration, language);
  }

  private transcript(body: unknown, duration: number, language: string | undefined): Transcript {
    const record = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    if (typeof record.text !== 'string') {
      throw this.connection.client.failure(
        `${this.connection.client.where(TRANSCRIPTIONS_PATH)} answered without text`,
      );
    }
    const text = record.text.trim();
    const reported = typeof record.duration === 'number' && record.duration > 0 ? record.duration : duration;
    const segments = timedTexts(record.segments, 'text');
    const words = timedTexts(record.words, 'word');
    const spokenLanguage =
      typeof record.language === 'string' && record.language ? record.language : language;
    return {
      text,
      ...(spokenLanguage ? { language: spokenLanguage } : {}),
      durationSeconds: reported,
      segments: segments.length > 0 || text === '' ? segments : [{ text, start: 0, end: reported }],
      ...(Array.isArray(record.words) ? { words } : {}),
    };
  }
}

/** Internal signal: the server refused verbose_json; transcribe() retries with json. */
class VerboseJsonRefused extends RemoteEngineError {
  constructor(failure: RemoteHttpFailure, engineId: string) {
    super('invalid_input', failure.message, engineId);
  }
}
