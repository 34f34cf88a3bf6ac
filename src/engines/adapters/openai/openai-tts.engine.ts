import type { Logger } from 'pino';
import { samplesFromPcm } from '../../../audio/pcm.js';
import { decodeWav } from '../../../audio/wav.js';
import type { AudioClip } from '../../ports/audio-clip.js';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineHealth, EngineVoice } from '../../ports/engine-health.js';
import type { SynthesisRequest, TtsCapabilities, TtsEngine } from '../../ports/tts-engine.js';
import { RemoteConnection } from '../remote/remote-connection.js';
import { remoteTtsCapabilities } from '../remote/remote-tts-capabilities.js';
import { RemoteEngineError } from '../remote/remote-engine-error.js';
import type { RemoteErrorBody } from '../remote/remote-error-body.js';
import type { RemoteHttpClient, RemoteHttpFailure } from '../remote/remote-http-client.js';
import type { OpenAiOptions } from './openai-options.js';

const SPEECH_PATH = '/audio/speech';

function isVoiceError(error: RemoteErrorBody): boolean {
  return error.param === 'voice' || /voice/i.test(error.code ?? '') || /\bvoice\b/i.test(error.message ?? '');
}

/**
 * Any server speaking OpenAI's text-to-speech API: OpenAI itself, speaches, Kokoro-FastAPI,
 * LocalAI, Chatterbox's OpenAI endpoint, or another speech-gateway. One POST
 * `{base_url}/audio/speech` per call, asking for WAV so the sample rate travels with the
 * audio, over the shared RemoteHttpClient (keep-alive sockets, deadline, error mapping,
 * key scrubbing).
 */
export class OpenAiTtsEngine implements TtsEngine {
  readonly type = 'openai';
  private warnedRate = false;
  private readonly connection: RemoteConnection;

  constructor(
    readonly id: string,
    private readonly options: OpenAiOptions,
    private readonly logger: Logger,
  ) {
    this.connection = new RemoteConnection(id, options);
  }

  private get client(): RemoteHttpClient {
    return this.connection.client;
  }

  capabilities(): TtsCapabilities {
    return {
      ...remoteTtsCapabilities(['speed'], this.options.sampleRate),
      finalAudio: this.options.finalAudio,
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
    this.connection.ensureOpen(signal);
    if (request.text.trim() === '') {
      throw new EngineError('invalid_input', 'The text to synthesise is empty.', this.id);
    }
    const reply = await this.client.send({
      method: 'POST',
      path: SPEECH_PATH,
      json: {
        model: this.options.model,
        input: request.text,
        voice: request.voiceId,
        response_format: 'wav',
        speed: request.speed ?? 1,
      },
      signal,
      refineError: (failure) => this.voiceError(failure),
    });
    return this.decode(reply.contentType, reply.body);
  }

  health(): Promise<EngineHealth> {
    return this.connection.health();
  }

  dispose(): Promise<void> {
    return this.connection.dispose();
  }

  /** OpenAI answers 400 with param 'voice' for an unknown voice; self-hosted servers 404 voice_not_found. */
  private voiceError(failure: RemoteHttpFailure): EngineError | undefined {
    const { status, remote } = failure;
    const unknownVoice =
      (status === 404 && isVoiceError(remote)) ||
      ((status === 400 || status === 422) &&
        (remote.param === 'voice' || /voice_not_found/i.test(remote.code ?? '')));
    return unknownVoice ? new RemoteEngineError('voice_not_found', failure.message, this.id) : undefined;
  }

  private decode(contentType: string, body: Uint8Array): AudioClip {
    const where = this.client.where(SPEECH_PATH);
    let clip: AudioClip;
    try {
      const wav = decodeWav(body);
      clip = { samples: wav.samples, sampleRate: wav.sampleRate };
    } catch (error) {
      if (contentType === 'audio/pcm' || contentType === 'audio/l16') {
        // Some servers ignore response_format and send OpenAI's raw pcm: s16le mono at sample_rate.
        clip = { samples: samplesFromPcm(body), sampleRate: this.options.sampleRate };
      } else {
        const what = contentType || 'no content type';
        throw this.client.failure(
          `${where} answered ${what} (${body.byteLength} bytes) instead of WAV audio`,
          error,
        );
      }
    }
    if (clip.samples.length === 0) throw this.client.failure(`${where} answered empty audio`);
    if (clip.sampleRate !== this.options.sampleRate && !this.warnedRate) {
      this.warnedRate = true;
      this.logger.warn(
        { engine: this.id, received: clip.sampleRate, configured: this.options.sampleRate },
        'openai: the server answers at a different sample rate than options.sample_rate; set it to match',
      );
    }
    return clip;
  }
}
