import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { BOOT_OPTIONS, ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import { AudioTranscoder } from '../audio/audio-transcoder.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { resamplerOf } from './engine-resampler.js';
import { EngineRegistry } from './engine-registry.js';
import type { SttEngine } from './ports/stt-engine.js';
import { ResilientSttEngine } from './resilience/resilient-stt-engine.js';
import { STT_ENGINE_FACTORIES } from './stt-engine-factories.js';

/** The speech-to-text engines of `engines.stt`. */
@Injectable()
export class SttEngineRegistry extends EngineRegistry<SttEngine> {
  constructor(
    config: ConfigService,
    @Inject(ROOT_LOGGER) logger: Logger,
    @Inject(BOOT_OPTIONS) runtime: GatewayRuntimeInfo,
    transcoder: AudioTranscoder,
  ) {
    super(
      {
        section: 'stt',
        label: 'STT',
        factories: STT_ENGINE_FACTORIES,
        wrap: (engine, resilience, engineLogger, observer) =>
          new ResilientSttEngine(engine, resilience, { logger: engineLogger, observer }),
      },
      config,
      logger,
      runtime,
      resamplerOf(transcoder),
    );
  }
}
