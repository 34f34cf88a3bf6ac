import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { BOOT_OPTIONS, ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import { AudioTranscoder } from '../audio/audio-transcoder.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { resamplerOf } from './engine-resampler.js';
import { EngineRegistry } from './engine-registry.js';
import type { TtsEngine } from './ports/tts-engine.js';
import { ResilientTtsEngine } from './resilience/resilient-tts-engine.js';
import { TTS_ENGINE_FACTORIES } from './tts-engine-factories.js';

/** The text-to-speech engines of `engines.tts`. */
@Injectable()
export class TtsEngineRegistry extends EngineRegistry<TtsEngine> {
  constructor(
    config: ConfigService,
    @Inject(ROOT_LOGGER) logger: Logger,
    @Inject(BOOT_OPTIONS) runtime: GatewayRuntimeInfo,
    transcoder: AudioTranscoder,
  ) {
    super(
      {
        section: 'tts',
        label: 'TTS',
        factories: TTS_ENGINE_FACTORIES,
        wrap: (engine, resilience, engineLogger, observer) =>
          new ResilientTtsEngine(engine, resilience, { logger: engineLogger, observer }),
      },
      config,
      logger,
      runtime,
      resamplerOf(transcoder),
    );
  }
}
