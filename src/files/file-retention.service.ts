import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { FileStorageService, type PurgeResult } from './file-storage.service.js';

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Runs FileStorageService.purgeExpired at start and hourly, off the request path (the
 * timer never keeps the process alive); a failed sweep is logged and tried again next hour.
 */
@Injectable()
export class FileRetentionService implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly storage: FileStorageService,
    private readonly dataSource: DataSource,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep(), PURGE_INTERVAL_MS);
    this.timer.unref();
    void this.sweep();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One sweep as of `now`; answers what it removed (nothing when the database is not up). */
  async sweep(now = new Date()): Promise<PurgeResult | null> {
    if (!this.dataSource.isInitialized) return null;
    try {
      return await this.storage.purgeExpired(now);
    } catch (error) {
      this.logger.warn({ err: error }, 'stored file purge failed');
      return null;
    }
  }
}
