import { samplesFromPcm } from '../../../audio/pcm.js';
import { decodeWav } from '../../../audio/wav.js';
import type { AudioClip } from '../../ports/audio-clip.js';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineHealth, EngineVoice } from '../../ports/engine-health.js';
import type { SynthesisRequest, TtsCapabilities, TtsEngine } from '../../ports/tts-engine.js';
import { RemoteConnection } from '../remote/remote-connection.js';
import { remoteTtsCapabilities } from '../remote/remote-tts-capabilities.js';
import { parseRetryAfter, RemoteEngineError } from '../remote/remote-engine-error.js';
import { HEALTH_TIMEOUT_MS, type RemoteCall, type RemoteHttpClient } from '../remote/remote-http-client.js';
import { MINIMAX_SAMPLE_RATES, type MiniMaxOptions } from './minimax-options.js';
import { MINIMAX_CREDENTIAL_STATUSES, minimaxStatusKind, readBaseResp } from './minimax-status.js';

const T2A_PATH = '/v1/t2a_v2';
/** MiniMax's voice list; free to call, so it serves as the health probe. */
const VOICE_LIST_PATH = '/v1/get_voice';
/** voice_setting.speed range. */
const MIN_SPEED = 0.5;
const MAX_SPEED = 2;
/** voice_setting.pitch is whole semitones in this range. */
const MAX_SEMITONES = 12;
/** voice_setting.emotion values across MiniMax's models (fluent and whisper: speech-2.6 and later). */
export const MINIMAX_EMOTIONS: readonly string[] = [
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgusted',
  'surprised',
  'calm',
  'neutral',
  'fluent',
  'whisper',
];
const HEX_AUDIO = /^(?:[0-9a-f]{2})+$/i;

/** The gateway's pitch factor (1 = normal, 0.5–2) as MiniMax's semitones (-12–12). */
export function pitchToSemitones(pitch: number): number {
  return Math.round(MAX_SEMITONES * Math.log2(pitch));
}

interface T2aAnswer {
  audioHex: unknown;
  sampleRate: unknown;
}

function readAnswer(body: unknown): T2aAnswer {
  const record = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const data = record.data && typeof record.data === 'object' ? (record.data as Record<string, unknown>) : {};
  const extra =
    record.extra_info && typeof record.extra_info === 'object'
      ? (record.extra_info as Record<string, unknown>)
      : {};
  return { audioHex: data.audio, sampleRate: extra.audio_sample_rate };
}

/**
 * MiniMax's synchronous T2A v2 (the OdeaDev provider): one POST {base_url}/v1/t2a_v2 per
 * call with model, text, stream false, voice_setting (voice_id, speed, vol, pitch,
 * emotion) and audio_setting (sample_rate, format wav or pcm, mono). The answer carries the
 * audio as hex in data.audio and the outcome in base_resp, whose status codes map to
 * transient / unavailable / client errors (minimax-status.ts), whatever the HTTP status.
 */
export class MiniMaxTtsEngine implements TtsEngine {
  readonly type = 'minimax';
  private readonly connection: RemoteConnection;
  private readonly voiceIds: ReadonlySet<string>;

  constructor(
    readonly id: string,
    private readonly options: MiniMaxOptions,
  ) {
    this.connection = new RemoteConnection(id, options, () => this.probe());
    this.voiceIds = new Set(options.voices.map((voice) => voice.id));
  }

  private get client(): RemoteHttpClient {
    return this.connection.client;
  }

  capabilities(): TtsCapabilities {
    return remoteTtsCapabilities(['speed', 'pitch', 'emotion'], this.options.sampleRate);
  }

  listVoices(signal?: AbortSignal): Promise<EngineVoice[]> {
    if (signal?.aborted) return Promise.reject(abortedError(this.id));
    return Promise.resolve(this.options.voices.map((voice) => ({ ...voice })));
  }

  async synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<AudioClip> {
    this.connection.ensureOpen(signal);
    if (request.text.trim() === '') {
      throw new EngineError('invalid_input', 'The text to synthesise is empty.', this.id);
    }
    if (!this.voiceIds.has(request.voiceId)) {
      throw new EngineError(
        'voice_not_found',
        `Engine ${this.id} has no voice '${request.voiceId}'.`,
        this.id,
      );
    }
    const call: RemoteCall = {
      method: 'POST',
      path: T2A_PATH,
      ...(this.options.groupId ? { query: { GroupId: this.options.groupId } } : {}),
      json: {
        model: this.options.model,
        text: request.text,
        stream: false,
        output_format: 'hex',
        voice_setting: this.voiceSetting(request),
        audio_setting: { sample_rate: this.options.sampleRate, format: this.options.audioFormat, channel: 1 },
      },
      signal,
      refineError: (failure) =>
        this.statusError(T2A_PATH, readBaseResp(this.tryJson(failure.body)), failure.retryAfterSeconds),
    };
    const reply = await this.client.send(call);
    const body = this.client.readJson(call, reply);
    const status = readBaseResp(body);
    if (!status) throw this.client.failure(`${this.client.where(T2A_PATH)} answered without base_resp`);
    const error = this.statusError(T2A_PATH, status, parseRetryAfter(reply.header('retry-after') ?? null));
    if (error) throw error;
    return this.decode(readAnswer(body));
  }

  health(): Promise<EngineHealth> {
    return this.connection.health();
  }

  dispose(): Promise<void> {
    return this.connection.dispose();
  }

  private voiceSetting(request: SynthesisRequest): Record<string, unknown> {
    const speed = request.speed ?? 1;
    if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) {
      throw new EngineError(
        'invalid_input',
        `MiniMax speaks at speed ${MIN_SPEED}–${MAX_SPEED}, not ${speed}.`,
        this.id,
      );
    }
    const pitch = pitchToSemitones(request.pitch ?? 1);
    if (!(Math.abs(pitch) <= MAX_SEMITONES)) {
      throw new EngineError('invalid_input', `MiniMax takes pitch 0.5–2, not ${request.pitch}.`, this.id);
    }
    const emotion = request.emotion?.trim().toLowerCase();
    if (emotion && !MINIMAX_EMOTIONS.includes(emotion)) {
      throw new EngineError(
        'invalid_input',
        `MiniMax knows the emotions ${MINIMAX_EMOTIONS.join(', ')}, not '${request.emotion}'.`,
        this.id,
      );
    }
    return {
      voice_id: request.voiceId,
      speed,
      vol: this.options.volume,
      pitch,
      ...(emotion ? { emotion } : {}),
    };
  }

  private tryJson(body: Uint8Array): unknown {
    try {
      return JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /** The EngineError of a non-zero base_resp, undefined for success (or no base_resp). */
  private statusError(
    path: string,
    status: ReturnType<typeof readBaseResp>,
    retryAfterSeconds: number | undefined,
  ): EngineError | undefined {
    if (!status || status.statusCode === 0) return undefined;
    const kind = minimaxStatusKind(status.statusCode);
    const said = MINIMAX_CREDENTIAL_STATUSES.has(status.statusCode)
      ? `; ${this.client.credentialsHint()}`
      : this.client.quote(status.statusMsg);
    const message = `${this.client.where(path)} answered status_code ${status.statusCode}${said}`;
    return new RemoteEngineError(
      kind,
      message,
      this.id,
      kind === 'transient' ? retryAfterSeconds : undefined,
    );
  }

  private decode(answer: T2aAnswer): AudioClip {
    const where = this.client.where(T2A_PATH);
    if (typeof answer.audioHex !== 'string' || !HEX_AUDIO.test(answer.audioHex)) {
      const what = typeof answer.audioHex === 'string' ? 'audio that is not hex' : 'no data.audio';
      throw this.client.failure(`${where} answered ${what}`);
    }
    const bytes = Buffer.from(answer.audioHex, 'hex');
    let clip: AudioClip;
    if (this.options.audioFormat === 'wav') {
      try {
        const wav = decodeWav(bytes);
        clip = { samples: wav.samples, sampleRate: wav.sampleRate };
      } catch (error) {
        throw this.client.failure(`${where} answered data.audio that is not 16-bit WAV`, error);
      }
    } else {
      const reported = answer.sampleRate;
      const rate =
        typeof reported === 'number' && MINIMAX_SAMPLE_RATES.includes(reported)
          ? reported
          : this.options.sampleRate;
      clip = { samples: samplesFromPcm(bytes), sampleRate: rate };
    }
    if (clip.samples.length === 0) throw this.client.failure(`${where} answered empty audio`);
    return clip;
  }

  private async probe(): Promise<EngineHealth> {
    const call: RemoteCall = {
      method: 'POST',
      path: VOICE_LIST_PATH,
      json: { voice_type: 'system' },
      signal: new AbortController().signal,
      timeoutMs: HEALTH_TIMEOUT_MS,
    };
    try {
      const error = this.statusError(
        VOICE_LIST_PATH,
        readBaseResp(await this.client.sendJson(call)),
        undefined,
      );
      if (error) return { available: false, reason: error.message };
      return { available: true };
    } catch (error) {
      return { available: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }
}
