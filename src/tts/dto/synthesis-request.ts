import type { OutputFormat } from '../../audio/audio-format.js';
import type { TtsRequest } from '../tts.service.js';
import type { SynthesizeDto } from './synthesize.dto.js';
import { requestedVoice } from './voice-alias.js';

/**
 * What a /tts body asks the TTS service for, wherever the body arrives (the route, a job's
 * input): voice aliases resolved, `json` or no format meaning the configured default.
 */
export function synthesisRequestOf(body: SynthesizeDto, defaultFormat: string): TtsRequest {
  const format: OutputFormat =
    body.response_format && body.response_format !== 'json'
      ? body.response_format
      : (defaultFormat as OutputFormat);
  return {
    text: body.text,
    voice: requestedVoice(body),
    model: body.model,
    speed: body.speed,
    pitch: body.pitch,
    emotion: body.emotion,
    temperature: body.temperature,
    exaggeration: body.exaggeration,
    cfgWeight: body.cfg_weight,
    ssml: body.ssml,
    format,
    sampleRate: body.sample_rate,
  };
}
