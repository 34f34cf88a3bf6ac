import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { BOOT_OPTIONS, ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { EngineRegistry } from './engine-registry.js';
import type { ChatEngine } from './ports/chat-engine.js';
import { ResilientChatEngine } from './resilience/resilient-chat-engine.js';
import { CHAT_ENGINE_FACTORIES } from './chat-engine-factories.js';

/** The chat (conversation) engines of `engines.chat`. */
@Injectable()
export class ChatEngineRegistry extends EngineRegistry<ChatEngine> {
  constructor(
    config: ConfigService,
    @Inject(ROOT_LOGGER) logger: Logger,
    @Inject(BOOT_OPTIONS) runtime: GatewayRuntimeInfo,
  ) {
    super(
      {
        section: 'chat',
        label: 'chat',
        factories: CHAT_ENGINE_FACTORIES,
        wrap: (engine, resilience, engineLogger, observer) =>
          new ResilientChatEngine(engine, resilience, { logger: engineLogger, observer }),
      },
      config,
      logger,
      runtime,
    );
  }
}
