import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import { ConversationsRepository } from './conversations.repository.js';

const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes conversations untouched for longer than routers.core.conversation.retention_days,
 * with their turns: at start and hourly, off the request path (the timer never keeps the
 * process alive).
 */
@Injectable()
export class ConversationRetentionService implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly dataSource: DataSource,
    private readonly config: ConfigService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.purgeExpired(), PURGE_INTERVAL_MS);
    this.timer.unref();
    void this.purgeExpired();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes the conversations past the retention window as of `now`; answers how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    if (!this.dataSource.isInitialized) return 0;
    const days = this.config.current.routers.core.conversation.retentionDays;
    try {
      const purged = await this.conversations.deleteUnusedSince(new Date(now.getTime() - days * DAY_MS));
      if (purged > 0) this.logger.info({ purged, retentionDays: days }, 'conversations purged');
      return purged;
    } catch (error) {
      this.logger.warn({ err: error }, 'conversation purge failed');
      return 0;
    }
  }
}
