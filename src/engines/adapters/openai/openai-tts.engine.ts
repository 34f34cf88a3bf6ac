import type { Logger } from 'pino';
import { samplesFromPcm } from '../../../audio/pcm.js';
import { decodeWav } from '../../../audio/wav.js';
import type { AudioClip } from '../../ports/audio-clip.js';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineHealth, EngineVoice } from '../../ports/engine-health.js';
import type { SynthesisRequest, TtsCapabilities, TtsEngine } from '../../ports/tts-engine.js';
import type { OpenAiOptions } from './openai-options.js';
import { parseRetryAfter, RemoteEngineError } from './remote-engine-error.js';

/** health() gives the server this long to answer GET /models. */
export const HEALTH_TIMEOUT_MS = 5_000;
/** health() answers from its last probe for this long (the registry and /health poll it). */
export const HEALTH_CACHE_MS = 10_000;
/** Longest piece of a server's error text quoted in an EngineError message. */
const MAX_QUOTED_CHARS = 300;

interface RemoteErrorBody {
  message?: string;
  param?: string;
  code?: string;
}

/** The useful parts of an error body: OpenAI's {error:{message,type,param,code}}, FastAPI's {detail}, or text. */
function readErrorBody(body: Uint8Array): RemoteErrorBody {
  const raw = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8').trim();
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      const error = record.error;
      if (error && typeof error === 'object') {
        const e = error as Record<string, unknown>;
        return {
          message: typeof e.message === 'string' ? e.message : undefined,
          param: typeof e.param === 'string' ? e.param : undefined,
          code: typeof e.code === 'string' ? e.code : undefined,
        };
      }
      if (typeof error === 'string') return { message: error };
      if (record.detail !== undefined) {
        return { message: typeof record.detail === 'string' ? record.detail : JSON.stringify(record.detail) };
      }
      if (typeof record.message === 'string') return { message: record.message };
    }
  } catch {
    // Not JSON: quote the text.
  }
  return { message: raw || undefined };
}

function isVoiceError(error: RemoteErrorBody): boolean {
  return error.param === 'voice' || /voice/i.test(error.code ?? '') || /\bvoice\b/i.test(error.message ?? '');
}

function errorCode(error: unknown): string | undefined {
  // undici wraps socket errors: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }).
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current === 'object' && 'code' in current && typeof current.code === 'string') {
      return current.code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Any server speaking OpenAI's text-to-speech API: OpenAI itself, speaches, Kokoro-FastAPI,
 * LocalAI, Chatterbox's OpenAI endpoint, or another speech-gateway. One POST
 * `{base_url}/audio/speech` per call, asking for WAV so the sample rate travels with the
 * audio. HTTP goes through Node's global fetch (undici), whose dispatcher keeps connections
 * alive and pools them per origin, so consecutive calls reuse sockets.
 *
 * The API key is only ever put in the Authorization header: no log line and no error
 * message contains it (server error text is scrubbed of it too, in case a server echoes it).
 */
export class OpenAiTtsEngine implements TtsEngine {
  readonly type = 'openai';
  private disposed = false;
  private healthProbe?: { at: number; result: Promise<EngineHealth> };
  private warnedRate = false;

  constructor(
    readonly id: string,
    private readonly options: OpenAiOptions,
    private readonly logger: Logger,
  ) {}

  capabilities(): TtsCapabilities {
    return {
      kind: 'remote',
      streaming: false,
      wordTimestamps: false,
      cloning: false,
      supportedParams: ['speed'],
      sampleRate: this.options.sampleRate,
    };
  }

  listVoices(signal?: AbortSignal): Promise<EngineVoice[]> {
    if (signal?.aborted) return Promise.reject(abortedError(this.id));
    return Promise.resolve(
      this.options.voices.map((voice) => ({
        id: voice,
        name: voice,
        language: this.options.language,
        gender: 'unknown' as const,
      })),
    );
  }

  async synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<AudioClip> {
    if (signal.aborted) throw abortedError(this.id);
    if (this.disposed) throw new EngineError('unavailable', `Engine ${this.id} has been disposed.`, this.id);
    if (request.text.trim() === '') {
      throw new EngineError('invalid_input', 'The text to synthesise is empty.', this.id);
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = AbortSignal.any([signal, timeout]);
    let response: Response;
    let body: Uint8Array;
    try {
      response = await fetch(`${this.options.baseUrl}/audio/speech`, {
        method: 'POST',
        headers: { ...this.authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: this.options.model,
          input: request.text,
          voice: request.voiceId,
          response_format: 'wav',
          speed: request.speed ?? 1,
        }),
        signal: combined,
      });
      // Reading the body is covered by the same signal: an abort mid-download rejects here too.
      body = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw this.requestError(error, signal, timeout);
    }
    if (!response.ok) throw this.httpError(response.status, response.headers, body);
    return this.decode(response.headers.get('content-type') ?? '', body);
  }

  health(): Promise<EngineHealth> {
    if (this.disposed) return Promise.resolve({ available: false, reason: 'The engine has been disposed.' });
    const now = Date.now();
    if (!this.healthProbe || now - this.healthProbe.at >= HEALTH_CACHE_MS) {
      this.healthProbe = { at: now, result: this.probe() };
    }
    return this.healthProbe.result;
  }

  dispose(): Promise<void> {
    // Nothing to close: sockets belong to fetch's shared pool and idle out on their own.
    this.disposed = true;
    return Promise.resolve();
  }

  private authHeaders(): Record<string, string> {
    return this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  /** The origin and path, for messages (base_url cannot hold credentials: the options forbid them). */
  private get where(): string {
    return this.options.baseUrl;
  }

  /** Server text made safe to quote: trimmed, shortened, and without the key. */
  private quote(text: string | undefined): string {
    if (!text) return '';
    let safe = text.replace(/\s+/g, ' ').trim();
    if (this.options.apiKey) safe = safe.split(this.options.apiKey).join('[redacted]');
    if (safe.length > MAX_QUOTED_CHARS) safe = `${safe.slice(0, MAX_QUOTED_CHARS)}…`;
    return safe ? `: ${safe}` : '';
  }

  private async probe(): Promise<EngineHealth> {
    try {
      const response = await fetch(`${this.options.baseUrl}/models`, {
        headers: this.authHeaders(),
        signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) return { available: true };
      const hint =
        response.status === 401 || response.status === 403
          ? ` (the API key was rejected${this.options.apiKeyEnv ? `; check ${this.options.apiKeyEnv}` : ''})`
          : '';
      return {
        available: false,
        reason: `GET ${this.where}/models answered HTTP ${response.status}${hint}.`,
      };
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const reason = timedOut
        ? `GET ${this.where}/models did not answer within ${HEALTH_TIMEOUT_MS / 1000} s.`
        : `Cannot reach ${this.where} (${errorCode(error) ?? (error instanceof Error ? error.message : String(error))}).`;
      return { available: false, reason };
    }
  }

  private requestError(error: unknown, signal: AbortSignal, timeout: AbortSignal): EngineError {
    if (signal.aborted) return abortedError(this.id);
    if (timeout.aborted) {
      return new RemoteEngineError(
        'transient',
        `${this.where} timed out: no complete answer within ${this.options.timeoutMs / 1000} s.`,
        this.id,
        undefined,
        { cause: error },
      );
    }
    const detail = errorCode(error) ?? (error instanceof Error ? error.message : String(error));
    return new RemoteEngineError(
      'transient',
      `The request to ${this.where} failed (${detail}).`,
      this.id,
      undefined,
      { cause: error },
    );
  }

  private httpError(status: number, headers: Headers, body: Uint8Array): EngineError {
    const remote = readErrorBody(body);
    const said = this.quote(remote.message);
    const message = `${this.where}/audio/speech answered HTTP ${status}${said}`;
    if (status === 429 || status >= 500 || status === 408) {
      return new RemoteEngineError(
        'transient',
        message,
        this.id,
        parseRetryAfter(headers.get('retry-after')),
      );
    }
    if (status === 401 || status === 403) {
      const check = this.options.apiKeyEnv
        ? `check the key in ${this.options.apiKeyEnv}`
        : this.options.apiKey
          ? 'check options.api_key'
          : 'the server needs a key: set options.api_key_env';
      // Deliberately not quoting the server here: some echo the presented credentials.
      return new EngineError(
        'unavailable',
        `${this.where} refused the credentials (HTTP ${status}); ${check}.`,
        this.id,
      );
    }
    if (status === 404) {
      if (isVoiceError(remote)) return new EngineError('voice_not_found', message, this.id);
      return new EngineError('unavailable', `${message} (is base_url right?)`, this.id);
    }
    if (status === 400 || status === 422 || status === 413) {
      // OpenAI itself answers 400 with param 'voice' for an unknown voice.
      if (remote.param === 'voice' || /voice_not_found/i.test(remote.code ?? '')) {
        return new EngineError('voice_not_found', message, this.id);
      }
      return new EngineError('invalid_input', message, this.id);
    }
    return new EngineError('failed', message, this.id);
  }

  private decode(contentType: string, body: Uint8Array): AudioClip {
    const type = contentType.split(';')[0].trim().toLowerCase();
    let clip: AudioClip;
    try {
      const wav = decodeWav(body);
      clip = { samples: wav.samples, sampleRate: wav.sampleRate };
    } catch (error) {
      if (type === 'audio/pcm' || type === 'audio/l16') {
        // Some servers ignore response_format and send OpenAI's raw pcm: s16le mono at sample_rate.
        clip = { samples: samplesFromPcm(body), sampleRate: this.options.sampleRate };
      } else {
        const what = type || 'no content type';
        return this.fail(
          `${this.where}/audio/speech answered ${what} (${body.byteLength} bytes) instead of WAV audio`,
          error,
        );
      }
    }
    if (clip.samples.length === 0) return this.fail(`${this.where}/audio/speech answered empty audio`);
    if (clip.sampleRate !== this.options.sampleRate && !this.warnedRate) {
      this.warnedRate = true;
      this.logger.warn(
        { engine: this.id, received: clip.sampleRate, configured: this.options.sampleRate },
        'openai: the server answers at a different sample rate than options.sample_rate; set it to match',
      );
    }
    return clip;
  }

  private fail(message: string, cause?: unknown): never {
    throw new EngineError('failed', `${message}.`, this.id, cause === undefined ? undefined : { cause });
  }
}
